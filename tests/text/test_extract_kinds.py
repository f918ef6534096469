"""Extraction on kinds of pages beyond news, on pages we wrote that reproduce structures
where ours lost to plain trafilatura on trafilatura's own evaluation pages
(bench/eval_snippets.py): a Python tutorial with interactive-session lines, a README and a
gallery post whose whole text sits in boxes named like widgets, a review whose title links
to the page itself, and Japanese text with ruby readings.
"""

from __future__ import annotations

import pytest

from tasks.text.extract import extract_article, is_boilerplate_line
from tasks.text.extract.density import _blocks, _self_link
from tasks.text.extract.parse import _parse

PROSE = [
    "Python lets you give a function argument a default value, which is a great feature of the language but can "
    "confuse people when the default value is a mutable object such as a list.",
    "A common mistake is to think that the default expression is evaluated each time the function is called "
    "without a value for that argument, when in fact it is evaluated only once.",
    "The usual workaround is to use None as the default and to create a new list inside the function when the "
    "argument is missing, as the second example shows.",
    "Class variables are handled as dictionaries and follow the method resolution order, so changing the base "
    "class attribute changes what every subclass without its own value sees.",
]
SESSION_1 = [">>> def foo(bar=[]):        # bar is optional", '...    bar.append("baz")', "...    return bar", ">>> foo()",
             '["baz"]', ">>> foo()", '["baz", "baz"]', ">>> foo()"]
SESSION_2 = [">>> def foo(bar=None):", "...    if bar is None:", "...        bar = []", ">>> foo()", ">>> foo()",
             ">>> print A.x, B.x, C.x", ">>> B.x = 2", ">>> print A.x, B.x, C.x"]


def tutorial() -> bytes:
    pre1 = "\n".join(SESSION_1).replace("<", "&lt;").replace(">", "&gt;")
    pre2 = "\n".join(SESSION_2).replace("<", "&lt;").replace(">", "&gt;")
    nav = "".join(f"<li><a href='/t{i}'>Tutorial part {i}</a></li>" for i in range(8))
    return (
        "<html><head><title>Ten Python mistakes</title></head><body>"
        f"<nav><ul>{nav}</ul></nav><article><h1>Ten Python mistakes</h1>"
        f"<p>{PROSE[0]}</p><pre><code>{pre1}</code></pre><p>{PROSE[1]}</p><p>{PROSE[2]}</p>"
        f"<pre><code>{pre2}</code></pre><p>{PROSE[3]}</p></article>"
        "<footer><p>Copyright 2020 Example Tutorials. All rights reserved.</p></footer></body></html>"
    ).encode()


def test_python_prompt_lines_are_kept_even_when_repeated() -> None:
    doc = extract_article(tutorial(), url="https://tutorials.example.org/python/mistakes")
    text = doc.text
    for line in (">>> def foo(bar=[]):", ">>> def foo(bar=None):", ">>> print A.x, B.x, C.x", ">>> B.x = 2"):
        assert line in text, line
    # Repeated prompt lines are code, not a gallery's repeated captions.
    assert text.count(">>> print A.x, B.x, C.x") == 2
    assert text.count(">>> foo()") >= 4
    for p in PROSE:
        assert p in text


@pytest.mark.parametrize(
    ("line", "boilerplate"),
    [
        (">>> Giá vàng hôm nay tăng mạnh", True),  # a Vietnamese "read also" link line
        (">>: Xem thêm các tin khác", True),
        (">>> def foo(bar=[]):", False),
        (">>> print A.x, B.x, C.x", False),
        (">>> x = 10", False),
        (">>> A.x = 3", False),
    ],
)
def test_chevron_link_lines_are_not_python_prompts(line: str, boilerplate: bool) -> None:
    assert is_boilerplate_line(line) is boilerplate


README = [
    "Golem is a global, open-source, decentralized supercomputer that anyone can access, built from the spare "
    "resources of individual machines.",
    "Yapapi is the Python high-level API that allows developers to connect to their Golem nodes and manage "
    "their distributed computational loads.",
    "For a detailed introduction to using Golem and yapapi, and a guide to application development in general, "
    "please consult our handbook.",
    "yapapi uses poetry to manage its dependencies and to provide a runner for common tasks such as the tests.",
    "By default poetry looks for the required Python version on your path and creates a virtual environment "
    "for the project if there is none active.",
    "All of the project's dependencies will be installed to that virtual environment, so nothing changes "
    "outside the project folder.",
]

ENV_VARS = [
    f"YAGNA_{name}_URL, the address of the node's {name.lower()} interface, for example "
    f"http://localhost:7500/{name.lower()}-api/v1, used by every request of that kind"
    for name in ("ACTIVITY", "MARKET", "PAYMENT", "NET", "GSB", "IDENTITY", "VERSION", "METRICS", "SUBNET", "DRIVER")
]


