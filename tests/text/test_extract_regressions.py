"""Extraction regressions: one page we wrote per failure class seen on unseen real pages.

Each page reproduces a structure (not a site): the article, then what real pages put
around it. The assertions are golden "with / without" snippets: every article paragraph
survives, none of the surrounding block does.
"""

from __future__ import annotations

import pytest

from tasks.text.extract import (
    DEFAULT_RULE,
    boilerplate_patterns,
    choose_candidate,
    extract_article,
    is_boilerplate_line,
    is_metadata_line,
    is_low_confidence,
    trim_edges,
)

ARTICLE = [
    "The city council voted on Tuesday to expand the night bus network to every district by next spring.",
    "Officials said the plan would add forty routes and cost about twelve million dollars over three years.",
    "Residents of the outer districts have complained for years that the last buses leave before midnight.",
    "The transport director told reporters that drivers would be hired from the existing regional pool.",
    "Opposition members questioned whether the budget would survive the next round of spending cuts.",
    "A final review of the timetable is expected in January, after a public consultation in each district.",
]
HEAD = (
    "<html lang='en'><head><meta charset='utf-8'><title>Night buses for every district | City Post</title></head><body>"
    "<header><nav><a href='/'>Home</a> <a href='/city'>City</a> <a href='/world'>World</a></nav></header>"
    "<main><article><h1>Night buses for every district</h1><p class='byline'>By Jane Smith</p>"
)


def _page(after: str = "", before_h1: str = "", article: list[str] = ARTICLE, tail: str = "") -> bytes:
    head = HEAD.replace("<h1>", before_h1 + "<h1>") if before_h1 else HEAD
    body = "".join(f"<p>{p}</p>" for p in article)
    return (head + body + tail + "</article>" + after + "</main><footer>© 2024 City Post</footer></body></html>").encode()


def _assert_article(text: str, extra: list[str] = []) -> None:  # noqa: B006 - read only
    for p in ARTICLE + extra:
        assert p in text, p


def _teasers(n: int) -> str:
    items = "".join(
        f"<li><h3><a href='/s/{i}'>Story number {i} about the harbour and the new ferry line</a></h3>"
        f"<p>A summary sentence of story {i} that tells readers what happened at the harbour this week.</p></li>"
        for i in range(n)
    )
    return f"<section class='more'><h2>Related stories</h2><ul>{items}</ul></section>"


def test_long_related_block_after_article() -> None:
    doc = extract_article(_page(after=_teasers(12)), url="https://citypost.example/a")
    _assert_article(doc.text)
    assert "harbour" not in doc.text


def test_newsletter_block_after_article() -> None:
    block = (
        "<div class='signup'><h2>Sign up for our morning newsletter</h2>"
        "<p>Every weekday morning we send the five stories you need to know, written by our editors.</p>"
        "<p>You can unsubscribe at any time, and we will never share your email address with anyone.</p>"
        "<p>By signing up you agree to our terms of service and acknowledge our privacy policy.</p></div>"
    )
    doc = extract_article(_page(tail=block), url="https://citypost.example/a")
    _assert_article(doc.text)
    assert "unsubscribe" not in doc.text and "newsletter" not in doc.text.lower()


def test_comment_block_twice_the_article() -> None:
    comments = "".join(
        f"<li class='c'><p><b>reader{i}</b> says:</p><p>March {i + 1}, 2024 at 9:{10 + i} am</p>"
        f"<p>I have waited for this for years and I still think the council should have done it much sooner, "
        f"because the last bus from the centre leaves far too early for anyone working late shifts.</p>"
        f"<p><a href='#r{i}'>Reply</a></p></li>"
        for i in range(10)
    )
    block = f"<div class='discussion'><h2>12 Comments</h2><ol>{comments}</ol></div>"
    doc = extract_article(_page(after=block), url="https://citypost.example/a")
    _assert_article(doc.text)
    assert "late shifts" not in doc.text and "says:" not in doc.text


def test_author_bio_after_article() -> None:
    bio = (
        "<div class='about'><h3>About the author</h3><p>Jane Smith covers transport and city politics for the"
        " City Post. Before joining the paper she reported on housing for a regional radio station for ten"
        " years.</p><p>Follow her on Twitter for updates on the night bus plan and other transport news.</p></div>"
    )
    doc = extract_article(_page(tail=bio), url="https://citypost.example/a")
    _assert_article(doc.text)
    assert "regional radio station" not in doc.text and "Follow her" not in doc.text


