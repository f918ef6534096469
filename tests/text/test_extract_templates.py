"""Extraction on news templates we wrote: a WordPress-like single post with share bar,
related posts, author box, a comment thread twice the article's length and a sidebar,
once with its usual class names and once with meaningless ones and no semantic tags
(CSS-in-JS sites: nothing names the boxes, only the page's headings do).

Golden "with / without" snippets: every article paragraph survives, nothing after it does.
"""

from __future__ import annotations

import hashlib
import re

import pytest

from tasks.text.extract import extract_article

ARTICLE = [
    "The regional water authority said on Monday that reservoir levels had fallen to their lowest point in twenty "
    "years, after a summer with almost no rain across the northern valleys.",
    "Engineers have started pumping from two reserve wells that were sealed in the 1990s, and the authority asked "
    "households to cut their use by a fifth until the autumn storms arrive.",
    "Farmers in the lowlands say the restrictions come too late, because many of them already lost most of the "
    "maize harvest in July when the irrigation channels ran dry.",
    "The authority's director told a press conference that a new pipeline from the coastal desalination plant "
    "would be finished in two years, a year earlier than planned.",
    "Environmental groups welcomed the pipeline but warned that the plant uses large amounts of energy and that "
    "the brine it returns to the sea harms the local fishing grounds.",
    "Opposition councillors have called for an inquiry into why leaks in the old network, which lose almost a "
    "third of the water, were not repaired when money was available.",
    "A public meeting on the restrictions will be held in the town hall on Thursday evening, and residents can "
    "also send their questions to the authority by post or online.",
]
TEASER = "Farmers and officials met again to discuss what can be done about the water shortage in the region this year."
BIO = (
    "Kim Lee has covered the environment and the valley's farms for the Valley Times since 2009, and before that "
    "reported for several national newspapers on climate and energy policy."
)
COMMENTS = [
    f"I have lived in this valley for {20 + i} years and I have never seen the river this low, the authority should "
    "have planned for this long ago instead of waiting for the rain to save them again."
    for i in range(8)
]
INLINE_RELATED = "<div class='box'><h3>Related</h3><ul>" + "".join(
    f"<li><a href='/x{i}'>Another story about water number {i} in the valley</a></li>" for i in range(3)
) + "</ul></div>"
POPULAR = (
    "<div class='trending'><h2>Most popular</h2><p>Readers this week liked the story about the new bridge over "
    "the river and the one about the festival.</p></div>"
)


def wordpress(body: str = "", above: str = "", boxes: bool = True) -> str:
    """The post; `boxes=False` leaves out the related posts and the author box (comments only)."""
    body = body or "".join(f"<p>{p}</p>" for p in ARTICLE)
    related = "".join(
        f"<div class='jp-relatedposts-post'><h4><a href='/p{i}'>Drought hits the valleys again, part {i}</a></h4>"
        f"<p>{TEASER}</p></div>"
        for i in range(3)
    )
    comments = "".join(
        f"<li class='comment'><article class='comment-body'><footer class='comment-meta'><b class='fn'>Reader{i}</b> "
        f"<time>August 12, 2024 at {i + 1}:15 pm</time></footer><div class='comment-content'><p>{c}</p></div>"
        "<div class='reply'><a href='#'>Reply</a></div></article></li>"
        for i, c in enumerate(COMMENTS)
    )
    return (
        "<html lang='en'><head><meta charset='utf-8'><title>Reservoirs at twenty-year low - Valley Times</title></head>"
        "<body class='single single-post'><header id='masthead' class='site-header'><nav class='main-navigation'><ul>"
        "<li><a href='/'>Home</a></li><li><a href='/news'>News</a></li><li><a href='/sport'>Sport</a></li></ul></nav>"
        "</header><div id='content' class='site-content'><div id='primary' class='content-area'>"
        f"<main id='main' class='site-main'>{above}<article class='post type-post'><header class='entry-header'>"
        "<h1 class='entry-title'>Reservoirs at twenty-year low</h1><div class='entry-meta'>Posted on "
        "<time>August 12, 2024</time> by <a href='/author/kim'>Kim Lee</a></div></header>"
        f"<div class='entry-content'>{body}"
        "<div class='sharedaddy'><h3 class='sd-title'>Share this:</h3><ul><li><a href='#'>Twitter</a></li>"
        "<li><a href='#'>Facebook</a></li></ul></div>"
        + (
            f"<div id='jp-relatedposts' class='jp-relatedposts'><h3 class='jp-relatedposts-headline'>Related</h3>{related}</div>"
            if boxes
            else ""
        )
        + "</div><footer class='entry-footer'>Posted in <a href='/news'>News</a></footer></article>"
        + (f"<div class='author-info'><h2 class='author-title'>About the author</h2><p class='author-bio'>{BIO}</p></div>" if boxes else "")
        + "<div id='comments' class='comments-area'><h2 class='comments-title'>8 thoughts on "
        f"&ldquo;Reservoirs at twenty-year low&rdquo;</h2><ol class='comment-list'>{comments}</ol>"
        "<div id='respond'><h3 id='reply-title'>Leave a Reply</h3><form><p>Your email address will not be "
        "published.</p></form></div></div></main></div><aside id='secondary' class='widget-area'><section "
        "class='widget'><h2>Recent Posts</h2><ul>"
        + "".join(f"<li><a href='/r{i}'>Recent story number {i} about the valley</a></li>" for i in range(5))
        + "</ul></section></aside></div><footer id='colophon'><div class='site-info'>&copy; 2024 Valley Times. "
        "Proudly powered by WordPress</div></footer></body></html>"
    )