def readme_page() -> bytes:
    files = "".join(f"<div class='file-row'><a href='/f{i}'>file_{i}.py</a> <span>last week</span></div>" for i in range(12))
    about = "".join(f"<li><a href='/topic/{t}'>{t}</a></li>" for t in ("python", "golem", "api", "distributed"))
    body = "".join(f"<p>{p}</p>" for p in README[:3]) + "<h2>Installation</h2><pre>pip install yapapi</pre>"
    body += "".join(f"<p>{p}</p>" for p in README[3:])
    # A long list ends the README (trafilatura writes its items as "- ..." lines).
    body += "<h2>Environment variables</h2><ul>" + "".join(f"<li>{v}</li>" for v in ENV_VARS) + "</ul>"
    return (
        "<html><head><title>example/yapapi: Python API</title></head><body>"
        "<header><a href='/'>Home</a> <a href='/login'>Sign in</a></header>"
        "<div class='Layout Layout--sidebarPosition-end'><div class='Layout-main'>"
        f"<div class='files'>{files}</div>"
        "<div class='Box js-code-nav-container readme'><div class='Box-body'><article class='markdown-body'>"
        f"<h1>Golem Python API</h1>{body}</article></div></div></div>"
        f"<div class='Layout-sidebar'><h2>About</h2><p>Python high-level API for Golem.</p><ul>{about}</ul></div></div>"
        "<footer><p>© 2022 Example, Inc.</p><a href='/terms'>Terms</a></footer></body></html>"
    ).encode()


def test_readme_in_a_box_named_like_a_code_nav_widget_keeps_its_intro() -> None:
    doc = extract_article(readme_page(), url="https://code.example.org/example/yapapi")
    for p in README + ENV_VARS:
        assert p in doc.text, p
    assert "file_3.py" not in doc.text


GALLERY = [
    "The dawn of the internet brought about a lot of changes, one of them being how easy it is to find things "
    "you never knew existed.",
    "It has never been easier to personalise your whole life with products made for exactly one kind of person "
    "and one kind of problem.",
]
ITEMS = [
    f"Item {i} is perfect for those of us who lose their keys every morning, and it costs less than a lunch in "
    f"town, which makes it a gift that works for almost everyone on the list number {i}."
    for i in range(1, 7)
]


def gallery_page() -> bytes:
    sections = "".join(
        f"<div class='gallery--paragraph-section hidden section-{i}' style='display:none'><h2>Item {i}</h2><p>{p}</p></div>"
        for i, p in enumerate(ITEMS, start=1)
    )
    intro = "".join(f"<p>{p}</p>" for p in GALLERY)
    sidebar = "".join(f"<li><a href='/g{i}'>Another gallery of things number {i}</a></li>" for i in range(6))
    return (
        "<html><head><title>Items we never knew we wanted</title></head><body><main>"
        "<section class='gallery--wrapper'><article class='post'><div class='post_content_wrap'>"
        "<div class='gallery--paragraph'>"
        f"<div class='gallery--paragraph-section section-0'><h1>Items we never knew we wanted</h1>{intro}</div>"
        f"{sections}</div></div></article></section><aside class='sidebar'><ul>{sidebar}</ul></aside></main>"
        "<footer><p>Copyright 2021 The Example. All Rights Reserved.</p></footer></body></html>"
    ).encode()


def test_gallery_intro_in_a_gallery_named_box_stays_with_its_items() -> None:
    doc = extract_article(gallery_page(), url="https://gallery.example.org/items/1/")
    for p in GALLERY:
        assert p in doc.text, p
    assert "All Rights Reserved" not in doc.text


def test_a_comment_box_after_the_article_still_goes_at_the_edge() -> None:
    # The widget-edge rule still drops what trafilatura keeps from a box that holds none of the article.
    comments = "".join(
        f"<div class='comment-body'><p>Comment {i}: I disagree with the author about the pipeline, and I have "
        f"written to the council about it twice this year.</p></div>" for i in range(2)
    )
    page = (
        "<html><body><div class='Layout Layout--sidebarPosition-end'><div class='content'><h1>Water</h1>"
        + "".join(f"<p>{p}</p>" for p in README)
        + f"</div><div class='comments-area'>{comments}</div></div></body></html>"
    ).encode()
    doc = extract_article(page, url="https://news.example.org/water")
    assert README[-1] in doc.text
    assert "I disagree with the author" not in doc.text