def test_article_beside_a_big_table() -> None:
    rows = "".join(
        f"<tr><td>{d} March</td><td>Exhibition opening at the town hall gallery</td><td>10:00</td><td>Free</td></tr>"
        for d in range(1, 31)
    )
    calendar = f"<aside class='events'><h2>What's on</h2><table>{rows}</table></aside>"
    doc = extract_article(_page(after=calendar), url="https://citypost.example/a")
    _assert_article(doc.text)
    assert "town hall gallery" not in doc.text


def test_lead_paragraph_above_the_headline() -> None:
    lead = "<p class='standfirst'>Every district will get buses running all night from next spring, the council decided after a long debate.</p>"
    doc = extract_article(_page(before_h1=lead), url="https://citypost.example/a")
    _assert_article(doc.text, ["Every district will get buses running all night from next spring"])


def test_closing_credit_lines_stay() -> None:
    credit = [
        "(Reporting by Jane Smith; Editing by Tom Brown)",
        "Copyright 2024 City Post. All rights reserved.",
    ]
    doc = extract_article(_page(article=ARTICLE + credit), url="https://citypost.example/a")
    _assert_article(doc.text, credit[:1])
    assert doc.paragraphs[-1] in credit


def test_closing_credit_in_a_credit_box_stays() -> None:
    credit = "<p class='credit'>(Reporting by Jane Smith; Editing by Tom Brown)</p>"
    doc = extract_article(_page(tail=credit), url="https://citypost.example/a")
    _assert_article(doc.text, ["(Reporting by Jane Smith; Editing by Tom Brown)"])


def test_headline_and_byline_are_not_text() -> None:
    doc = extract_article(_page(), url="https://citypost.example/a")
    assert doc.paragraphs[0] == ARTICLE[0]
    assert doc.title and "Night buses" in doc.title


# --------------------------------------------------------------------------- the combination rule


def test_near_empty_trafilatura_falls_back_with_low_confidence() -> None:
    choice = choose_candidate({"trafilatura": ["Share this story."], "density": ARTICLE})
    assert choice.name == "density" and choice.paragraphs == ARTICLE
    assert choice.confidence < DEFAULT_RULE.low_confidence


def test_stopped_early_trafilatura_loses_to_article_like_extra() -> None:
    choice = choose_candidate({"trafilatura": ARTICLE[:2], "density": ARTICLE, "trafilatura_recall": ARTICLE})
    assert choice.name == "density"
    # Not confirmed by trafilatura's recall mode (it also stopped, or kept something else): trafilatura.
    choice = choose_candidate({"trafilatura": ARTICLE[:2], "density": ARTICLE, "trafilatura_recall": ARTICLE[:2]})
    assert choice.name == "trafilatura"


def test_stopped_early_is_not_claimed_for_widget_text() -> None:
    # The extra reads like sentences, but the page shows it only in a widget (evidence
    # from `_widget_texts`): not the rest of the article.
    teasers = [f"A summary sentence of story {i} that tells readers what happened at the harbour." for i in range(8)]
    cands = {"trafilatura": ARTICLE, "density": ARTICLE + teasers, "widgets": teasers, "trafilatura_recall": ARTICLE + teasers}
    assert choose_candidate(cands).name == "trafilatura"


def test_extra_that_is_not_article_like_keeps_trafilatura() -> None:
    # The density pass's extra: comment lines (names, dates, "Reply") and a promotion.
    extra = ["reader1 says:", "March 1, 2024 at 9:10 am", "Reply", "Subscribe to our newsletter for more stories like this one."]
    choice = choose_candidate({"trafilatura": ARTICLE[:3], "density": ARTICLE[:3] + extra * 3})
    assert choice.name == "trafilatura"


def test_disagreeing_candidates_keep_trafilaturas_article() -> None:
    # The density pass found a bigger prose block elsewhere (an unmarked comment thread):
    # trafilatura's text is sentences, so it stays, flagged as low confidence.
    thread = [f"Comment {i}: I think the harbour plan is a waste of money and nobody asked us about it." for i in range(20)]
    choice = choose_candidate({"trafilatura": ARTICLE, "density": thread})
    assert choice.name == "trafilatura" and choice.confidence < DEFAULT_RULE.low_confidence


