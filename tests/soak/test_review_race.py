"""Reviews never lost to a racing crawl: saves over real HTTP while a forced crawl rewrites the same documents.

`newsbridge run` stores N documents; `newsbridge review serve` serves them; then forced
re-crawls (`newsbridge run --force`, real processes) rewrite every document while a client
saves reviews to the same documents in a loop, the way the browser page does (GET the
page for the CSRF token and row versions, POST /api/segments/<id>; a 409 means the row
changed: reload and save again). Bounded: the loop ends with the crawls. Then every
successful save is in the latest stored document (the last one per segment), in the
translation memory and in the audit log. The crawl's store and the save serialise on one
per-document lock (tasks/store/locks.py).
"""

from __future__ import annotations

import html as html_lib
import json
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from faultserver import FaultServer
from news_site import story_text
from review_app_support import ROOT, page_meta, review_server

pytestmark = pytest.mark.slow
DOCS = 8
CRAWLS = 2
MAX_SAVES = 400


def _latest(out: Path, source_id: str) -> dict:
    rel = json.loads((out / "docs" / source_id / "latest.json").read_text())["path"]
    return json.loads((out / rel).read_text())


def _page(seed: int) -> str:
    paragraphs: list[str] = []
    for k in range(3):  # more segments: a longer store, a wider window for a race
        paragraphs += story_text(seed * 10 + k)["vi"][1]
    title = story_text(seed * 10)["vi"][0]
    body = "".join(f"<p>{html_lib.escape(p)}</p>" for p in paragraphs)
    return f'<html lang="vi"><head><meta charset="utf-8"><title>{html_lib.escape(title)}</title></head><body><article><h1>{html_lib.escape(title)}</h1>{body}</article></body></html>'


def _run(sources: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flows.cli", "run", "--sources", str(sources), "--output", str(out), "--quiet", *extra],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_review_saves_racing_forced_recrawls_are_never_lost(argos_test_models, tmp_path: Path) -> None:
    from tasks.models import Translation
    from tasks.review.reviews import AUDIT_LOG, memory_key
    from tasks.translate.memory import open_memory

    out = tmp_path / "out"
    sources = tmp_path / "sources.yaml"
    with FaultServer() as site:
        site.robots("User-agent: *\nAllow: /\n")
        lines = ["defaults:", "  min_delay_seconds: 0.0", "sources:"]
        for i in range(DOCS):
            url = site.page(f"/bai-{i}.html", _page(i))
            lines += [f"  - id: doc-{i}", f"    url: {url}", "    lang: vi"]
        sources.write_text("\n".join(lines) + "\n", encoding="utf-8")
        first = _run(sources, out)
        assert first.returncode == 0, first.stderr[-3000:]
        # Segments whose source sentence occurs once: the memory is keyed by source text, so a
        # review of a repeated sentence rightly reaches its other occurrences on the next crawl.
        texts: dict[str, list[str]] = {}
        for i in range(DOCS):
            for seg in _latest(out, f"doc-{i}")["segments"]:
                if seg.get("translation"):
                    texts.setdefault(seg["text"], []).append(seg["id"])
        unique = {ids[0] for ids in texts.values() if len(ids) == 1}

        saves: list[tuple[str, str, str, str]] = []  # (source id, segment id, text, state) answered 200
        conflicts = [0]
        stop = threading.Event()

        def client(app: str) -> None:
            with httpx.Client(base_url=app, timeout=60) as http:
                n = 0
                while not stop.is_set() and len(saves) < MAX_SAVES:
                    sid = f"doc-{n % DOCS}"
                    meta = page_meta(http.get(f"/doc/{sid}").text)
                    rows = [r for r in meta["rows"] if r[0] in unique]
                    seg_id, version, _ = rows[(n // DOCS) % len(rows)]
                    text, state = f"Bản duyệt {n} của {seg_id}.", "reviewed"
                    r = http.post(f"/api/segments/{seg_id}", json={"text": text, "state": state, "version": version},
                                  headers={"X-CSRF-Token": str(meta["csrf"])})
                    if r.status_code == 200:
                        saves.append((sid, seg_id, text, state))
                    else:
                        assert r.status_code == 409, r.text  # the row changed under us: reload, save again
                        conflicts[0] += 1
                    n += 1

        with review_server(out) as app:
            worker = threading.Thread(target=client, args=(app,), daemon=True)
            worker.start()
            try:
                for _ in range(CRAWLS):
                    forced = _run(sources, out, "--force")
                    assert forced.returncode == 0, forced.stderr[-3000:]
            finally:
                stop.set()
                worker.join(timeout=120)
            assert not worker.is_alive()

    assert len(saves) >= DOCS, (len(saves), conflicts)
    last: dict[str, tuple[str, str, str]] = {}
    for sid, seg_id, text, state in saves:
        last[seg_id] = (sid, text, state)
    audit = [json.loads(line) for line in (out / AUDIT_LOG).read_text(encoding="utf-8").splitlines() if line]
    audited = {(a["segment_id"], a["new"]["text"], a["new"]["state"]) for a in audit}
    for sid, seg_id, text, state in saves:
        assert (seg_id, text, state) in audited, (seg_id, text)
    with open_memory(out / "tm.sqlite") as memory:
        for seg_id, (sid, text, state) in last.items():
            seg = next(s for s in _latest(out, sid)["segments"] if s["id"] == seg_id)
            tr = seg["translation"]
            assert (tr["text"], tr["state"]) == (text, state), (seg_id, tr, text)
            entry = memory.get(*memory_key(seg["text"], Translation.model_validate(tr)), tr["model"])
            assert entry is not None and (entry.text, entry.state) == (text, state), (seg_id, entry, text)
