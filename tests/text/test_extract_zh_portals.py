"""Chinese portal and blog chrome around the article, on pages we wrote: an old table-layout
portal in GB18030 whose one text cell also holds the original-title line, a disclaimer, a
counters row, a pager and page tools; a blog post with its date in brackets under the
title, tag/category line, counters row, previous/next links and a comment box whose
notice line sits beside the article body inside the same post container.
"""

from __future__ import annotations

import pytest

from tasks.text.extract import extract_article, is_boilerplate_line, is_metadata_line, trim_edges

ART = [
    "新华社北京3月5日电（记者张三）国务院新闻办公室5日举行新闻发布会，介绍今年一季度国民经济运行情况。",
    "国家统计局新闻发言人表示，一季度国内生产总值同比增长5.3%，比上年四季度加快0.1个百分点，经济运行开局良好。",
    "从生产看，规模以上工业增加值同比增长6.1%，其中装备制造业增加值增长7.5%，高技术制造业增加值增长7.9%。",
    "从需求看，社会消费品零售总额同比增长4.7%，固定资产投资同比增长4.5%，货物进出口总额同比增长5.0%。",
    "发言人同时指出，外部环境的复杂性、严峻性、不确定性上升，国内有效需求仍然不足，经济持续回升向好的基础还需巩固。",
    "下一步，要坚持稳中求进工作总基调，加大宏观政策实施力度，着力扩大国内需求，推动经济实现质的有效提升和量的合理增长。",
]
DISCLAIMER = (
    "免责声明：本文仅代表作者个人观点，与本网无关。其原创性以及文中陈述文字和内容未经本站证实，对本文以及其中全部或者"
    "部分内容、文字的真实性、完整性、及时性本站不作任何保证或承诺，请读者仅作参考，并请自行核实相关内容。"
)
COUNTERS = "阅读(1234) | 评论(5) | 收藏(2) | 转载(1)"


def old_portal() -> bytes:
    body = "<br><br>".join(f"　　{p}" for p in ART)
    rel = "<br>".join(f"·<a href='/n{i}.htm'>一季度经济数据解读之{i}：消费市场持续恢复</a> (2024-03-0{i})" for i in range(1, 7))
    page = (
        "<html><head><meta http-equiv='Content-Type' content='text/html; charset=gb2312'>"
        "<title>一季度国民经济开局良好--财经频道</title></head><body>"
        "<table width=980><tr><td><a href='/'>首页</a> | <a href='/a'>新闻</a> | <a href='/b'>财经</a></td></tr></table>"
        "<table width=980><tr><td width=680 valign=top><table>"
        "<tr><td><font size=5><b>一季度国民经济开局良好</b></font></td></tr>"
        "<tr><td>2024-03-05 10:21:33　来源：新华网　作者：张三　点击：1234 【字体：大 中 小】</td></tr>"
        f"<tr><td class=f14>{body}<br><br>原标题：国家统计局：一季度国民经济开局良好<br>{DISCLAIMER}<br>"
        f"{COUNTERS}<br>上一页 1 2 3 下一页<br>[ <a href='#'>打印本页</a> ] [ <a href='#'>关闭窗口</a> ]</td></tr>"
        f"<tr><td><b>相关文章</b><br>{rel}</td></tr></table></td>"
        f"<td width=300 valign=top><b>热门排行</b><br>{rel}</td></tr></table>"
        "<table><tr><td>关于我们 | 联系方式<br>Copyright © 2002-2024 example.com.cn 版权所有<br>粤ICP备05012345号</td></tr></table>"
        "</body></html>"
    )
    return page.encode("gb18030")