def test_article_of_short_lines_is_not_replaced_by_a_prose_box() -> None:
    # A poem or list article (short lines, no sentence punctuation) and the density pass
    # on an "about" box elsewhere: the lines are not a table or link list, trafilatura stays.
    poem = [f"Line {i} of the winter poem about the quiet river town" for i in range(16)]
    about = ["The editors select one poem each week from hundreds of submissions sent by readers. " * 4]
    assert choose_candidate({"trafilatura": poem, "density": about}).name == "trafilatura"


def test_agreeing_candidates_are_confident() -> None:
    choice = choose_candidate({"trafilatura": ARTICLE, "density": ARTICLE[:5]})
    assert choice.name == "trafilatura" and choice.confidence > 0.8


def test_confidence_is_recorded_and_read_back() -> None:
    doc = extract_article(_page(after=_teasers(3)), url="https://citypost.example/a")
    conf = doc.extraction_confidence
    assert conf is not None and 0.0 <= conf <= 1.0
    assert doc.extractor.endswith(("|generic:trafilatura", "|generic:density"))
    assert is_low_confidence(0.12)
    assert not is_low_confidence(0.97)
    assert not is_low_confidence(None)  # no confidence recorded: not flagged


# --------------------------------------------------------------------------- vocabularies


def test_vocabularies_load_once_and_every_section_is_filled() -> None:
    patterns = boilerplate_patterns()
    assert boilerplate_patterns() is patterns  # cached: the files are read once
    assert all(patterns[s] for s in ("line", "credit", "meta", "head", "tail", "edge"))


@pytest.mark.parametrize(
    ("paras", "kept"),
    [
        (["Article sentence one is long enough.", "Article sentence two is long enough.", "Related stories", "Other story"], 2),
        (["Bài viết câu một đủ dài để giữ lại.", "Bài viết câu hai đủ dài để giữ lại.", "Tin liên quan", "Tin khác"], 2),
        (["Bài viết câu một đủ dài để giữ lại.", "Bài viết câu hai đủ dài để giữ lại.", "Bình luận (3)", "Hay quá"], 2),
        (["正文第一段足够长，应该被保留下来。", "正文第二段足够长，应该被保留下来。", "相关新闻", "其他新闻标题"], 2),
        # A "related" heading before most of the text is not the article's end.
        (["Short lead.", "Related", "A long paragraph of the article that follows, with many words in it, continues here."], 3),
        (["Article sentence one is long enough.", "Click here to subscribe to The Paradigm Newsletter"], 1),
    ],
)
def test_trim_edges(paras: list[str], kept: int) -> None:
    assert len(trim_edges(paras)) == kept


# --------------------------------------------------------------------------- Vietnamese

VI_ARTICLE = [
    "Sáng 12/3, UBND tỉnh Quảng Ninh tổ chức hội nghị công bố quy hoạch phát triển du lịch đến năm 2030.",
    "Theo quy hoạch, tỉnh sẽ tập trung đầu tư hạ tầng giao thông kết nối các khu du lịch trọng điểm.",
    "Ông Nguyễn Văn Bình, Giám đốc Sở Du lịch, cho biết tổng vốn đầu tư dự kiến khoảng 20.000 tỷ đồng.",
    "Các doanh nghiệp lữ hành đề nghị tỉnh sớm ban hành cơ chế hỗ trợ quảng bá điểm đến mới.",
    "Hội nghị cũng thống nhất lộ trình số hóa dịch vụ du lịch và thanh toán không dùng tiền mặt.",
]


def _vi_news_page() -> bytes:
    related = "".join(f"<li><a href='/t/{i}'>Quảng Ninh đón thêm chuyến bay quốc tế số {i}</a></li>" for i in range(8))
    comments = "".join(
        f"<div class='item'><b>Độc giả {i}</b><span>2 giờ trước</span><p>Quy hoạch rất hay, mong tỉnh sớm triển khai để"
        f" người dân được hưởng lợi từ du lịch.</p><a>Trả lời</a></div>" for i in range(6)
    )
    return (
        "<html lang='vi'><head><meta charset='utf-8'><title>Quảng Ninh công bố quy hoạch du lịch</title></head><body>"
        "<div class='menu'><a>Thời sự</a> <a>Kinh doanh</a> <a>Du lịch</a></div>"
        "<div class='detail'><h1>Quảng Ninh công bố quy hoạch du lịch</h1><p>Thứ ba, 12/3/2024, 10:15 (GMT+7)</p>"
        "<div class='social'><a>Chia sẻ</a> <a>Facebook</a> <a>Zalo</a></div>"
        + "".join(f"<p>{p}</p>" for p in VI_ARTICLE)
        + "<p><strong>Xem thêm:</strong> <a href='/x'>Hạ Long lọt top điểm đến châu Á</a></p>"
        "<p>Minh Anh</p></div>"
        f"<div class='box'><h3>Tin liên quan</h3><ul>{related}</ul></div>"
        f"<div class='box-comment'><h3>Bình luận</h3>{comments}<p>Gửi bình luận</p></div>"
        "<div class='footer'><p>© 2024 Báo Mẫu. Bảo lưu mọi quyền.</p></div></body></html>"
    ).encode()