def meaningless(page: str) -> str:
    """Every class/id hashed, semantic tags turned into divs: only the headings name the boxes."""
    page = re.sub(
        r"(class|id)='([^']*)'", lambda m: f"{m.group(1)}='css-{hashlib.md5(m.group(2).encode()).hexdigest()[:6]}'", page
    )
    return re.sub(r"<(/?)(article|aside|header|footer|nav|main|section)\b", r"<\1div", page)


def _check(page: str, extra: list[str] = []) -> list[str]:  # noqa: B006 - read only
    doc = extract_article(page.encode(), url="https://valleytimes.example/2024/08/12/reservoirs/")
    for p in ARTICLE + extra:
        assert p in doc.paragraphs, p
    text = doc.text
    for gone in [TEASER, BIO, *COMMENTS, "Recent story number", "Share this", "Leave a Reply"]:
        assert gone not in text, gone
    return doc.paragraphs


@pytest.mark.parametrize("dress", [lambda p: p, meaningless], ids=["named", "meaningless"])
def test_post_with_related_author_box_and_a_thread_twice_its_length(dress) -> None:  # type: ignore[no-untyped-def]
    assert _check(dress(wordpress())) == ARTICLE


@pytest.mark.parametrize("dress", [lambda p: p, meaningless], ids=["named", "meaningless"])
def test_inline_related_box_inside_the_body_does_not_end_the_article(dress) -> None:  # type: ignore[no-untyped-def]
    body = "".join(f"<p>{p}</p>" for p in ARTICLE[:3]) + INLINE_RELATED + "".join(f"<p>{p}</p>" for p in ARTICLE[3:])
    _check(dress(wordpress(body=body)))


def test_a_most_popular_box_above_the_headline_is_not_the_end() -> None:
    _check(meaningless(wordpress(above=POPULAR)))


NEWSLETTER_BOX = (
    "<div class='nl'><h3>Newsletter</h3><p>Sign up for the Morning Briefing, our daily newsletter "
    "with the stories you need to know, delivered to your inbox every weekday.</p><form><input type='email'>"
    "<button>Sign up</button></form></div>"
)


@pytest.mark.parametrize("split", [3, 5, 6])
@pytest.mark.parametrize("dress", [lambda p: p, meaningless], ids=["named", "meaningless"])
def test_inline_newsletter_heading_late_in_the_body_does_not_end_the_article(dress, split: int) -> None:  # type: ignore[no-untyped-def]
    # A [tail] heading ("Newsletter") with over 40 % of the article before it: the
    # paragraphs after it share the article's container, so they are the article.
    body = "".join(f"<p>{p}</p>" for p in ARTICLE[:split]) + NEWSLETTER_BOX + "".join(f"<p>{p}</p>" for p in ARTICLE[split:])
    _check(dress(wordpress(body=body)))


@pytest.mark.parametrize("dress", [lambda p: p, meaningless], ids=["named", "meaningless"])
def test_wordpress_comment_heading_ends_the_article(dress) -> None:  # type: ignore[no-untyped-def]
    # Only the thread after the post, under WordPress's own heading "8 thoughts on “…”".
    assert _check(dress(wordpress(boxes=False))) == ARTICLE


