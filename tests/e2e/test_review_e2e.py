"""The issue's acceptance check, end to end on the real flow: crawl hostile and normal pages from a
loopback site, export TMX/XLIFF/HTML with the CLI, validate, mark one XLIFF target final, import it,
force a re-crawl, and find the reviewed text still stored; no script or handler from page text in HTML."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import lxml.html
import pytest
from lxml import etree

from review_support import HOSTILE_PAGE, Chromium, chromium_binary, serve, tmx14_dtd, xliff12_schema

ROOT = Path(__file__).resolve().parents[2]
NS = {"x": "urn:oasis:names:tc:xliff:document:1.2"}
pytestmark = pytest.mark.slow

def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def _latest(out: Path, source_id: str) -> dict:
    rel = json.loads((out / "docs" / source_id / "latest.json").read_text())["path"]
    return json.loads((out / rel).read_text())


def test_export_review_import_forced_recrawl(prefect_harness, argos_test_models, tmp_path: Path) -> None:
    from flows.nightly import nightly_crawl

    pages = {
        "/vi-normal.html": (ROOT / "flows" / "demo_site" / "vi-hop-tac-khoa-hoc.html").read_bytes(),
        "/vi-hostile.html": HOSTILE_PAGE,
        "/robots.txt": b"User-agent: *\nAllow: /\n",
    }
    out = tmp_path / "out"
    with serve(pages) as base:
        sources = tmp_path / "sources.yaml"
        sources.write_text(
            "defaults:\n  min_delay_seconds: 0.0\nsources:\n"
            f"  - id: vi-normal\n    url: {base}/vi-normal.html\n    lang: vi\n"
            f"  - id: vi-hostile\n    url: {base}/vi-hostile.html\n    lang: vi\n",
            encoding="utf-8",
        )
        nightly_crawl(sources_file=str(sources), output=str(out))
        hostile = _latest(out, "vi-hostile")
        assert hostile["document"]["title"].startswith("<script>")
        assert any("onerror" in s["text"] for s in hostile["segments"])

        # export all three formats with the CLI and validate
        for fmt in ("tmx", "xliff", "html"):
            proc = _cli("export", "--format", fmt, "--output", str(out), "--to", str(tmp_path / fmt))
            assert proc.returncode == 0, proc.stderr
        tmx = sorted((tmp_path / "tmx").glob("*.tmx"))
        assert [p.name for p in tmx] == ["vi-en.tmx"]
        assert tmx14_dtd().validate(etree.parse(str(tmx[0])))
        xliffs = sorted((tmp_path / "xliff").glob("*/*.xlf"))
        assert len(xliffs) == 2
        for path in xliffs:
            assert xliff12_schema().validate(etree.parse(str(path))), path

        # a reviewer marks one target of the normal article final, with new text
        (normal_xlf,) = (tmp_path / "xliff" / "vi-normal").glob("*.xlf")
        tree = etree.parse(str(normal_xlf))
        unit = tree.getroot().findall(".//x:trans-unit", NS)[1]
        target = unit.find("x:target", NS)
        target.text, target.attrib["state"] = "On 20 February 2025 in Hanoi, the Ministry met the Guangxi delegation.", "final"
        target.attrib.pop("state-qualifier", None)
        tree.write(str(normal_xlf), xml_declaration=True, encoding="UTF-8")
        proc = _cli("review", "import", str(normal_xlf), "--output", str(out), "--json")
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["applied"] == 1

        # forced re-crawl: the reviewed text is still in the stored document
        nightly_crawl(sources_file=str(sources), output=str(out), force=True)
    seg = next(s for s in _latest(out, "vi-normal")["segments"] if s["id"] == unit.get("id"))
    assert seg["translation"]["text"] == "On 20 February 2025 in Hanoi, the Ministry met the Guangxi delegation."
    assert seg["translation"]["state"] == "final"

    # the HTML, exported again after the re-crawl: page text never becomes markup
    proc = _cli("export", "--format", "html", "--output", str(out), "--to", str(tmp_path / "html2"))
    assert proc.returncode == 0, proc.stderr
    pages_html = sorted((tmp_path / "html2").rglob("*.html"))
    assert len(pages_html) == 3
    for path in pages_html:
        tree = lxml.html.fromstring(path.read_text(encoding="utf-8"))
        assert tree.xpath("//script|//img|//svg|//iframe") == []
        assert not [a for el in tree.iter() if isinstance(el.tag, str) for a in el.attrib if a.lower().startswith("on")]
        assert not [h for h in tree.xpath("//a/@href") if h.lower().startswith("javascript")]
    hostile_page = tmp_path / "html2" / "vi-hostile" / f"{hostile['doc_id']}.html"
    with Chromium(chromium_binary(), tmp_path / "profile") as browser:
        browser.open(hostile_page.as_uri())
        assert browser.evaluate("document.querySelector('h1').textContent").startswith("<script>alert(1)</script>")
        assert browser.evaluate("typeof window.__xss") == "undefined"
        assert browser.evaluate("document.querySelectorAll('.row:not(.head)').length") == len(hostile["segments"])