def _vi_ministry_page() -> bytes:
    return (
        "<html lang='vi'><head><meta charset='utf-8'><title>Bộ Mẫu - Tin hoạt động</title></head><body>"
        "<table><tr><td class='left'><a>Giới thiệu</a><br><a>Tin tức</a><br><a>Văn bản</a><br><a>Thủ tục hành chính</a></td>"
        "<td class='main'><h2>Tăng cường hợp tác du lịch</h2><p>Ngày đăng: 12/03/2024</p>"
        + "".join(f"<p>{p}</p>" for p in VI_ARTICLE)
        + "<p>In bài viết</p><p>Gửi bài viết</p><h3>Các tin khác</h3>"
        "<p><a>Hội nghị tổng kết công tác năm 2023 của Bộ</a></p><p><a>Triển khai kế hoạch cải cách hành chính</a></p>"
        "</td></tr></table>"
        "<div id='ft'><p>Cơ quan chủ quản: Bộ Mẫu</p><p>Chịu trách nhiệm chính: Thứ trưởng Nguyễn Văn A</p>"
        "<p>Giấy phép số 123/GP-TTĐT do Cục Phát thanh, truyền hình và thông tin điện tử cấp ngày 1/1/2020</p>"
        "<p>Địa chỉ: Số 1 Phố Mẫu, Hà Nội. Điện thoại: 024 1234 5678</p>"
        "<p>Ghi rõ nguồn Cổng thông tin điện tử Bộ Mẫu khi phát hành lại thông tin từ website này.</p></div>"
        "</body></html>"
    ).encode()


@pytest.mark.parametrize("page", [_vi_news_page, _vi_ministry_page])
def test_vietnamese_pages_keep_article_drop_boilerplate(page) -> None:  # type: ignore[no-untyped-def]
    doc = extract_article(page(), url="https://baomau.example.vn/a.html")
    for p in VI_ARTICLE:
        assert p in doc.text, p
    for junk in (
        "Tin liên quan", "chuyến bay quốc tế", "Bình luận", "Trả lời", "Chia sẻ", "Xem thêm", "Bảo lưu mọi quyền",
        "Cơ quan chủ quản", "Giấy phép số", "Ghi rõ nguồn", "Các tin khác", "In bài viết", "Ngày đăng", "Địa chỉ",
    ):
        assert junk not in doc.text, junk


@pytest.mark.parametrize(
    "line",
    ["Tin liên quan", "Bình luận", "Xem thêm", "Chia sẻ", "Các tin khác", "Gửi bình luận", "© 2024 Báo Mẫu. Bảo lưu mọi quyền."],
)
def test_vietnamese_boilerplate_lines(line: str) -> None:
    assert is_boilerplate_line(line)


def test_vietnamese_sentence_with_vocabulary_words_is_kept() -> None:
    assert not is_boilerplate_line("Bạn đọc có thể xem thêm thông tin về quy hoạch trên cổng thông tin của tỉnh.")


# --------------------------------------------------------------------------- Chinese header/source lines

ZH_ARTICLE = [
    "近年来，下岗职工的再就业问题越来越受到社会各界的关注，政府出台了一系列扶持政策。",
    "本次调查覆盖了三个城市的一千二百名下岗职工，了解他们重新找到工作的途径和所需时间。",
    "调查发现，亲友介绍仍然是最常见的途径，而职业培训对年轻职工的帮助明显大于年长职工。",
    "研究者建议，社区应当为年长职工提供更有针对性的岗位信息，并延长培训补贴的期限。",
    "他说这段话摘自一本旧书，但书中并没有说明出处，也没有写明作者单位。",
]
ZH_HEADER_LINES = [
    "2003-5-29 09:07 高山流水",
    "发表于 2004年12月27日 12:40 - (阅读:3727;评论:63)",
    "2003年5月",
    "执笔人：张三 李四 王五",
    "【作者单位：某某大学社会学系】",
    "(摘自《某某社会科学学刊》2000年第2期，原文约15，000字)",
    "“某某”网站搜集整理于2002-09-25",
    "[精华区] 版主：[申请版主]",
]


