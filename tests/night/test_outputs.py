"""The translators' outputs after a run (tasks/night/outputs.py): what `newsbridge export`
writes, but only for what changed — an unchanged document is neither read nor rewritten."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "stored_document.json"


def store(out: Path, source_id: str, version: str, edit: str = "") -> str:
    """A stored document (a real record of the demo, under another source id and version)."""
    from tasks.store.document import parse_document, write_document

    record = copy.deepcopy(json.loads(FIXTURE.read_text(encoding="utf-8")))
    record.update(source_id=source_id, version=version, doc_id=f"{source_id}-doc", url=f"http://127.0.0.1:8000/{source_id}.html")
    if edit:
        record["segments"][1]["text"] += edit
    return write_document(out, parse_document(record))


def stamps(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): p.stat().st_mtime_ns for p in sorted(root.rglob("*")) if p.is_file()}


def test_export_writes_what_changed_only_and_the_same_files_as_newsbridge_export(tmp_path):
    from tasks.night.outputs import export_changed
    from tasks.review.export import export_documents

    out = tmp_path / "out"
    for sid in ("a-vi", "b-vi", "c-vi"):
        store(out, sid, "v1")
    first = export_changed(out)
    assert first.counts() == {"documents": 3, "unchanged": 0, "html": 4, "tmx": 1, "xliff": 3}
    export = out / "export"
    assert (export / "html" / "index.html").is_file() and (export / "tmx" / "vi-en.tmx").is_file()

    # The same files `newsbridge export` writes (TMX apart from its creation date).
    for fmt in ("html", "tmx", "xliff"):
        export_documents(fmt, out, tmp_path / "full" / fmt)
    ours, full = stamps(export), stamps(tmp_path / "full")
    assert sorted(ours) == sorted(full)
    undated = lambda p: re.sub(rb'creationdate="[^"]*"', b"", p.read_bytes())  # noqa: E731
    assert all(undated(export / rel) == undated(tmp_path / "full" / rel) for rel in ours)

    # Nothing changed: nothing read, nothing written.
    before = stamps(export)
    again = export_changed(out)
    assert again.counts() == {"documents": 0, "unchanged": 3, "html": 0, "tmx": 0, "xliff": 0}
    assert stamps(export) == before

    # One new version: its XLIFF and page, the index and its pair's TMX; the others stay.
    store(out, "b-vi", "v2", edit=" Thêm một câu.")
    third = export_changed(out)
    assert third.counts() == {"documents": 1, "unchanged": 2, "html": 2, "tmx": 1, "xliff": 1}
    after = stamps(export)
    rewritten = {rel for rel in after if after[rel] != before.get(rel)}
    assert rewritten == {"html/index.html", "html/b-vi/b-vi-doc.html", "tmx/vi-en.tmx", "xliff/b-vi/b-vi-doc.xlf"}, rewritten
    assert "Thêm một câu." in (export / "tmx" / "vi-en.tmx").read_text(encoding="utf-8")

    # Files deleted by hand are written again, and only they.
    (export / "xliff" / "c-vi" / "c-vi-doc.xlf").unlink()
    (export / "tmx" / "vi-en.tmx").unlink()
    fourth = export_changed(out)
    assert fourth.documents == [f for f in fourth.documents if "c-vi" in f] and len(fourth.documents) == 1
    assert (export / "xliff" / "c-vi" / "c-vi-doc.xlf").is_file() and (export / "tmx" / "vi-en.tmx").is_file()
    assert export_changed(out).counts()["documents"] == 0


def test_an_unreadable_document_is_reported_and_the_rest_exported(tmp_path):
    from tasks.night.outputs import export_changed

    out = tmp_path / "out"
    store(out, "good-vi", "v1")
    rel = store(out, "bad-vi", "v1")
    (out / rel).write_text("{not json", encoding="utf-8")
    done = export_changed(out)
    assert done.counts()["documents"] == 1
    assert [p for p in done.problems if "bad-vi" in p and "unreadable" in p]


@pytest.mark.parametrize("review_url", [None, "http://reviews.lan:8765/"])
def test_summary_links_go_to_the_review_app_or_show_paths_and_the_command(tmp_path, review_url):
    from tasks.models import SourceOutcome
    from tasks.night.summary import summary_markdown

    summary = {"run_id": "r1", "sources": 1, "new": 1, "changed": 0, "unchanged": 0, "rejected": 0, "failed": 0,
               "segments": 7, "translated_fresh": 7, "translated_from_memory": 0, "copied": 0, "untranslated": 0, "reasons": {}}
    exported = {"documents": 1, "unchanged": 0, "html": 2, "tmx": 1, "xliff": 1, "root": str(tmp_path / "export")}
    outcomes = [SourceOutcome(id="a-vi", status="new", document="docs/a-vi/x/v1.json")]
    text = summary_markdown(summary, outcomes, tmp_path / "runs" / "r1", tmp_path, "2026-12-08", [],
                            schedule="every day at 02:00 Asia/Ho_Chi_Minh (UTC+07:00)", review_url=review_url, exported=exported)
    assert "file://" not in text
    assert "every day at 02:00 Asia/Ho_Chi_Minh" in text
    if review_url:
        assert "(http://reviews.lan:8765/)" in text and "(http://reviews.lan:8765/doc/a-vi)" in text
    else:
        assert f"`{tmp_path / 'export' / 'html' / 'index.html'}`" in text
        assert f"newsbridge review serve --output {tmp_path}" in text