def test_a_link_to_the_page_itself_is_not_a_link_list() -> None:
    url = "https://reviews.example.org/reviews/581cf1892ae7"
    tree = _parse(
        "<html><body><h2><a href='/reviews/581cf1892ae7'>This box has changed my life</a></h2>"
        "<h2><a href='/reviews/other'>Another review</a></h2><h2><a href='#top'>Top</a></h2></body></html>"
    )
    density = {b.text: b.link_density for b in _blocks(tree, url)}
    assert density["This box has changed my life"] == 0.0
    assert density["Another review"] == 1.0
    assert density["Top"] == 1.0  # an in-page anchor (a table of contents) is still a link
    assert _self_link("http://[ccpa-preferences]", url) is False  # malformed hrefs do not raise
    assert _self_link("/reviews/581cf1892ae7/", url) is True


def test_review_title_linking_to_its_own_page_stays() -> None:
    title = "This box has changed my life"
    review = (
        "I cannot thank this company enough, what a fantastic idea it is to deliver the exact amounts of every "
        "ingredient with a recipe card, so nothing is wasted and cooking is fun again."
    )
    others = "".join(f"<li><a href='/r{i}'>Read another review number {i}</a></li>" for i in range(6))
    page = (
        "<html><head><title>Review of examplebox.co.uk</title></head><body><nav><ul>" + others + "</ul></nav>"
        "<main><h1>Review of examplebox.co.uk</h1><article class='review'><div class='review-card'>"
        f"<h2 class='review-title'><a href='/reviews/581cf1892ae7'>{title}</a></h2><p>{review}</p>"
        "</div></article></main></body></html>"
    ).encode()
    doc = extract_article(page, url="https://reviews.example.org/reviews/581cf1892ae7")
    assert review in doc.text
    assert title in doc.text


def test_ruby_readings_are_not_text() -> None:
    sentence = "子どもへの虐待をなくすための法律ができて、親が子どもを教育するために体罰を禁止することになりました。"
    ruby = sentence.replace("子", "<ruby>子<rp>(</rp><rt>こ</rt><rp>)</rp></ruby>").replace(
        "法律", "<ruby>法律<rt>ほうりつ</rt></ruby>"
    )
    page = (
        "<html><head><meta charset='utf-8'></head><body><div class='article'>"
        + "".join(f"<p>{ruby}{i}</p>" for i in range(4))
        + "</div></body></html>"
    ).encode()
    doc = extract_article(page, url="https://news.example.jp/easy/1.html")
    assert f"{sentence}0" in doc.text
    assert "ほうりつ" not in doc.text


def test_list_items_trafilatura_writes_with_a_dash_are_matched_to_the_page() -> None:
    # trafilatura writes list items as "- item": a most-read list it kept above the article
    # is still text the page shows only in a link list.
    from tasks.text.extract.trimming import _drop_widget_edges

    widgets = frozenset({"Court rules on a title dispute", "Grandparents may have to pay"})
    paras = ["- Court rules on a title dispute", "- Grandparents may have to pay", *README]
    assert _drop_widget_edges(paras, widgets) == README


@pytest.mark.parametrize("title_h1", [True, False])
def test_other_h1s_are_section_headings_when_one_h1_is_the_title(title_h1: bool) -> None:
    # A theme puts the site name, the post title and a section heading all in <h1>: when one
    # <h1> is the title, "Künstlerischer Lebenslauf" opening the text is the text's own heading.
    # A news page whose one <h1> differs from og:title still loses it (it is the headline).
    heading = "Künstlerischer Lebenslauf"
    h1s = "<h1>Zwei gewinnt | Kabarett</h1><h1>Über uns</h1>" if title_h1 else ""
    page = (
        "<html><head><meta property='og:title' content='Über uns'><title>Über uns</title></head><body>"
        f"<header>{h1s}</header><nav><a href='/'>Start</a> <a href='/blog'>Blog</a></nav><article><h1>{heading}</h1>"
        + "".join(f"<p>{p}</p>" for p in README)
        + "</article></body></html>"
    ).encode()
    doc = extract_article(page, url="https://zweigewinnt.example.org/uber-uns/")
    assert doc.title == "Über uns"
    assert (heading in doc.paragraphs) is title_h1
    assert all(p in doc.paragraphs for p in README)


def test_a_first_line_that_is_the_title_with_a_date_still_goes() -> None:
    title = "MineralölINFO November 2021 (Mineralölabsatz)"
    page = (
        f"<html><head><meta property='og:title' content='{title}'></head><body><article>"
        f"<h1><span>27.01.2022</span>{title}</h1>" + "".join(f"<p>{p}</p>" for p in README) + "</article></body></html>"
    ).encode()
    doc = extract_article(page, url="https://www.amt.example.de/kurzmeldung.html")
    assert doc.title == title and doc.paragraphs[0] == README[0]
