"""Page shapes found on unseen Chinese news and government pages (extractor 0.8).

1. An article container that carries a share-on-selection hook in its class ("BSHARE_POP",
   "js-share-selection") is the article, not a share widget: on such a portal page the
   density pass used to skip the whole article and keep a 57-character promotion line
   below it. A real share bar, and a comment box named after sharing too, stay widgets.
2. A header fragment included with its own `</body></html>`: libxml2 puts the rest of the
   page, the article included, in a second <html> beside the document's, where neither
   candidate looked (a government gazette page gave "only short lines found").
3. English stories cut into sections around an inline box whose heading is page-tail
   vocabulary ("Related Coverage", a sidebar's "Newsletter"); comments after a related
   box at a page's real end still go.
"""

from __future__ import annotations

import pytest

from tasks.text.extract import extract_article


def _keeps(page: bytes, url: str, article: list[str], *gone: str) -> None:
    """The Document's text holds every paragraph of `article` and none of `gone`."""
    text = extract_article(page, url=url).text
    for p in article:
        assert p in text
    for g in gone:
        assert g not in text, g

ZH = [
    "新浪科技讯 北京时间9月11日凌晨消息，某公司秋季发布会开幕，新款手机是第一个出场的硬件产品，采用双摄像头。",
    "该公司官网显示，新机国行版各容量售价分别为：64GB售5499元，128GB售5999元，256GB售6799元。",
    "新机是去年机型的继任者，采用6.1英寸显示屏，设计与去年几乎完全相同，并增加了紫色、绿色和黄色等新配色。",
    "新机最大的变化在设备后部的摄像头：去年的机型只有一个广角相机，今年则是广角加超广角的双摄像头。",
    "处理器方面，新机采用新一代芯片，厂商称其中央处理器和图形处理器的性能均超过业界旗舰芯片。",
    "电池续航方面，厂商表示新机比上一代续航还能延长1小时，并支持快速充电和无线充电。",
]
PROMO = "专注科技新闻报道，每日推送最新数码资讯。扫描下方二维码关注我们的官方微信。"
COMMENTS = [
    "网友甲：这个价格还是太贵了，等降价再说吧，去年的机型现在用着也挺好的。",
    "网友乙：回复@网友甲：国行的价格一直都比国外贵，主要是税费的原因，不是厂商故意的。",
    "网友丙：双摄像头早就有了，今年才跟上，创新越来越少了，还是看看别家的新品吧。",
]


def portal(container_class: str, share_bar: str = "", comment_class: str = "comment-list") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in ZH)
    comments = "".join(f"<div class='item'><p>{c}</p></div>" for c in COMMENTS)
    page = (
        "<html><head><meta charset='utf-8'><title>某公司发布新款手机_新浪科技</title></head><body>"
        "<div class='nav'><a href='/'>首页</a> <a href='/a'>手机</a> <a href='/b'>平板</a> <a href='/c'>电脑</a></div>"
        "<h1>某公司发布新款手机：64GB售5499元</h1>"
        f"<div class='{container_class}' id='artibody'>{body}</div>{share_bar}"
        f"<p>{PROMO}</p>"
        f"<div class='{comment_class}'><h3>网友评论</h3>{comments}</div>"
        "</body></html>"
    )
    return page.encode("utf-8")


def test_article_container_with_a_share_on_selection_hook_is_kept():
    _keeps(portal("BSHARE_POP blkContainerSblkCon clearfix"), "http://tech.example.cn/a.shtml", ZH, PROMO, COMMENTS[0])


def test_share_hook_on_an_english_article_container():
    paras = [
        "The city council voted on Tuesday to extend the night bus network to three new districts next spring.",
        "Officials said the change would cost about two million dollars a year and would be paid from parking fees.",
        "Residents of the outer districts have asked for late buses for years, saying taxis were too expensive.",
        "The first routes will start in March, and the council will review the service after six months.",
    ]
    body = "".join(f"<p>{p}</p>" for p in paras)
    page = (
        "<html><head><title>Night buses</title></head><body><nav><a href='/'>Home</a> <a href='/city'>City</a></nav>"
        f"<h1>Council extends night buses</h1><div class='js-share-selection'>{body}</div>"
        "<div class='comments'><p>Reader one: About time, the last bus leaves far too early for shift workers.</p>"
        "<p>Reader two: Who pays for this? Parking fees are already the highest in the region.</p></div>"
        "</body></html>"
    ).encode()
    _keeps(page, "http://news.example.com/night-buses", paras, "Reader one")


def test_a_real_share_bar_and_a_comment_box_named_after_sharing_stay_widgets():
    bar = "<div class='share-bar'><a href='#'>分享到微博</a> <a href='#'>微信</a> <a href='#'>QQ空间</a> 收藏 打印</div>"
    page = portal("article-main", share_bar=bar, comment_class="share-comments")
    _keeps(page, "http://tech.example.cn/b.shtml", ZH, "分享到微博", *COMMENTS)


GAZETTE = [
    "（2007年6月29日第十届全国人民代表大会常务委员会第二十八次会议通过）",
    "第十届全国人民代表大会常务委员会第二十八次会议，听取了财政部部长代表国务院对议案作的说明，并对议案进行了审议。",
    "会议同意国务院提出的议案，同意全国人民代表大会财政经济委员会在议案审查报告中提出的建议，批准发行特别国债。",
]