def test_old_portal_cell_keeps_only_the_article() -> None:
    doc = extract_article(old_portal(), url="http://finance.example.com.cn/2024/0305/1.htm")
    assert doc.paragraphs == ART
    for chrome in ("原标题", "免责声明", "阅读(1234)", "下一页", "打印本页", "ICP"):
        assert chrome not in doc.text, chrome


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        (COUNTERS, "line"),
        ("阅读(123) ┊ 评论(4) ┊ 收藏(0) ┊ 转载(0) ┊ 喜欢 ┊ 打印 ┊ 举报", "line"),
        ("原标题：国家统计局：一季度国民经济开局良好", "meta"),
        ("（原标题：一季度国民经济开局良好）", "meta"),
        ("(2010-05-03 12:01:22)", "meta"),
        ("【2024-03-05】", "meta"),
        ("赞同 123 ┊ 12 条评论 ┊ 分享 ┊ 喜欢 ┊ 收藏", "line"),
        ("著作权归作者所有。商业转载请联系作者获得授权，非商业转载请注明出处。", "line"),
        ("[责任编辑：王五]", "meta"),
        ("图片来源：视觉中国", "meta"),
        ("编辑于 2021-03-04 12:00", "meta"),
        ("2024年3月5日，国家统计局发布了一季度国民经济运行数据，经济运行开局良好。", None),
        ("评论员文章指出，经济运行开局良好，下一步要着力扩大国内需求。", None),
        ("阅读是一种习惯，评论家们常说读书能够改变一个人的气质。", None),
    ],
)
def test_portal_chrome_lines(line: str, kind: str | None) -> None:
    assert is_boilerplate_line(line) is (kind == "line")
    assert is_metadata_line(line) is (kind == "meta")


@pytest.mark.parametrize(
    "tail",
    [
        DISCLAIMER,
        "声明：转载此文是出于传递更多信息之目的。若有来源标注错误或侵犯了您的合法权益，请作者持权属证明与本网联系。",
        "平台声明：该文观点仅代表作者本人，本号系信息发布平台，本站仅提供信息存储空间服务。",
        "特别声明：本文为网站用户上传并发布，仅代表该作者观点，不代表本网站的观点或立场。",
        "返回搜狐，查看更多",
    ],
)
def test_disclaimer_ends_the_article_only_after_it(tail: str) -> None:
    assert trim_edges([*ART, tail, "相关文章：一季度经济数据解读"]) == ART
    # A statement quoted inside a report is no disclaimer: "声明称" / "发表声明" do not start a tail.
    quoted = "该公司当天发表声明：公司从未授权任何机构销售该产品，消费者如有疑问可拨打客服电话。"
    assert trim_edges([*ART[:3], quoted, *ART[3:]]) == [*ART[:3], quoted, *ART[3:]]


def test_disclaimer_at_the_top_is_no_tail() -> None:
    # At the top of a page with nothing before it, it is no tail.
    assert trim_edges([DISCLAIMER, *ART]) == [DISCLAIMER, *ART]


BLOG = [
    "今天终于有时间把上个月去云南旅行的照片整理出来，顺便记下这一路上的见闻和感受，免得以后忘记了。",
    "我们先到了昆明，在翠湖边住了两天。早上的湖边很热闹，有打太极的老人，也有喂红嘴鸥的游客，气氛非常轻松。",
    "接着坐火车去了大理，古城里的石板路和白族民居很有特色，晚上在洱海边散步，风很大但是星空特别漂亮。",
    "最后一站是丽江，我们没有在古城里待太久，而是去了玉龙雪山和泸沽湖，那里的风景真的让人难以忘记。",
    "这次旅行最大的收获是放慢了脚步，下次有机会还想再去一次，把这次没有去成的香格里拉也补上。",
]
BLOG_COMMENT = "照片拍得真好，看得我也想去云南旅行了，请问你们一共花了多少天时间呀？谢谢分享。"


def blog(comments: int) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in BLOG)
    cm = "".join(
        f"<li><p class='user'>博友{i}</p><p class='time'>2010-05-0{i} 20:1{i}</p><p>{BLOG_COMMENT}</p></li>"
        for i in range(1, comments + 1)
    )
    return (
        "<html><head><meta charset='utf-8'><title>云南旅行记_小明的博客</title></head><body>"
        "<div class='blognav'><a href='/'>博客首页</a> <a href='/u/1/list'>博文目录</a> <a href='/u/1/pic'>图片</a></div>"
        "<div class='sidebar'><p>小明</p><p>博客等级：12 博客积分：1580 博客访问：123,456</p>"
        "<ul><li><a href='/c1'>旅行 (12)</a></li><li><a href='/c2'>美食 (8)</a></li></ul></div>"
        "<div class='articalContent'><div class='articalTitle'><h2 class='titName'>云南旅行记</h2>"
        "<span class='time'>(2010-05-03 12:01:22)</span></div>"
        "<div class='articalTag'>标签： 旅游 云南 大理 丽江</div>"
        f"<div class='articalBody'>{body}</div><div class='shareUp'>分享：</div>"
        "<div class='articalInfo'>阅读(123) ┊ 评论(4) ┊ 收藏(0) ┊ 转载(0) ┊ 喜欢 ┊ 打印 ┊ 举报</div>"
        "<div class='articalfrontback'><div>前一篇：<a href='/b0'>春天的西湖</a></div>"
        "<div>后一篇：<a href='/b2'>读书笔记：活着</a></div></div>"
        f"<div class='allComm'><h3>评论</h3><p>重要提示：警惕虚假中奖信息</p><ul>{cm}</ul><p>发评论</p></div></div>"
        "<div class='footer'><p>Copyright © 1996 - 2010 SINA Corporation, All Rights Reserved</p></div>"
        "</body></html>"
    ).encode()


