"""Paths built from crawled or configured data never leave the output directory.

Source ids, document ids, versions, run ids, URLs and titles are attacker-controlled
(a sources file from a colleague, a page's title): every helper of tasks.store.files that
turns them into a path either refuses with UnsafePathError or stays under the root.
Property-based (hypothesis) with hostile alphabets: '..', '/', '\\', NUL, newlines,
absolute paths, unicode look-alikes.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tasks.models import Document, FetchResult, Provenance, Source
from tasks.store.files import (
    UnsafePathError,
    doc_id_for,
    document_dir,
    latest_document,
    safe_join,
    store_raw,
    write_run_records,
)
from tasks.store.document import StoredDocument, stored_document, write_document

# Pieces an attacker would try, mixed with ordinary characters.
HOSTILE_PIECES = st.sampled_from(
    ["..", ".", "/", "\\", "\x00", "\n", "~", "/etc/passwd", "..\\..", "%2e%2e", "．．", "‥", "a", "-", "0", "é", "\u202e", " "]
)
hostile_text = st.one_of(
    st.lists(HOSTILE_PIECES, min_size=0, max_size=8).map("".join),
    st.text(max_size=40),
)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _inside(root: Path, p: Path) -> bool:
    root = root.resolve()
    p = p.resolve()
    return p == root or root in p.parents


@FAST
@given(parts=st.lists(hostile_text, min_size=1, max_size=4))
def test_safe_join_refuses_or_stays_inside(tmp_path, parts):
    root = tmp_path / "out"
    root.mkdir(exist_ok=True)
    try:
        p = safe_join(root, *parts)
    except UnsafePathError:
        return
    assert _inside(root, p), (parts, p)
    assert ".." not in parts and not any("/" in x or "\x00" in x for x in parts)


@pytest.mark.parametrize(
    "parts",
    [("..",), ("a", ".."), ("/etc",), ("a/../../b",), ("..\\x",), ("a\x00b",), ("",), (".",)],
)
def test_safe_join_named_attacks(tmp_path, parts):
    with pytest.raises(UnsafePathError):
        safe_join(tmp_path, *parts)


def test_safe_join_refuses_a_symlink_that_points_out(tmp_path):
    root = tmp_path / "out"
    (root / "docs").mkdir(parents=True)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (root / "docs" / "evil").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafePathError):
        safe_join(root, "docs", "evil", "x")


@FAST
@given(source_id=hostile_text, doc_id=hostile_text)
def test_document_dir_only_accepts_plain_ids(tmp_path, source_id, doc_id):
    try:
        p = document_dir(tmp_path, source_id, doc_id)
    except UnsafePathError:
        return
    assert _inside(tmp_path / "docs", p)
    assert p.relative_to(tmp_path.resolve()).parts == ("docs", source_id, doc_id)


@FAST
@given(source_id=hostile_text)
def test_source_ids_with_path_tricks_never_validate(source_id):
    try:
        src = Source(id=source_id, url="http://example.org/a")
    except ValidationError:
        return
    # What validates is a plain path component: no separators, dots or control chars.
    assert src.id and all(c in "abcdefghijklmnopqrstuvwxyz0123456789-" for c in src.id)


def test_source_id_with_trailing_newline_is_refused():
    # `$` in a regex also matches before a final newline; the id rule must not.
    with pytest.raises(ValidationError):
        Source(id="abc\n", url="http://example.org/a")


def _record(tmp_path: Path, source_id: str, url: str, title: str, sha: str = "ab" * 32) -> StoredDocument:
    now = datetime.now(timezone.utc)
    doc = Document(source_id=source_id, url=url, title=title, paragraphs=["x"], text="x")
    fetch = FetchResult(source_id=source_id, url=url, fetched_at=now, outcome="fetched", sha256=sha)
    prov = Provenance(newsbridge="t", extractor="t", detector="t")
    return stored_document(doc, fetch, doc_id=doc_id_for(url), alignment=[], provenance=prov)


@FAST
@given(url=hostile_text, title=hostile_text)
def test_urls_and_titles_never_shape_the_document_path(tmp_path, url, title):
    out = tmp_path / "out"
    rec = _record(tmp_path, "src-a", url, title)
    rel = write_document(out, rec)
    path = (out / rel).resolve()
    assert _inside(out, path)
    # The path is built from the source id and hashes only, never from URL or title.
    assert path.relative_to(out.resolve()).parts[:2] == ("docs", "src-a")
    assert json.loads(path.read_text(encoding="utf-8"))["document"]["title"] == title
    assert latest_document(out, "src-a") == rel


@FAST
@given(source_id=hostile_text, version=hostile_text)
def test_write_document_refuses_hostile_ids_and_versions(tmp_path, source_id, version):
    out = tmp_path / "out"
    rec = _record(tmp_path, "src-a", "http://example.org/", "t")
    rec.source_id = source_id
    rec.version = version
    before = set(tmp_path.rglob("*"))
    try:
        rel = write_document(out, rec)
    except UnsafePathError:
        # Refused before anything was written outside (or inside) the output dir.
        assert {p for p in tmp_path.rglob("*") if not _inside(out, p)} <= before
        return
    assert _inside(out, out / rel)


@FAST
@given(run_id=hostile_text)
def test_run_records_stay_inside(tmp_path, run_id):
    out = tmp_path / "out"
    try:
        run_dir = write_run_records(out, run_id, outcomes=[], stats={}, rejections=[], meta={})
    except UnsafePathError:
        return
    assert _inside(out / "runs", run_dir) and run_dir != (out / "runs").resolve()


@FAST
@given(content=st.binary(max_size=256))
def test_raw_snapshots_are_content_addressed_inside(tmp_path, content):
    out = tmp_path / "out"
    rel = store_raw(out, content)
    assert _inside(out / "raw", out / rel)
    assert rel == store_raw(out, content)  # same bytes, same file


def test_write_document_does_not_follow_a_planted_symlink_out(tmp_path):
    """A docs/<source> symlink planted to point elsewhere is refused, not written through."""
    out = tmp_path / "out"
    (out / "docs").mkdir(parents=True)
    victim = tmp_path / "victim"
    victim.mkdir()
    os.symlink(victim, out / "docs" / "src-a", target_is_directory=True)
    with pytest.raises(UnsafePathError):
        write_document(out, _record(tmp_path, "src-a", "http://example.org/", "t"))
    assert not any(victim.iterdir())


@pytest.mark.parametrize(
    "members",
    [
        ["pkg/metadata.json", "pkg/../../evil.txt"],
        ["pkg/metadata.json", "/tmp/evil.txt"],
        ["../evil/metadata.json", "../evil/model/x"],
        ["pkg/metadata.json", "other/evil.txt"],
    ],
    ids=["dotdot-inside", "absolute", "dotdot-top", "two-tops"],
)
def test_model_archives_with_escaping_members_are_refused(tmp_path, members):
    """Zip-slip: an .argosmodel whose members would land outside the packages dir is refused before extraction."""
    import zipfile

    from tasks.translate.packages import ModelInstallError, install_argosmodel

    archive = tmp_path / "translate-vi_en.argosmodel"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in members:
            zf.writestr(name, "{}" if name.endswith("metadata.json") else "pwned")
    packages = tmp_path / "a" / "b" / "packages"
    packages.mkdir(parents=True)
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(ModelInstallError):
        install_argosmodel(archive, packages)
    assert sorted(tmp_path.rglob("*")) == before
    assert not Path("/tmp/evil.txt").exists()


def test_tampered_latest_pointer_cannot_lead_outside(tmp_path):
    import json as _json

    from tasks.store.files import latest_document

    out = tmp_path / "out"
    folder = out / "docs" / "src-a"
    folder.mkdir(parents=True)
    pointer = folder / "latest.json"
    pointer.write_text(_json.dumps({"doc_id": "abc", "version": "def", "path": "../../../etc/passwd"}))
    assert latest_document(out, "src-a") == "docs/src-a/abc/def.json"  # rebuilt, "path" ignored
    for bad in ({"doc_id": "..", "version": "x"}, {"doc_id": "a/../../b", "version": "x"},
                {"doc_id": "abc", "version": "../../x"}, {"doc_id": 1, "version": "x"}, ["not", "a", "dict"]):
        pointer.write_text(_json.dumps(bad))
        assert latest_document(out, "src-a") is None, bad