def test_page_after_a_stray_closing_html_tag_is_read():
    header = (
        "<div class='header'><a href='/'>首页</a> | <a href='/j'>简</a> | <a href='/f'>繁</a> | <a href='/en'>EN</a>"
        " | <a href='/login'>登录</a></div></body></html>"  # the included fragment closes the page
    )
    body = "".join(f"<p>　　{p}</p>" for p in GAZETTE)
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>关于批准发行特别国债的决议_国务院公报</title></head>"
        f"<body>{header}<div class='content'><div class='article'><div class='pages_content' id='UCAP-CONTENT'>"
        "<p align='center'><strong>全国人民代表大会常务委员会<br>关于批准发行特别国债的决议</strong></p>"
        f"{body}</div></div></div><div class='footer'>主办单位：国务院办公厅　网站标识码bm01000001</div></body></html>"
    ).encode("utf-8")
    _keeps(page, "http://www.gov.example.cn/gongbao/1.htm", GAZETTE, "登录", "网站标识码")


# 3. A story cut into sections around an inline box whose heading is page-tail vocabulary
#    ("Related Coverage", "Newsletter"): the page-tail cut took the box for the story's end
#    and kept 19-30 % of two real English articles (a newspaper, a science magazine).

STORY = [
    "The sale is being done in two steps, and the first will move the operating business into a new subsidiary.",
    "It is hard to overestimate how complex an asset sale like this is, with thousands of contracts to transfer.",
    "In the second step, at the closing, the company will sell the stock of that subsidiary to the buyer for cash.",
    "Because it is a sale of a subsidiary, the money will be paid to the company and not to its shareholders.",
    "The shareholders will keep the rest, a holding company whose main assets are stakes in two listed firms.",
    "There will be no appraisal rights, because in an asset sale the law gives the shareholders only a vote.",
    "The different standards apply because the company itself, not its shareholders, is the seller here.",
    "Whether this is the most tax-efficient way is unclear, and the tax bill could run into the billions.",
    "All in all, this was as complicated a deal as they come, and lawyers will study it for years to come.",
]
TEASERS = ["Media Problem Is Now the Buyer's to Solve", "Buyer Announces Deal for Internet Business", "Sale Ends an Era"]


def _sections(box: str, p_class: str = "") -> bytes:
    cls = f" class='{p_class}'" if p_class else ""
    first = "".join(f"<p{cls}>{p}</p>" for p in STORY[:5])
    second = "".join(f"<p{cls}>{p}</p>" for p in STORY[5:])
    return (
        "<html><head><title>A complicated sale</title></head><body><nav><a href='/'>Home</a> <a href='/b'>Business</a></nav>"
        "<article><h1>A complicated sale</h1>"
        f"<div class='s1'><div class='w'>{first}</div></div>{box}<div class='s2'><div class='w'>{second}</div></div>"
        "</article><footer><p>© 2016 The Example Times</p></footer></body></html>"
    ).encode()


def test_story_goes_on_after_an_inline_related_box_in_the_story_paragraph_class():
    teasers = "".join(f"<li><a href='/t{i}'>{t}</a></li>" for i, t in enumerate(TEASERS))
    box = f"<div class='m1'><h2>Related Coverage</h2><ul>{teasers}</ul></div>"  # no widget name
    _keeps(_sections(box, p_class="story-body-text story-content"), "http://news.example.com/a", STORY, TEASERS[0])


def test_story_goes_on_after_a_sidebar_newsletter_box():
    box = ("<aside class='post__sidebar'><h3>Share this article</h3><div class='sidebar__newsletter'><h3>Newsletter</h3>"
           "<p>Get the magazine delivered to your inbox</p><form><input name='e'><button>Subscribe</button></form></div></aside>")
    _keeps(_sections(box), "http://news.example.com/b", STORY, "delivered to your inbox")


def test_a_related_box_after_the_story_still_ends_it():
    teasers = "".join(f"<div class='x'><h3><a href='/t{i}'>{t}</a></h3><p>{t}: the story so far, and what the "
                      f"analysts expect next from the company and its buyer.</p></div>" for i, t in enumerate(TEASERS))
    page = (
        "<html><head><title>A complicated sale</title></head><body><article><h1>A complicated sale</h1>"
        + "".join(f"<p>{p}</p>" for p in STORY)
        + f"</article><aside class='related'><h2>Related Coverage</h2>{teasers}</aside></body></html>"
    ).encode()
    _keeps(page, "http://news.example.com/c", STORY, "the story so far")


@pytest.mark.parametrize("paragraphs_per_post", [1, 2])
def test_comments_after_a_related_box_at_the_real_end_stay_out(paragraphs_per_post: int):
    teasers = "".join(f"<li><a href='/t{i}'>{t}</a></li>" for i, t in enumerate(TEASERS))
    posts = "".join(
        f"<div class='c{i}'><div class='m'><b>user{i}</b> <span>2 hours ago</span></div>"
        + "".join(f"<p>I think this deal is a terrible idea for the shareholders, who get nothing from sale {i}.{k}.</p>"
                  for k in range(paragraphs_per_post))
        + "</div>"
        for i in range(4)
    )
    page = (
        "<html><head><title>A complicated sale</title></head><body><div class='main'><div class='a'><h1>A complicated sale</h1>"
        + "".join(f"<p>{p}</p>" for p in STORY)
        + f"</div><aside class='related'><h2>Related Coverage</h2><ul>{teasers}</ul></aside><div class='zz'>{posts}</div></div>"
        "</body></html>"
    ).encode()
    _keeps(page, "http://news.example.com/d", STORY, "terrible idea")