def _zh_forum_archive_page() -> bytes:
    """A forum archive / blog page: post header, date line, writer and source lines around the text."""
    head, tail = ZH_HEADER_LINES[:6], ZH_HEADER_LINES[6:]
    return (
        "<html><head><meta charset='utf-8'><title>社会资本与再就业 - 学术前沿 - 论坛</title></head><body>"
        "<div class='nav'><a>论坛</a> » <a>学术前沿</a> » 社会资本与再就业</div>"
        + "".join(f"<div>{x}</div>" for x in tail[1:])
        + "<div class='post'>"
        + "".join(f"<div>{x}</div>" for x in head)
        + "".join(f"<p>{p}</p>" for p in ZH_ARTICLE)
        + f"<div>{tail[0]}</div><p>欢迎加入本站邮件列表，您将得到最新更新邮件。请在表格中填入您的邮件地址：</p></div>"
        "</body></html>"
    ).encode()


def test_chinese_header_and_source_lines_are_not_text() -> None:
    doc = extract_article(_zh_forum_archive_page(), url="https://bbs.example.cn/a.html")
    for p in ZH_ARTICLE:
        assert p in doc.text, p
    for junk in ZH_HEADER_LINES + ["邮件列表"]:
        assert junk not in doc.text, junk


# "2003年5月" is a [head] line: dropped above the first sentence only (test_bare_date_goes_under_the_title_only).
@pytest.mark.parametrize("line", [x for x in ZH_HEADER_LINES if x != "2003年5月"])
def test_chinese_metadata_lines(line: str) -> None:
    assert is_metadata_line(line)


def test_chinese_sentences_with_source_words_are_kept() -> None:
    assert not is_metadata_line(ZH_ARTICLE[-1])
    assert not is_metadata_line("2003年5月，课题组在三个城市开展了问卷调查。")


# --------------------------------------------------------------------------- threads: the opening post


def _zh_thread_page(replies: list[str]) -> bytes:
    """A forum thread: each post a box of its own with a user name and its own dateline."""

    def post(user: str, paras: list[str], day: int) -> str:
        body = "".join(f"<p>{p}</p>" for p in paras)
        return (
            f"<table class='t'><tr><td><a href='/u/{user}'>{user}</a></td></tr><tr><td>{body}"
            f"<p>发布时间 2005/03/{day:02d} 22:36:13 by {user}</p></td></tr></table>"
        )

    posts = post("duscha", ZH_ARTICLE, 1) + "".join(post(f"user{i}", [r], i + 2) for i, r in enumerate(replies))
    return (
        "<html><head><meta charset='utf-8'><title>再就业调查 - 论坛</title></head><body>"
        "<div class='nav'><a>论坛</a> &gt; <a>社会话题</a></div>"
        f"<div><div>{posts}</div></div></body></html>"
    ).encode()


REPLIES = [
    "楼主说得有道理，我身边也有这样的例子，亲戚介绍的工作最靠谱。",
    "顶一下，希望政府多出一些培训补贴的政策，尤其是对年纪大的人。",
    "不太同意，职业培训对年长职工其实也很有帮助，关键是培训内容。",
    "好帖子，收藏了，以后慢慢看，谢谢楼主分享这么详细的调查。",
]


def test_thread_keeps_the_opening_post_not_the_replies() -> None:
    doc = extract_article(_zh_thread_page(REPLIES), url="https://bbs.example.cn/t/1.html")
    for p in ZH_ARTICLE:
        assert p in doc.text, p
    for r in REPLIES:
        assert r not in doc.text, r


def test_thread_of_equal_posts_keeps_them_all() -> None:
    # No post holds half of the prose: a discussion, not an article with comments.
    long_replies = [r * 3 for r in REPLIES]
    doc = extract_article(_zh_thread_page(long_replies), url="https://bbs.example.cn/t/2.html")
    for p in ZH_ARTICLE + long_replies:
        assert p in doc.text, p


