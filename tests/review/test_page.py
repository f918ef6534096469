"""The static review pages: escaped, scriptless, phone-readable; checked in real headless Chromium."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

from review_support import HOSTILE_SEGMENT, HOSTILE_TITLE, Chromium, Sent, chromium_binary, store_document, store_story_pivot
from tasks.review.export import export_documents
from tasks.review.page import web_href

SENTS = [
    Sent("Hà Nội là thủ đô của Việt Nam.", translation="Hanoi is the capital of Vietnam."),
    Sent("Bộ họp báo chiều nay.", translation="The Ministry held a press conference.", state="final"),
    Sent(HOSTILE_SEGMENT, translation='<img src=x onerror="window.__xss=4"><a href="javascript:window.__xss=5">click</a>'),
    Sent("Giá vàng tăng.", translation="Gold rose.", state="needs-review", reference="<script>window.__xss=6</script>"),
    Sent("Already English.", "en", translation="Already English."),
    Sent("Không có mô hình.", "vi"),
]
HOSTILE_URL = "javascript:window.__xss=7//https://news.example.vn/x.html"


@pytest.fixture()
def site(tmp_path: Path) -> dict:
    out = tmp_path / "output"
    hostile, _ = store_document(out, "vn-hostile", SENTS, title=HOSTILE_TITLE)
    plain, _ = store_document(out, "vn-plain", SENTS[:2], url="https://news.example.vn/plain.html", title="Tin thường")
    # a crawled record whose URL is not a web URL must not become a link
    bad, _ = store_document(out, "vn-badurl", SENTS[:1], url=HOSTILE_URL, title="bad url")
    paths = export_documents("html", out, tmp_path / "html")
    return {"out": out, "paths": paths, "hostile": hostile, "plain": plain, "bad": bad, "to": tmp_path / "html"}


def _page(site: dict, record: dict) -> Path:
    return site["to"] / record["source_id"] / f"{record['doc_id']}.html"


def test_pages_escape_everything_and_contain_no_script(site: dict) -> None:
    assert site["paths"][0] == site["to"] / "index.html"
    assert len(site["paths"]) == 4
    for path in site["paths"]:
        html = path.read_text(encoding="utf-8")
        tree = lxml.html.fromstring(html)
        assert tree.xpath("//script") == []
        assert tree.xpath("//iframe|//object|//embed|//img|//svg|//form") == []
        for el in tree.iter():
            if not isinstance(el.tag, str):
                continue
            for attr in el.attrib:
                assert not attr.lower().startswith("on"), (path, el.tag, attr)
        for href in tree.xpath("//a/@href"):
            assert href.startswith(("https://", "http://")) or not (":" in href.split("/")[0]), href
            assert "javascript" not in href.lower()
        assert tree.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")[0].startswith("default-src 'none'")
        assert tree.xpath("//meta[@name='viewport']")
    page = lxml.html.fromstring(_page(site, site["hostile"]).read_text(encoding="utf-8"))
    assert page.xpath("string(//h1)") == HOSTILE_TITLE  # shown as text
    assert HOSTILE_SEGMENT.split(">")[0] in page.text_content()
    assert page.xpath("//a[text()='original page']/@href") == ["https://news.example.vn/vn-hostile.html"]
    raw = page.xpath("//a[text()='raw snapshot']/@href")[0]
    assert (_page(site, site["hostile"]).parent / raw).resolve() == (site["out"] / site["hostile"]["fetch"]["raw_path"]).resolve()
    bad = lxml.html.fromstring(_page(site, site["bad"]).read_text(encoding="utf-8"))
    assert bad.xpath("//a[text()='original page']") == []
    assert HOSTILE_URL in bad.text_content()  # shown, not linked


@pytest.mark.parametrize(
    "url, ok",
    [
        ("https://a.example/x", True),
        ("http://a.example", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        (" https://a.example/", False),
        ("java\nscript:alert(1)", False),
        ("data:text/html,<script>", False),
        ("//a.example/x", False),
        ("https:///nohost", False),
        ("file:///etc/passwd", False),
        (None, False),
    ],
)
def test_only_absolute_http_urls_become_links(url: str | None, ok: bool) -> None:
    assert (web_href(url) is not None) is ok


def test_review_page_in_headless_chromium(site: dict, tmp_path: Path) -> None:
    hostile_page = _page(site, site["hostile"])
    # the same page with its Content-Security-Policy removed: escaping alone must hold
    no_csp = hostile_page.with_name("no-csp.html")
    html = hostile_page.read_text(encoding="utf-8")
    start = html.index('<meta http-equiv="Content-Security-Policy"')
    no_csp.write_text(html[:start] + html[html.index(">", start) + 1 :], encoding="utf-8")
    # positive control: unescaped markup in the same directory DOES run, so the check can fail
    control = hostile_page.with_name("control.html")
    control.write_text('<!DOCTYPE html><title>c</title><img src=x onerror="window.__xss=1">', encoding="utf-8")

    with Chromium(chromium_binary(), tmp_path / "profile") as browser:
        browser.open(control.as_uri())
        assert browser.evaluate("window.__xss") == 1

        for page in (hostile_page, no_csp):
            browser.open(page.as_uri())
            assert browser.evaluate("typeof window.__xss") == "undefined", page
            assert browser.evaluate("document.querySelectorAll('script, img, svg, iframe').length") == 0
            assert browser.evaluate("document.querySelector('h1').textContent") == HOSTILE_TITLE
            assert browser.evaluate("document.querySelectorAll('.row:not(.head)').length") == len(SENTS)
            badges = browser.evaluate("[...document.querySelectorAll('.row:not(.head) .badge')].map(b => b.textContent)")
            assert badges == ["mt", "final", "mt", "needs-review", "copy", "untranslated"]
            assert browser.evaluate("document.querySelector('.ref').textContent") == "previously reviewed: <script>window.__xss=6</script>"
            hrefs = browser.evaluate("[...document.links].map(a => a.protocol)")
            assert set(hrefs) <= {"https:", "http:", "file:"}
            # the hostile <a href="javascript:..."> in a translation is text, not a link
            assert browser.evaluate("document.querySelectorAll('.rows a').length") == 0

        # phone: at 375 px the two columns stack and nothing scrolls sideways
        browser.call("Emulation.setDeviceMetricsOverride", width=375, height=740, deviceScaleFactor=2, mobile=True)
        browser.open(hostile_page.as_uri())
        assert browser.evaluate("document.documentElement.scrollWidth") <= 375
        stacked = browser.evaluate(
            "(() => { const c = document.querySelectorAll('.row:not(.head)')[0].querySelectorAll('.cell');"
            " return c[1].getBoundingClientRect().top > c[0].getBoundingClientRect().bottom - 1; })()"
        )
        assert stacked is True

        browser.call("Emulation.clearDeviceMetricsOverride")
        browser.open((site["to"] / "index.html").as_uri())
        titles = browser.evaluate("[...document.querySelectorAll('table.index tbody a')].map(a => a.textContent)")
        assert sorted(titles) == sorted([HOSTILE_TITLE, "Tin thường", "bad url"])
        assert browser.evaluate("typeof window.__xss") == "undefined"


def test_story_page_has_three_columns(tmp_path: Path) -> None:
    out = tmp_path / "output"
    vi_doc, en_ids = store_story_pivot(out)
    story = {
        "id": "forum",
        "pivot_source": "en-version",
        "links": [
            {"src": [f"{vi_doc}:0:0"], "tgt": [en_ids[0]], "score": 0.9, "method": "length+anchors"},
            {"src": [f"{vi_doc}:1:0"], "tgt": [en_ids[1]], "score": 0.6, "method": "mt-bridge"},
            {"src": [f"{vi_doc}:2:0"], "tgt": [], "score": 0.0, "method": "length+anchors"},
        ],
    }
    vi, _ = store_document(
        out,
        "vn-forum",
        [
            Sent("Hà Nội đăng cai diễn đàn.", translation="Hanoi hosts the forum."),
            Sent("Mười nước tham dự.", translation="Ten countries attend.", state="reviewed"),
            Sent("Câu thêm.", translation="Extra sentence."),
        ],
        story=story,
    )
    export_documents("html", out, tmp_path / "html")
    page = lxml.html.fromstring((tmp_path / "html" / "vn-forum" / f"{vi['doc_id']}.html").read_text(encoding="utf-8"))
    head = [c.text_content().strip() for c in page.xpath("//div[contains(@class,'head')]/div")]
    assert head == ["original", "human version (en-version, en)", "machine translation"]
    rows = page.xpath("//div[@class='rows']/div[contains(@class,'row') and not(contains(@class,'head'))]")
    assert len(rows) == 3
    cells = [[c.text_content() for c in r.xpath("./div")] for r in rows]
    assert "Hà Nội đăng cai diễn đàn." in cells[0][0] and "Hanoi hosted the forum." in cells[0][1] and "Hanoi hosts the forum." in cells[0][2]
    assert "mt-bridge" in cells[1][1] and "0.60" in cells[1][1] and "reviewed" in cells[1][2]
    assert "Câu thêm." in cells[2][0] and "Extra sentence." in cells[2][2]


def test_test_model_translations_are_flagged_on_the_page():
    from tasks.review.page import test_models_of
    from tasks.translate.testmodels import TEST_PACKAGE_VERSION

    from tasks.models import Provenance, Segment, Translation
    from tasks.store.document import StoredDocument

    def seg(n: int, model: str | None) -> Segment:
        tr = Translation(text="x", src="vi", tgt="en", model=model, engine="e") if model else None
        return Segment(id=f"d:{n}:0", paragraph=n, sentence=0, start=0, end=1, text="x", translation=tr)

    record = StoredDocument(
        source_id="s", url="https://a.example/", doc_id="d", version="v", provenance=Provenance(newsbridge="t", extractor="t", detector="t"),
        segments=[seg(0, f"argos:vi-en@{TEST_PACKAGE_VERSION}"), seg(1, "argos:zh-en@1.9"), seg(2, None)],
    )
    assert test_models_of(record) == [f"argos:vi-en@{TEST_PACKAGE_VERSION}"]
    assert test_models_of(record.model_copy(update={"segments": record.segments[1:]})) == []
