"""A hostile site through the whole flow: every page ends stored or rejected with a reason, never "failed".

The stage-level properties live in test_hostile_inputs.py; this checks the promise an
operator sees: a night of broken and malicious pages is an ordinary, green run. Real
flow, real Prefect harness, real loopback server, tiny real models.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from faultserver import FaultServer, Route, html_page

pytestmark = pytest.mark.slow

GOOD = "Hợp tác khoa học công nghệ giữa Việt Nam và Quảng Tây được đẩy mạnh trong năm nay, với nhiều dự án chung."
RTL = "\u202eمرحبا بالعالم\u202c هذا نص عربي طويل بما يكفي ليكون فقرة كاملة في المقال. \u2067עברית\u2069 English words too."

PAGES: dict[str, tuple[bytes, str]] = {
    # id: (body, content type)
    "random-bytes": (os.urandom(4096), "text/html"),
    "nul-bytes": (("<html><body><article><p>" + GOOD.replace(" ", "\x00 ") + "</p></article></body></html>").encode(), "text/html; charset=utf-8"),
    "only-nuls": (b"\x00" * 20_000, "text/html"),
    "nested-5000": (("<html><body>" + "<div>" * 5000 + f"<p>{GOOD}</p>" + "</div>" * 5000 + "</body></html>").encode(), "text/html; charset=utf-8"),
    "one-mb-line": (("<html><head><title>Một dòng</title></head><body><p>" + (GOOD + " ") * 9000 + "</p></body></html>").encode(), "text/html; charset=utf-8"),
    "truncated-gb18030": (("<html><head><meta charset=gb2312></head><body><p>" + "中越职业教育合作论坛在南宁举行。" * 20 + "</p></body></html>").encode("gb18030")[:301], "text/html"),
    "utf16-no-bom": (("<html><body><p>" + GOOD + "</p></body></html>").encode("utf-16-le"), "text/html"),
    "rtl-mixed": (f"<html dir=rtl><body><article><p>{RTL}</p><p>{RTL}</p></article></body></html>".encode(), "text/html; charset=utf-8"),
    "xxe": (b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><html><body><p>&e; " + GOOD.encode() + b"</p></body></html>", "application/xhtml+xml"),
    "script-title": (html_page("<script>alert(1)</script>\u202e", [GOOD]).encode(), "text/html; charset=utf-8"),
    "bogus-charset": (html_page("Tiêu đề", [GOOD], meta_charset="x-no-such-charset").encode(), "text/html; charset=also-bogus"),
    "control-chars": (html_page("T\x07i\x1bêu", [GOOD + "\x01\x02\x7f"]).encode(), "text/html; charset=utf-8"),
    "empty-html": (b"<html><body></body></html>", "text/html; charset=utf-8"),
    "good": (html_page("Tin tốt", [GOOD, GOOD.replace("năm nay", "năm sau")]).encode(), "text/html; charset=utf-8"),
}


def test_hostile_site_is_an_ordinary_green_run(prefect_harness, argos_test_models, tmp_path):
    from flows.nightly import nightly_crawl

    out = tmp_path / "out"
    with FaultServer() as srv:
        srv.robots("User-agent: *\nAllow: /\n")
        lines = ["defaults:", "  min_delay_seconds: 0", "  timeout_seconds: 10", "sources:"]
        for sid, (body, ctype) in PAGES.items():
            url = srv.add(f"/{sid}.html", Route(body=body, content_type=ctype))
            lines += [f"  - id: {sid}", f"    url: {url}"]
        sources = tmp_path / "sources.yaml"
        sources.write_text("\n".join(lines) + "\n", encoding="utf-8")
        summary = nightly_crawl(sources_file=str(sources), output=str(out))  # raises FlowFailed on any "failed"

    manifest = json.loads((Path(summary["run_dir"]) / "manifest.json").read_text(encoding="utf-8"))
    outcomes = {o["id"]: o for o in manifest["sources"]}
    assert set(outcomes) == set(PAGES)
    for sid, o in outcomes.items():
        assert o["status"] in ("new", "rejected"), (sid, o)
        if o["status"] == "rejected":
            assert o["reason"] and " " not in o["reason"], (sid, o)
        else:
            record = json.loads((out / o["document"]).read_text(encoding="utf-8"))
            text = record["document"]["text"] + (record["document"]["title"] or "")
            assert "root:" not in text  # no external entity was read
            assert not any(ord(c) < 0x20 and c not in "\t\n\r" for c in text), sid
    assert outcomes["good"]["status"] == "new"
    assert outcomes["empty-html"]["status"] == "rejected"
    assert summary["failed"] == 0
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def test_a_foreign_language_without_a_model_is_left_untranslated_not_fatal(argos_test_models):
    """One Arabic page used to fail the whole run with MissingModelError(ar→en)."""
    from tasks.models import Segment
    from tasks.translate.engine import translate_segments

    def seg(i: int, text: str, lang: str) -> Segment:
        return Segment(id=f"d:{i}:0", paragraph=i, sentence=0, start=0, end=len(text), text=text, lang=lang)

    segs = [seg(0, "مرحبا بالعالم", "ar"), seg(1, "Привет, мир", "ru"), seg(2, "Hà Nội là thủ đô.", "vi"), seg(3, "Hello.", "en")]
    stats = translate_segments(segs, "en", None)
    assert segs[0].translation is None and segs[1].translation is None
    assert stats.untranslated_reasons == {"no_model:ar": 1, "no_model:ru": 1}
    assert segs[2].translation is not None and segs[2].translation.model.startswith("argos:vi-en")
    assert segs[3].translation is not None and segs[3].translation.model == "copy"