# --------------------------------------------------------------------------- Chinese government page

GOV_ARTICLE = [
    "为进一步优化营商环境，市人民政府决定在全市范围内开展企业开办便利化改革，现将有关事项通知如下。",
    "一、各区县要在本通知印发之日起三十日内完成企业开办一网通办平台的对接工作，实现申请材料一次提交。",
    "二、市场监管部门应当会同税务、社保等部门，将企业开办时间压缩至一个工作日以内，并向社会公开办理流程。",
    "三、各有关部门要加强督促检查，对工作推进不力的单位予以通报，确保改革措施落到实处。",
    "某某市人民政府办公厅",
]


def _zh_government_page() -> bytes:
    """An information-disclosure notice: key/value table above the title, page tools, previous/next links."""
    info = (
        "<table class='xxgk'><tr><td>索引号：</td><td>11440100/2021-00123</td><td>主题分类：</td><td>综合政务</td></tr>"
        "<tr><td>发布机构：</td><td>市人民政府办公厅</td><td>成文日期：</td><td>2021-03-05</td></tr>"
        "<tr><td>文号：</td><td>穗府办〔2021〕5号</td><td>发布日期：</td><td>2021-03-08</td></tr></table>"
    )
    return (
        "<html><head><meta charset='utf-8'><title>关于开展企业开办便利化改革的通知_某某市人民政府门户网站</title></head><body>"
        "<div class='top'><a>首页</a> <a>政务公开</a> <a>政务服务</a> <a>互动交流</a></div>"
        f"<div class='main'>{info}<h1>关于开展企业开办便利化改革的通知</h1><div>【字体：大 中 小】 浏览次数：1234</div>"
        "<div class='zw'>" + "".join(f"<p>{p}</p>" for p in GOV_ARTICLE) + "</div>"
        "<div>【打印本页】 【关闭窗口】</div><div>上一篇 关于做好春季安全生产工作的通知</div>"
        "<div>【下一篇】关于印发某某市数字政府建设方案的通知</div></div>"
        "<div class='ft'><p>主办：某某市人民政府办公厅 承办：某某市政务服务数据管理局</p>"
        "<p>网站标识码：4401000001 粤ICP备12345678号</p></div></body></html>"
    ).encode()


def test_government_page_drops_disclosure_table_and_page_tools() -> None:
    doc = extract_article(_zh_government_page(), url="https://www.example.gov.cn/a.html")
    for p in GOV_ARTICLE:
        assert p in doc.text, p
    for junk in ("索引号", "11440100/2021-00123", "综合政务", "发布机构", "穗府办", "字体", "浏览次数", "打印本页",
                 "关闭窗口", "上一篇", "下一篇", "数字政府建设方案", "网站标识码"):
        assert junk not in doc.text, junk


@pytest.mark.parametrize(
    "line", ["【打印本页】 【关闭窗口】", "[收藏] [纠错] [打印] [关闭]", "【字体：大 中 小】", "字号：大 | 中 | 小"]
)
def test_chinese_page_tool_lines(line: str) -> None:
    assert is_boilerplate_line(line)


def test_previous_next_links_but_not_sentences() -> None:
    assert is_metadata_line("上一篇 关于做好春季安全生产工作的通知")
    assert is_metadata_line("【下一篇】关于印发数字政府建设方案的通知")
    assert not is_metadata_line("上一篇文章中我们讨论了再就业问题，本文继续讨论培训。")


def test_bare_date_goes_under_the_title_only() -> None:
    paras = ["调查研究报告", "2003年5月", ZH_ARTICLE[0], ZH_ARTICLE[1], "某某市妇女儿童工作委员会", "2003年5月"]
    assert trim_edges(paras) == ["调查研究报告", ZH_ARTICLE[0], ZH_ARTICLE[1], "某某市妇女儿童工作委员会", "2003年5月"]


# --------------------------------------------------------------------------- Chinese portal with an unmarked comment thread

PORTAL_ARTICLE = [
    "新华社北京3月5日电 第十四届全国人民代表大会第一次会议5日上午在人民大会堂开幕，国务院总理作政府工作报告。",
    "报告提出，今年发展主要预期目标是：国内生产总值增长百分之五左右，城镇新增就业一千二百万人左右。",
    "报告说，要着力扩大国内需求，把恢复和扩大消费摆在优先位置，多渠道增加城乡居民收入。",
    "代表们表示，报告实事求是、鼓舞人心，为做好今年工作指明了方向。",
]


