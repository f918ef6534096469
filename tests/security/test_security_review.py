"""Adversarial cases for the review outputs and XLIFF import (beyond the review area's own tests).

The review helper's tests cover a hostile title and segment in a real browser and a
file:// external entity. These add: script URLs in every spelling a browser accepts,
attribute breakouts through every field that reaches an attribute (lang, tgt, source id,
URL), template-injection text, markup that changes the page's base or refreshes it; and
for XLIFF import: external entities and DTDs pointing at a live loopback server (which
must see no request at all), parameter entities, billion laughs, XInclude, and exports
that must stay well-formed whatever the text holds.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree
from lxml import html as lxml_html

from faultserver import FaultServer, Route
from review_support import Sent, store_document
from tasks.translate.memory import open_memory
from tasks.review.export import export_documents
from tasks.review.reviews import XLIFF12_NS, ReviewImportError, import_review, read_xliff_units
from tasks.store.files import latest_document, write_json_atomic

NS = {"x": XLIFF12_NS}

SCRIPT_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "\x01javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "javascript&colon;alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "//evil.example/x",
    "http:evil",
    "https://ok.example/\"onmouseover=\"alert(1)",
    "https://ok.example/'><script>alert(1)</script>",
]

BREAKOUT = '"><script>alert(1)</script><x y=\''
TEXTS = [
    BREAKOUT,
    "</textarea></style></title></h1><script>alert(1)</script>",
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "{{ 'ZQ' * 3 }} {% raw %}x{% endraw %} ${'ZQ'*3} #{'ZQ'*3}",
    "\u2028\u2029 line separators \u202e reversed \ufeff",
    "<iframe src=javascript:alert(1)></iframe><object data=x></object>",
    "<!-- --><![CDATA[ ]]> &amp;lt; &#x3c;script&#x3e;",
]

DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "base", "form", "frame", "frameset", "applet", "svg", "math", "img"}


def _store_hostile(out: Path, url: str, text: str) -> str:
    """A stored document whose URL, title, segment text and every attribute-bound field are hostile."""
    _record, rel = store_document(
        out,
        "hostile-src",
        [Sent(f"Tin nóng {text}", translation=f"Hot news {text}"), Sent("Câu thứ hai.", translation="Second.")],
        url=url if url.startswith(("http://", "https://")) else "https://news.example.vn/a.html",
        title=f"Tiêu đề {text}",
    )
    path = out / rel
    record = json.loads(path.read_text(encoding="utf-8"))
    record["fetch"]["final_url"] = url
    record["document"]["lang"] = BREAKOUT
    record["document"]["page_lang"] = BREAKOUT
    for seg in record["segments"]:
        seg["lang"] = BREAKOUT
        seg["lang_evidence"] = [BREAKOUT]
        if seg.get("translation"):
            seg["translation"]["tgt"] = BREAKOUT
            seg["translation"]["model"] = BREAKOUT
    write_json_atomic(path, record)
    return rel


def _assert_inert(page: Path) -> None:
    raw = page.read_text(encoding="utf-8")
    tree = lxml_html.document_fromstring(raw)
    csp = tree.xpath("//meta[translate(@http-equiv,'CSP','csp')='content-security-policy']/@content")
    assert csp and "default-src 'none'" in csp[0], "the CSP meta is present"
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        assert el.tag.lower() not in DANGEROUS_TAGS, f"<{el.tag}> in {page.name}"
        if el.tag.lower() == "meta":
            assert (el.get("http-equiv") or "").lower() != "refresh"
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), f"event handler attribute {name}={value!r}"
            if name.lower() == "style":
                assert "url(" not in value.lower() and "expression(" not in value.lower(), value
            if name.lower() in ("href", "src", "action", "formaction", "srcdoc", "data"):
                # What a browser would see: control characters and whitespace are dropped.
                seen = "".join(c for c in value if ord(c) > 0x20).lower()
                assert not seen.startswith(("javascript:", "vbscript:", "data:", "//")), f"{name}={value!r}"
                if ":" in seen.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]:
                    assert seen.startswith(("http://", "https://")), f"{name}={value!r}"
    assert "ZQZQZQ" not in raw, "no template evaluation of stored text"


@pytest.mark.parametrize("url", SCRIPT_URLS)
def test_review_page_never_links_script_urls(tmp_path, url):
    out = tmp_path / "out"
    _store_hostile(out, url, BREAKOUT)
    pages = export_documents("html", out, tmp_path / "review")
    for page in pages:
        _assert_inert(page)


@pytest.mark.parametrize("text", TEXTS)
def test_review_page_escapes_hostile_text_in_every_field(tmp_path, text):
    out = tmp_path / "out"
    _store_hostile(out, "https://news.example.vn/a.html", text)
    pages = export_documents("html", out, tmp_path / "review")
    assert len(pages) == 2  # index + one page
    for page in pages:
        _assert_inert(page)
    # The text is still there, as text: a reviewer sees what the page said.
    doc_page = lxml_html.document_fromstring(pages[1].read_text(encoding="utf-8"))
    visible = doc_page.text_content()
    assert "Tin nóng" in visible and text.split("<")[0][:5] in visible


@pytest.mark.parametrize("text", TEXTS)
def test_exports_stay_well_formed_xml_with_hostile_text(tmp_path, text):
    out = tmp_path / "out"
    _store_hostile(out, "https://news.example.vn/a.html", text + "\x00\x07\ud800"[:2])
    for fmt in ("xliff", "tmx"):
        for path in export_documents(fmt, out, tmp_path / fmt):
            parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
            root = etree.parse(str(path), parser).getroot()
            assert root is not None
            assert not list(root.iter("{http://www.w3.org/1999/xhtml}script"))


# --------------------------------------------------------------------------- XLIFF import


def _xliff_with(record: dict, doctype: str, target: str, extra_ns: str = "") -> str:
    seg = record["segments"][0]
    return (
        f'<?xml version="1.0"?>{doctype}'
        f'<xliff version="1.2" xmlns="{XLIFF12_NS}"{extra_ns}><file original="docs/{record["source_id"]}/{record["doc_id"]}/{record["version"]}.json" '
        f'source-language="vi" target-language="en" datatype="plaintext"><body><trans-unit id="{seg["id"]}"><source>{seg["text"]}</source>'
        f'<target state="final">{target}</target></trans-unit></body></file></xliff>'
    )


def _stored(out: Path) -> dict:
    return json.loads((out / latest_document(out, "vn-one")).read_text(encoding="utf-8"))


@pytest.fixture
def one_doc(tmp_path):
    out = tmp_path / "out"
    record, _ = store_document(out, "vn-one", [Sent("Hà Nội là thủ đô.", translation="Hanoi capital.")], url="https://news.example.vn/one.html")
    return out, record


def _import(path: Path, out: Path):
    with open_memory(out / "tm.sqlite") as memory:
        try:
            return import_review(path, out, memory)
        except ReviewImportError:
            return None


def test_xliff_import_never_touches_the_network(tmp_path, one_doc):
    """External entities, external DTDs and parameter entities pointing at a live server: zero requests."""
    out, record = one_doc
    with FaultServer() as srv:
        srv.add("/secret.txt", Route(body=b"NETWORK-SECRET", content_type="text/plain"))
        srv.add("/evil.dtd", Route(body=f'<!ENTITY leak SYSTEM "{srv.url("/secret.txt")}">'.encode(), content_type="application/xml-dtd"))
        cases = {
            "general": (f'<!DOCTYPE xliff [<!ENTITY s SYSTEM "{srv.url("/secret.txt")}">]>', "&s;"),
            "external-dtd": (f'<!DOCTYPE xliff SYSTEM "{srv.url("/evil.dtd")}">', "&leak;"),
            "parameter": (f'<!DOCTYPE xliff [<!ENTITY % p SYSTEM "{srv.url("/evil.dtd")}"> %p;]>', "&leak;"),
            "xinclude": ("", f'<xi:include href="{srv.url("/secret.txt")}" parse="text"/>'),
        }
        for name, (doctype, target) in cases.items():
            path = tmp_path / f"{name}.xlf"
            extra = ' xmlns:xi="http://www.w3.org/2001/XInclude"' if name == "xinclude" else ""
            path.write_text(_xliff_with(record, doctype, target, extra), encoding="utf-8")
            try:
                units = read_xliff_units(path)
            except ReviewImportError:
                units = []
            assert all("NETWORK-SECRET" not in (u.target or "") for u in units), name
            _import(path, out)
            assert srv.requests == [], f"{name}: the importer made a network request: {srv.requests}"
    assert "NETWORK-SECRET" not in json.dumps(_stored(out))


def test_xliff_import_billion_laughs_is_not_expanded(tmp_path, one_doc):
    out, record = one_doc
    ents = ['<!ENTITY l0 "lol">'] + [f'<!ENTITY l{i} "{"".join(f"&l{i-1};" for _ in range(10))}">' for i in range(1, 10)]
    path = tmp_path / "laughs.xlf"
    path.write_text(_xliff_with(record, f"<!DOCTYPE xliff [{''.join(ents)}]>", "&l9;"), encoding="utf-8")
    try:
        units = read_xliff_units(path)
    except ReviewImportError:
        units = []
    assert all(len(u.target or "") < 10_000 for u in units)
    _import(path, out)
    stored = json.dumps(_stored(out))
    assert "lollollol" not in stored and len(stored) < 100_000


def test_xliff_import_quadratic_blowup_entity_is_bounded(tmp_path, one_doc):
    """One 50 kB internal entity referenced 5,000 times (no nesting) must not expand to 250 MB."""
    out, record = one_doc
    path = tmp_path / "quadratic.xlf"
    path.write_text(_xliff_with(record, f'<!DOCTYPE xliff [<!ENTITY a "{"a" * 50_000}">]>', "&a;" * 5_000), encoding="utf-8")
    try:
        units = read_xliff_units(path)
    except ReviewImportError:
        units = []
    assert all(len(u.target or "") < 1_000_000 for u in units)
    _import(path, out)
    assert len(json.dumps(_stored(out))) < 1_000_000


@pytest.mark.parametrize(
    "original",
    ["../../etc/passwd", "/etc/passwd", "docs/../../../etc/x.json", "docs/vn-one/../../x/y.json", "docs\\vn-one\\a\\b.json",
     "docs/vn-one/a/b.json\n", "file:///etc/passwd", "docs/VN-ONE/a/b.json"],
)
def test_xliff_import_refuses_hostile_document_paths(tmp_path, one_doc, original):
    out, record = one_doc
    seg = record["segments"][0]
    path = tmp_path / "path.xlf"
    path.write_text(
        f'<xliff version="1.2" xmlns="{XLIFF12_NS}"><file original="{original}" source-language="vi" datatype="plaintext">'
        f'<body><trans-unit id="{seg["id"]}"><source>{seg["text"]}</source><target state="final">x</target></trans-unit></body></file></xliff>',
        encoding="utf-8",
    )
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    with open_memory(out / "tm.sqlite") as memory, pytest.raises(ReviewImportError):
        import_review(path, out, memory)
    after = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".sqlite" and "tm.sqlite" not in p.name}
    assert all(before.get(p) == m for p, m in after.items()), "nothing rewritten"