@pytest.mark.parametrize("comments", [1, 4])
def test_blog_post_loses_its_date_counters_and_comment_box(comments: int) -> None:
    doc = extract_article(blog(comments), url="http://blog.example.com.cn/s/blog_1.html")
    assert all(p in doc.paragraphs for p in BLOG)
    for chrome in ("2010-05-03", "阅读(123)", "重要提示", BLOG_COMMENT, "博友1", "发评论"):
        assert chrome not in doc.text, chrome


def test_a_one_character_line_of_dialogue_is_text_a_lone_button_is_not() -> None:
    story = [
        "曼城茶座一步一步靠近了贴在墙角的爱丽速子，左手抓住速子的右手，身体一点一点靠近已经无路可退的速子。",
        "“……嗯……？”",
        "速子慌乱地盯着茶座的眼睛，茶座那双金色的瞳孔在此时分外地诱人，宛如两颗金苹果一般闪耀。",
        "窗外的雪还在下，两个人谁也没有再说话，只是静静地听着远处传来的钟声，一直到天色渐渐暗了下来。",
    ]
    page = (
        "<html><head><meta charset='utf-8'></head><body><div class='story'>"
        + "".join(f"<p>{p}</p>" for p in story)
        + "<p>顶</p><p>踩</p></div></body></html>"
    ).encode()
    doc = extract_article(page, url="https://www.example.cn/read/cv1")
    assert doc.paragraphs == story


FEED_SUMMARY = "农户与有关部门再次座谈，研究缓解本地区缺水问题的办法，目前各方尚未就具体方案达成一致意见。"


@pytest.mark.parametrize("items", [4, 8])
def test_a_feed_of_linked_items_with_summaries_and_no_heading_is_not_the_article(items: int) -> None:
    # `<li><a>headline</a><p>summary</p></li>` under the article, its heading an image:
    # the summaries read like prose but belong to other stories.
    feed = "".join(
        f"<li><a href='/n{i}.html'>北部旱情持续 第{i}篇报道</a><p>{FEED_SUMMARY[:-1]}，第{i}次。</p></li>" for i in range(items)
    )
    page = (
        "<html><head><meta charset='utf-8'><title>一季度国民经济开局良好</title></head><body><div class='a1'>"
        "<h1>一季度国民经济开局良好</h1><div class='a2'>" + "".join(f"<p>{p}</p>" for p in ART) + "</div>"
        f"<div class='a3'><img src='like.png' alt='猜你喜欢'><ul>{feed}</ul></div></div></body></html>"
    ).encode()
    doc = extract_article(page, url="https://news.example.com.cn/c/1.html")
    assert all(p in doc.paragraphs for p in ART)
    assert FEED_SUMMARY[:20] not in doc.text


def test_a_list_of_links_before_a_paragraph_does_not_make_it_a_summary() -> None:
    # A list of links in the body (not an item holding the paragraph): the paragraph after it is the article's.
    links = "<ul>" + "".join(f"<li><a href='/d{i}'>文件{i}</a></li>" for i in range(3)) + "</ul>"
    page = (
        "<html><head><meta charset='utf-8'></head><body><div class='a2'>"
        + "".join(f"<p>{p}</p>" for p in ART[:3]) + links + "".join(f"<p>{p}</p>" for p in ART[3:])
        + "</div></body></html>"
    ).encode()
    doc = extract_article(page, url="https://www.example.gov.cn/a.html")
    assert all(p in doc.paragraphs for p in ART)