def _zh_portal_page() -> bytes:
    """Article, related list, then a comment thread without class names that outweighs the article."""
    rel = "".join(f"<li><a href='/n{i}.html'>两会观察：代表委员热议高质量发展第{i}期</a><span>2023-03-0{i}</span></li>" for i in range(1, 9))
    comments = "".join(
        f"<div><span>网友{i}</span><span>2023-03-05 12:0{i}</span><p>报告说得好，希望今年的目标都能实现，老百姓的日子越过越好{i}。</p></div>"
        for i in range(6)
    )
    return (
        "<html><head><meta charset='utf-8'><title>政府工作报告：今年GDP增长预期目标5%左右_新闻_某某网</title></head><body>"
        "<div id='top'><a>首页</a> <a>新闻</a> <a>财经</a> <a>体育</a></div>"
        "<div class='w'><div class='l'><h1>政府工作报告：今年GDP增长预期目标5%左右</h1>"
        "<div class='info'><span>2023-03-05 10:12</span> <span>来源：新华网</span> <a>【纠错】</a></div>"
        "<div class='t'>分享到：<a>微信</a> <a>微博</a></div>"
        "<div class='txt'>" + "".join(f"<p>{p}</p>" for p in PORTAL_ARTICLE) + "<p>（责任编辑：李四）</p></div>"
        f"<div><h3>相关新闻</h3><ul>{rel}</ul></div><div><h3>网友评论</h3>{comments}</div></div>"
        "<div class='r'><h3>热点排行</h3><ol>" + "".join(f"<li><a>热点新闻标题第{i}条</a></li>" for i in range(10)) + "</ol></div></div>"
        "<div class='ft'>Copyright © 2023 某某网 版权所有 京ICP备12345678号</div></body></html>"
    ).encode()


def test_comment_thread_heavier_than_the_article_is_cut_at_its_heading() -> None:
    doc = extract_article(_zh_portal_page(), url="https://news.example.cn/a.html")
    for p in PORTAL_ARTICLE:
        assert p in doc.text, p
    for junk in ("网友评论", "老百姓的日子", "2023-03-05 12:0", "两会观察", "责任编辑", "来源", "分享到", "热点"):
        assert junk not in doc.text, junk


def test_comment_heading_at_the_top_is_not_the_end() -> None:
    # "评论" is also an opinion section's label above the article: no sentences before it.
    paras = ["评论", *PORTAL_ARTICLE, "2023-03-05 12:00", "2023-03-05 12:01", "2023-03-05 12:02"]
    assert trim_edges(paras)[: len(PORTAL_ARTICLE) + 1] == ["评论", *PORTAL_ARTICLE]


def test_a_label_line_does_not_take_a_paragraph_with_it() -> None:
    from tasks.text.extract.boilerplate import _drop_boilerplate

    assert _drop_boilerplate(["发布机构：", "市人民政府办公厅", ZH_ARTICLE[0]]) == [ZH_ARTICLE[0]]
    assert _drop_boilerplate(["编辑：", ZH_ARTICLE[0]]) == [ZH_ARTICLE[0]]


@pytest.mark.parametrize("wrapper", ["clearfix sidebar-right warp", "above-footer", "slideshowPackage"])
def test_article_in_a_wrapper_with_a_widget_name(wrapper: str) -> None:
    # Themes name the article's own container after a layout slot ("sidebar-right",
    # "above-footer") or a format ("slideshow"). Its paragraphs are then "widget texts";
    # dropping trafilatura's widget edges must not take the article with them.
    menu = "".join(f"<li><a href='/s/{i}'>Section {i} of the City Post</a></li>" for i in range(12))
    page = (
        "<html lang='en'><head><meta charset='utf-8'><title>Night buses | City Post</title></head><body>"
        f"<nav><ul>{menu}</ul></nav><div class='{wrapper}'><h1>Night buses for every district</h1>"
        + "".join(f"<p>{p}</p>" for p in ARTICLE)
        + "</div><footer><p>© 2024 City Post. All rights reserved. Contact the newsroom at the address below.</p></footer></body></html>"
    ).encode()
    doc = extract_article(page, url="https://citypost.example/a")
    _assert_article(doc.text)