NAV = (
    "<html lang='en'><head><meta charset='utf-8'><title>Reservoirs at twenty-year low | The Paper</title></head><body>"
    "<header><nav><a href='/'>Home</a> <a href='/uk'>UK</a> <a href='/world'>World</a> <a href='/sport'>Sport</a>"
    "</nav></header>"
)


def guardian_like() -> str:
    """Standfirst and byline above, an inline related link in the body, topics, most viewed, closed comments."""
    return (
        NAV + "<main><div class='hd'><h1>Reservoirs at twenty-year low</h1><div class='standfirst'><p>Households asked "
        "to cut use by a fifth as pumping starts from reserve wells</p></div><div class='meta'><a rel='author' "
        "href='/kim'>Kim Lee</a> Environment correspondent<br>Mon 12 Aug 2024 07.00 BST</div></div><div class='body'>"
        + "".join(f"<p>{p}</p>" for p in ARTICLE[:4])
        + "<aside class='rel'><a href='/r1'>Drought: what the forecasts say about next year</a></aside>"
        + "".join(f"<p>{p}</p>" for p in ARTICLE[4:])
        + "</div><div class='topics'><h2>Explore more on these topics</h2><ul><li><a href='/t1'>Water</a></li>"
        "<li><a href='/t2'>Drought</a></li></ul></div><div class='mv'><h2>Most viewed</h2><ol>"
        + "".join(f"<li><a href='/v{i}'>Most viewed headline number {i} about politics this week</a></li>" for i in range(10))
        + "</ol></div><div class='cm'><h2>Comments (123)</h2><p>This discussion is now closed for comments but you can "
        "still sign in or create your account to join the discussion when it's back</p></div></main>"
        "<footer><p>© 2024 The Paper. All rights reserved.</p></footer></body></html>"
    )


def agency_like() -> str:
    """A dateline in the first paragraph, a closing credit line, then a 'More from' block of summaries."""
    more = "".join(
        f"<div><a href='/m{i}'><h3>Headline {i} of another agency story about markets</h3></a><p>Summary {i}: "
        "markets moved as investors weighed the latest inflation data and central bank comments.</p></div>"
        for i in range(6)
    )
    return (
        NAV + "<main><article><h1>Reservoirs at twenty-year low</h1><div class='by'>By Kim Lee</div>"
        f"<div class='body'><p>LONDON, Aug 12 (Agency) - {ARTICLE[0]}</p>"
        + "".join(f"<p>{p}</p>" for p in ARTICLE[1:])
        + f"<p>(Reporting by Kim Lee; Editing by Sam Park)</p></div></article><div class='more'><h2>More from Agency</h2>{more}"
        "</div></main><footer><p>© 2024 Agency. All rights reserved.</p></footer></body></html>"
    )


def blocks_like() -> str:
    """Every paragraph in its own wrapper, a closing 'Follow … on Facebook' line, topics and 'More on this story'."""
    return (
        NAV + "<main><article><header><h1>Reservoirs at twenty-year low</h1></header>"
        + "".join(f"<div class='block'><p>{p}</p></div>" for p in ARTICLE)
        + "<div class='block'><p><b>Follow Valley News on Facebook, X and Instagram.</b></p></div></article>"
        "<section class='topics'><h2>Related Topics</h2><ul><li><a href='/w'>Water</a></li><li><a href='/f'>Farming"
        "</a></li></ul></section><section class='more'><h2>More on this story</h2><ul>"
        + "".join(f"<li><a href='/s{i}'>Earlier story {i}: the valley's wells</a> Published 3 June</li>" for i in range(3))
        + "</ul></section></main><footer><p>Copyright 2024 Valley News.</p></footer></body></html>"
    )


