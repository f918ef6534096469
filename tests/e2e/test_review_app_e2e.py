"""The browser review app end to end: `newsbridge run` crawls a normal and a hostile page from a
loopback site, `newsbridge review serve` serves the result, a translator edits a row in real
Chromium, the page's own API answers 200 / 409 (stale) / 403 (no CSRF token), and
`newsbridge run --force` keeps the reviewed text. No script from page text ever runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from review_app_support import ROOT, press, review_server, select_all, type_text, wait_for
from review_support import Chromium, chromium_binary
from review_support import HOSTILE_PAGE, HOSTILE_PAGE_TITLE, serve

pytestmark = pytest.mark.slow
EDIT = "On 20 February 2025, in Hanoi, the Ministry met the Guangxi delegation."
NO_DIALOGS = "window.alert = window.confirm = window.prompt = function () { window.__dialog = 1; };"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def _latest(out: Path, source_id: str) -> dict:
    rel = json.loads((out / "docs" / source_id / "latest.json").read_text())["path"]
    return json.loads((out / rel).read_text())


def _post_from_page(browser: Chromium, segment_id: str, body: dict, with_token: bool = True) -> list:
    """POST through the page's own fetch (same origin), with the CSRF token from its meta tag: [status, json]."""
    headers = "{'Content-Type': 'application/json'" + (", 'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content" if with_token else "") + "}"
    expr = (
        f"fetch('/api/segments/' + encodeURIComponent({json.dumps(segment_id)}), {{method: 'POST', headers: {headers},"
        f" body: JSON.stringify({json.dumps(body)})}}).then(r => r.json().then(j => [r.status, j]))"
    )
    result = browser.call("Runtime.evaluate", expression=expr, awaitPromise=True, returnByValue=True)
    assert "exceptionDetails" not in result, result
    return result["result"]["value"]


def test_crawl_review_in_chromium_then_forced_recrawl(argos_test_models, tmp_path: Path) -> None:
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
        crawl = _cli("run", "--sources", str(sources), "--output", str(out), "--quiet")
        assert crawl.returncode == 0, crawl.stderr[-3000:]
        assert _latest(out, "vi-hostile")["document"]["title"].startswith("<script>")

        with review_server(out) as app, Chromium(chromium_binary(), tmp_path / "profile") as browser:
            browser.call("Page.addScriptToEvaluateOnNewDocument", source=NO_DIALOGS)
            browser.open(app)
            links = browser.evaluate("[...document.querySelectorAll('a[data-source-id]')].map(a => [a.dataset.sourceId, a.getAttribute('href'), a.textContent])")
            by_source = {sid: (href, text) for sid, href, text in links}
            assert set(by_source) == {"vi-normal", "vi-hostile"}
            assert by_source["vi-hostile"][1] == HOSTILE_PAGE_TITLE

            doc_url = app.rstrip("/") + by_source["vi-normal"][0]
            browser.open(doc_url)
            row = "document.querySelectorAll('[data-segment-id]')[1]"
            seg_id = browser.evaluate(f"{row}.dataset.segmentId")
            old_version = browser.evaluate(f"{row}.dataset.version")
            # keyboard: two rows down, edit, replace the text, Enter saves as reviewed
            press(browser, "ArrowDown")
            press(browser, "ArrowDown")
            press(browser, "Enter")
            select_all(browser)
            type_text(browser, EDIT)
            press(browser, "Enter")
            wait_for(browser, f"{row}.dataset.state === 'reviewed' && {row}.dataset.version !== {json.dumps(old_version)}")

            # the page's own API: the same stale version is refused, nothing overwritten; no CSRF token: 403
            status, body = _post_from_page(browser, seg_id, {"text": "A stale overwrite.", "state": "final", "version": old_version})
            assert status == 409 and body["current"]["text"] == EDIT
            fresh = browser.evaluate(f"{row}.dataset.version")
            status, _ = _post_from_page(browser, seg_id, {"text": "No token.", "state": "final", "version": fresh}, with_token=False)
            assert status == 403

            browser.open(doc_url)  # reload: the edit is shown
            assert browser.evaluate(f"{row}.querySelector('[data-target]').textContent") == EDIT
            assert browser.evaluate(f"{row}.dataset.state") == "reviewed"

            browser.open(app.rstrip("/") + by_source["vi-hostile"][0])
            assert browser.evaluate("document.querySelector('h1').textContent") == HOSTILE_PAGE_TITLE
            assert browser.evaluate("typeof window.__xss") == "undefined"
            assert browser.evaluate("typeof window.__dialog") == "undefined"
            assert browser.evaluate("document.querySelectorAll('script').length") == 1

        seg = next(s for s in _latest(out, "vi-normal")["segments"] if s["id"] == seg_id)
        assert (seg["translation"]["text"], seg["translation"]["state"]) == (EDIT, "reviewed")

        forced = _cli("run", "--sources", str(sources), "--output", str(out), "--force", "--quiet")
        assert forced.returncode == 0, forced.stderr[-3000:]
    seg = next(s for s in _latest(out, "vi-normal")["segments"] if s["id"] == seg_id)
    assert (seg["translation"]["text"], seg["translation"]["state"]) == (EDIT, "reviewed")
    assert seg["translation"]["reviewed_by"] == "tester"
