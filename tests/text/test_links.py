"""Link evidence read at extraction (tasks/text/links.py) and stored with the document."""

from __future__ import annotations

from lxml import html as lxml_html

from tasks.text.links import link_evidence

PAGE = """<html lang="vi"><head>
<base href="https://news.example.vn/the-gioi/">
<link rel="canonical" href="/the-gioi/hop-tac-100020.html?utm_source=x">
<link rel="alternate" hreflang="en" href="https://news.example.com/world/cooperation-500020.html">
<link rel="alternate" hreflang="x-default" href="https://news.example.vn/">
<link rel="alternate" type="application/rss+xml" href="/rss.xml">
</head><body>
<nav><a href="/thoi-su">Thời sự</a> <a href="https://news.example.com/world/cooperation-500020.html">English</a>
  <a href="/the-gioi/tin-khac-100099.html">Tin khác</a></nav>
<article>
<p>Hà Nội đón diễn đàn. <a href="tin-lien-quan-100021.html">Tin liên quan</a></p>
<p><a href="https://cn.example.cn/guoji/hezuo-300020.html">中文</a>
   <a href="https://news.example.com/other-1.html" hreflang="en">read more</a>
   <a href="/the-gioi/tin-khac-100099.html">Tin khác (again, in the text)</a>
   <a href="javascript:void(0)">share</a></p>
</article>
<footer><a href="/lien-he">Liên hệ</a></footer>
</body></html>"""

PARAGRAPHS = ["Hà Nội đón diễn đàn.", "Nguồn: https://news.example.com/world/cooperation-500020.html."]


def test_link_evidence_of_a_page() -> None:
    tree = lxml_html.document_fromstring(PAGE)
    ev = link_evidence(tree, "https://news.example.vn/the-gioi/hop-tac-100020.html", PARAGRAPHS)
    assert ev.canonical == "https://news.example.vn/the-gioi/hop-tac-100020.html"  # tracking parameter dropped
    assert ev.alternates == {"en": "https://news.example.com/world/cooperation-500020.html"}  # x-default and feeds left out
    # a language switch: its anchor names a language, or it carries hreflang (in a menu too)
    assert ev.switch == [
        "https://news.example.com/world/cooperation-500020.html",
        "https://cn.example.cn/guoji/hezuo-300020.html",
        "https://news.example.com/other-1.html",
    ]
    # menus, headers and footers link to other articles on every page: only their switch links count
    assert ev.links == [
        "https://news.example.com/world/cooperation-500020.html",
        "https://news.example.vn/the-gioi/tin-lien-quan-100021.html",  # relative to <base href>
        "https://cn.example.cn/guoji/hezuo-300020.html",
        "https://news.example.com/other-1.html",
    ]
    assert ev.sources == ["https://news.example.com/world/cooperation-500020.html"]  # written in the text


def test_a_page_without_links_has_empty_evidence() -> None:
    tree = lxml_html.document_fromstring("<html><body><p>Chỉ có chữ.</p></body></html>")
    ev = link_evidence(tree, "https://news.example.vn/a.html", ["Chỉ có chữ."])
    assert (ev.canonical, ev.alternates, ev.switch, ev.links, ev.sources) == (None, {}, [], [], [])


def test_extraction_records_the_evidence_the_pairing_reads() -> None:
    from tasks.text.extract import extract_article

    body = "".join(f"<p>Câu thứ {i} của bài báo về hợp tác khoa học giữa hai nước, dài đủ để là văn xuôi.</p>" for i in range(8))
    page = PAGE.replace("<p>Hà Nội đón diễn đàn.", body + "<p>Hà Nội đón diễn đàn.").encode()
    doc = extract_article(page, url="https://news.example.vn/the-gioi/hop-tac-100020.html")
    assert doc.evidence.alternates == {"en": "https://news.example.com/world/cooperation-500020.html"}
    assert "https://cn.example.cn/guoji/hezuo-300020.html" in doc.evidence.switch
    assert doc.evidence.canonical == "https://news.example.vn/the-gioi/hop-tac-100020.html"