@pytest.mark.parametrize("dress", [lambda p: p, meaningless], ids=["named", "meaningless"])
def test_other_news_templates(dress) -> None:  # type: ignore[no-untyped-def]
    doc = extract_article(dress(guardian_like()).encode(), url="")
    assert all(p in doc.paragraphs for p in ARTICLE)
    assert "Most viewed headline" not in doc.text and "discussion is now closed" not in doc.text

    doc = extract_article(dress(agency_like()).encode(), url="")
    assert doc.paragraphs[0].startswith("LONDON, Aug 12 (Agency) - The regional water authority")
    assert all(p in doc.paragraphs for p in ARTICLE[1:])
    assert "(Reporting by Kim Lee; Editing by Sam Park)" in doc.paragraphs  # the article's own credit stays
    assert "Summary 0" not in doc.text

    doc = extract_article(dress(blocks_like()).encode(), url="")
    assert doc.paragraphs == ARTICLE  # the closing "Follow … on Facebook" promotion goes


def test_wordpress_comment_heading_vocabulary_is_not_a_sentence() -> None:
    from tasks.text.extract import trim_edges

    assert trim_edges([*ARTICLE, "8 thoughts on “Reservoirs at twenty-year low”", *COMMENTS]) == ARTICLE
    sentence = "Two comments on the proposal were received by the council before the deadline."
    paras = [*ARTICLE[:5], sentence, *ARTICLE[5:]]
    assert trim_edges(paras) == paras


@pytest.mark.parametrize(
    "line, meta",
    [
        ("By Monday, all schools in the district will be closed.", False),
        ("Published in 2019, the report found twelve leaks in the network.", False),
        ("By Jane Smith, Reuters", True),
        ("By Kim Lee | August 12, 2024", True),
        ("Updated at 1:23 p.m.", True),
    ],
)
def test_a_sentence_that_starts_like_a_byline_is_article_text(line: str, meta: bool) -> None:
    from tasks.text.extract import is_metadata_line

    assert is_metadata_line(line) is meta
    doc = extract_article(wordpress(body="".join(f"<p>{p}</p>" for p in [*ARTICLE[:3], line, *ARTICLE[3:]])).encode(), url="")
    assert (line in doc.paragraphs) is not meta


VI_ARTICLE = [
    "Sáng 12/8, Sở Tài nguyên và Môi trường tỉnh cho biết mực nước tại các hồ chứa đã xuống mức thấp nhất trong "
    "hai mươi năm qua, sau một mùa hè gần như không có mưa ở các huyện phía bắc.",
    "Các kỹ sư đã bắt đầu bơm nước từ hai giếng dự phòng bị niêm phong từ những năm 1990, và cơ quan này đề nghị "
    "các hộ gia đình giảm một phần năm lượng nước sử dụng cho đến khi mùa mưa bão đến.",
    "Nông dân ở vùng trũng cho rằng các biện pháp hạn chế đến quá muộn, vì nhiều người đã mất phần lớn vụ ngô "
    "trong tháng Bảy khi các kênh tưới tiêu cạn khô.",
    "Giám đốc sở cho biết đường ống mới từ nhà máy khử mặn ven biển sẽ hoàn thành trong hai năm, sớm hơn một năm "
    "so với kế hoạch ban đầu được phê duyệt.",
]
VI_RELATED = "Nông dân và chính quyền lại họp bàn về tình trạng thiếu nước trong vùng, nhưng chưa có giải pháp nào được thống nhất."
VI_COMMENT = (
    "Tôi sống ở đây đã hơn hai mươi năm mà chưa bao giờ thấy sông cạn như vậy, chính quyền lẽ ra phải có kế hoạch "
    "từ lâu chứ không phải chờ mưa như thế này."
)


def vietnamese_post() -> str:
    related = "".join(f"<div class='item'><h3><a href='/t{i}'>Hạn hán ở các huyện phía bắc, phần {i}</a></h3><p>{VI_RELATED}</p></div>" for i in range(3))
    comments = "".join(f"<div class='cmt'><div class='who'>Bạn đọc {i} · 12/8/2024 09:1{i}</div><p>{VI_COMMENT}</p></div>" for i in range(6))
    return (
        "<html lang='vi'><head><meta charset='utf-8'><title>Hồ chứa xuống mức thấp nhất 20 năm</title></head><body>"
        "<header><nav><a href='/'>Trang chủ</a> <a href='/xa-hoi'>Xã hội</a> <a href='/kinh-te'>Kinh tế</a></nav></header>"
        "<main><article><h1>Hồ chứa xuống mức thấp nhất 20 năm</h1><div class='meta'>Thứ hai, 12/8/2024, 07:00 (GMT+7)</div>"
        "<div class='content'>" + "".join(f"<p>{p}</p>" for p in VI_ARTICLE) + "</div></article>"
        f"<div class='rel'><h2>Bài viết liên quan</h2>{related}</div>"
        f"<div class='comments'><h2>Bình luận</h2>{comments}</div></main>"
        "<footer><p>Cơ quan chủ quản: Sở Thông tin và Truyền thông</p></footer></body></html>"
    )


