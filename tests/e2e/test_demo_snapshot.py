"""`make demo` writes the same documents, TMX, XLIFF and review pages as the committed snapshot.

The snapshot (tests/fixtures/demo_snapshot/) is the demo's output normalized by
tests/demo_snapshot.py: the site's port, document ids, run ids and timestamps replaced
by placeholders, everything else byte for byte. It was taken before the issue-27 move
(commit ad701d1) and checked equal after it.

When the demo's output changes ON PURPOSE (alignment, pairing, a record field, a demo
page), regenerate it deliberately and commit the reviewed diff with the change:

    PYTHONPATH=. .venv/bin/python tests/demo_snapshot.py
    git diff tests/fixtures/demo_snapshot/
"""

from __future__ import annotations

import difflib
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import demo_snapshot  # noqa: E402  (tests/demo_snapshot.py: the normalizer and the regeneration script)

pytestmark = pytest.mark.slow


def test_normalizer_keeps_what_matters_and_drops_what_changes_every_run(tmp_path):
    # control: a changed translation is a difference, a changed port or timestamp is not
    out = tmp_path / "out"
    (out / "docs" / "s").mkdir(parents=True)
    (out / "docs" / "s" / "latest.json").write_text('{"path": "docs/s/abc123/v1.json"}', encoding="utf-8")
    (out / "docs" / "s" / "abc123").mkdir()
    record = '{"doc_id": "abc123", "source_id": "s", "url": "http://127.0.0.1:%d/a", "at": "%s", "t": "%s"}'
    path = out / "docs" / "s" / "abc123" / "v1.json"
    path.write_text(record % (4001, "2026-12-08T00:04:56.246313+00:00", "one"), encoding="utf-8")
    first = demo_snapshot.as_snapshot(demo_snapshot.normalized(out))
    path.write_text(record % (4002, "2027-01-01T10:00:00Z", "one"), encoding="utf-8")
    assert demo_snapshot.as_snapshot(demo_snapshot.normalized(out)) == first
    assert "docs/s/DOC-s/v1.json" in first and "abc123" not in first["docs/s/DOC-s/v1.json"]
    path.write_text(record % (4002, "2027-01-01T10:00:00Z", "two"), encoding="utf-8")
    assert demo_snapshot.as_snapshot(demo_snapshot.normalized(out)) != first


def test_demo_output_matches_the_snapshot(prefect_harness, tmp_path, monkeypatch):
    from prefect.settings import PREFECT_API_URL

    # the harness's Prefect API: no temporary server start inside the demo's process
    monkeypatch.setenv("PREFECT_API_URL", str(PREFECT_API_URL.value()))
    monkeypatch.setenv("PREFECT_HOME", os.environ["PREFECT_HOME"])
    out = tmp_path / "demo"
    demo_snapshot.run_demo(out)
    got = demo_snapshot.as_snapshot(demo_snapshot.normalized(out))
    want = demo_snapshot.read_snapshot()
    assert want, "tests/fixtures/demo_snapshot/ is missing: run tests/demo_snapshot.py"
    assert sorted(got) == sorted(want), "the demo wrote other files than the snapshot has"
    changed = [
        "".join(difflib.unified_diff(want[rel].splitlines(True), got[rel].splitlines(True), rel, rel, n=1))[:2000]
        for rel in sorted(want)
        if got[rel] != want[rel]
    ]
    assert not changed, "demo output differs from the snapshot (regenerate it if on purpose):\n" + "\n".join(changed)
