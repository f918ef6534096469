"""Page shapes found on unseen Chinese news and government pages (extractor 0.8).

1. An article container that carries a share-on-selection hook in its class ("BSHARE_POP",
   "js-share-selection") is the article, not a share widget: on such a portal page the
   density pass used to skip the whole article and keep a 57-character promotion line
   below it. A real share bar, and a comment box named after sharing too, stay widgets.
2. A header fragment included with its own `</body></html>`: libxml2 puts the rest of the
   page, the article included, in a second <html> beside the document's, where neither
   candidate looked (a government gazette page gave "only short lines found").
"""

from __future__ import annotations

from tasks.clean import extract_article

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
    doc = extract_article(portal("BSHARE_POP blkContainerSblkCon clearfix"), url="http://tech.example.cn/a.shtml")
    text = doc.text
    for p in ZH:
        assert p in text
    assert PROMO not in text and COMMENTS[0] not in text


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
    text = extract_article(page, url="http://news.example.com/night-buses").text
    for p in paras:
        assert p in text
    assert "Reader one" not in text


def test_a_real_share_bar_and_a_comment_box_named_after_sharing_stay_widgets():
    bar = "<div class='share-bar'><a href='#'>分享到微博</a> <a href='#'>微信</a> <a href='#'>QQ空间</a> 收藏 打印</div>"
    doc = extract_article(portal("article-main", share_bar=bar, comment_class="share-comments"),
                          url="http://tech.example.cn/b.shtml")
    for p in ZH:
        assert p in doc.text
    assert "分享到微博" not in doc.text
    assert not any(c in doc.text for c in COMMENTS)


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
    doc = extract_article(page, url="http://www.gov.example.cn/gongbao/1.htm")
    for p in GAZETTE:
        assert p in doc.text
    assert "登录" not in doc.text and "网站标识码" not in doc.text