@pytest.mark.parametrize("dress", [lambda p: p, meaningless], ids=["named", "meaningless"])
def test_vietnamese_post_with_related_and_comments(dress) -> None:  # type: ignore[no-untyped-def]
    doc = extract_article(dress(vietnamese_post()).encode(), url="")
    assert doc.paragraphs == VI_ARTICLE


ZH_ARTICLE = [
    "8月12日上午，省水利厅通报，受持续高温少雨影响，全省主要水库蓄水量降至二十年来最低水平，北部山区旱情尤为严重。",
    "水利部门已启用两口上世纪九十年代封存的备用水井，并呼吁居民在秋汛到来之前将日常用水量减少五分之一。",
    "低洼地区的农户表示，限水措施来得太晚，不少人七月份灌溉渠断流时就已损失了大部分玉米收成。",
    "水利厅负责人在新闻发布会上介绍，沿海海水淡化厂的输水管道将在两年内完工，比原计划提前一年。",
    "环保组织对新管道表示欢迎，但提醒淡化厂耗能较大，排回海中的浓盐水可能影响附近渔场。",
]
ZH_RELATED = "农户与有关部门再次座谈，研究缓解本地区缺水问题的办法，目前各方尚未就具体方案达成一致意见。"
ZH_COMMENT = "我在这里住了二十多年，从来没见过河水这么少，有关部门早就应该提前规划，而不是每次都等着下雨来解决问题。"


def chinese_portal(n_comments: int) -> str:
    """A portal article: info line, editor line, 相关新闻 with summaries, 网友评论 thread, ICP footer."""
    rel = "".join(f"<li><a href='/n{i}'>北部旱情持续 第{i}篇</a><p>{ZH_RELATED}</p></li>" for i in range(4))
    cm = "".join(
        f"<div class='c'><div class='u'>网友{i} 2024-08-12 10:1{i}</div><p>{ZH_COMMENT}</p></div>" for i in range(n_comments)
    )
    return (
        "<html><head><meta charset='utf-8'><title>全省水库蓄水降至二十年最低_新闻中心</title></head><body>"
        "<div class='nav'><a href='/'>首页</a> <a href='/news'>新闻</a> <a href='/sports'>体育</a></div>"
        "<div class='main'><h1>全省水库蓄水降至二十年最低</h1><div class='info'>2024-08-12 09:00 来源：省水利厅</div>"
        "<div class='text'>" + "".join(f"<p>{p}</p>" for p in ZH_ARTICLE) + "<p>（责任编辑：王明）</p></div>"
        f"<div class='rel'><h3>相关新闻</h3><ul>{rel}</ul></div><div class='cmts'><h3>网友评论</h3>{cm}</div></div>"
        "<div class='foot'><p>版权所有 © 2024 某某网 京ICP备12345678号</p></div></body></html>"
    )


@pytest.mark.parametrize("n_comments", [3, 16])
@pytest.mark.parametrize("dress", [lambda p: p, meaningless], ids=["named", "meaningless"])
def test_chinese_portal_with_related_and_a_thread(dress, n_comments: int) -> None:  # type: ignore[no-untyped-def]
    doc = extract_article(dress(chinese_portal(n_comments)).encode(), url="")
    assert all(p in doc.paragraphs for p in ZH_ARTICLE)
    assert ZH_RELATED not in doc.text and ZH_COMMENT not in doc.text and "ICP" not in doc.text and "责任编辑" not in doc.text


def test_a_tail_word_in_a_menu_above_the_article_is_not_its_end() -> None:
    # trafilatura kept a long menu above the article; its "Related" / "Newsletter" items are
    # no section heading after the article: nothing of the article may go.
    from tasks.text.extract import trim_edges

    menu = [f"Overview of topic number {i} and its pages" for i in range(30)] + ["Related", "Contact"]
    assert trim_edges([*menu, *ARTICLE]) == [*menu, *ARTICLE]
    # After the article the same heading still ends it.
    assert trim_edges([*ARTICLE, "Related", TEASER]) == ARTICLE
