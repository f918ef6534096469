"""The stored document: one typed record, one reader, one writer; old records still load.

`tests/fixtures/store/document_v1.json` is a record as the code before the typed record
wrote it (format 1: the extraction confidence inside the extractor string, no link
evidence), kept byte for byte.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError

from tasks.models import DiscoveryRecord, Document, FetchResult, LinkEvidence, Provenance, Segment
from tasks.store.document import (
    DOCUMENT_SCHEMA,
    StoredDocument,
    latest_stored,
    parse_document,
    read_document,
    rewrite_document,
    stored_document,
    write_document,
)
from tasks.store.files import UnsafePathError, doc_id_for, latest_document

V1 = Path(__file__).resolve().parents[1] / "fixtures" / "store" / "document_v1.json"


def _v1_in(out: Path) -> str:
    """Place the format-1 fixture in an output dir as the old writer left it; returns its path."""
    data = json.loads(V1.read_text(encoding="utf-8"))
    rel = f"docs/{data['source_id']}/{data['doc_id']}/{data['version']}.json"
    (out / rel).parent.mkdir(parents=True)
    shutil.copyfile(V1, out / rel)
    (out / "docs" / data["source_id"] / "latest.json").write_text(
        json.dumps({"doc_id": data["doc_id"], "version": data["version"], "path": rel}), encoding="utf-8"
    )
    return rel


def test_a_format_1_record_loads_with_typed_fields(tmp_path: Path) -> None:
    out = tmp_path / "out"
    rel = _v1_in(out)
    doc = read_document(out, rel)
    assert doc.schema_ == "newsbridge.document/1" and doc.rel == rel
    # the confidence leaves the extractor string for its own field
    assert doc.document.extraction_confidence == 0.83
    assert doc.document.extractor.endswith("|generic:trafilatura") and "confidence" not in doc.document.extractor
    assert doc.document.evidence == LinkEvidence()  # format 1 recorded none
    assert isinstance(doc.discovery, DiscoveryRecord) and (doc.discovery.outlet, doc.discovery.via) == ("loopnews", "feed")
    assert doc.story is not None and doc.story.paired_by is not None and doc.story.paired_by.method == "content"
    assert [v.lang for v in doc.story.versions] == ["en", "vi"] and len(doc.story.links) == 2
    assert doc.segments[0].translation is not None and doc.segments[0].translation.state == "reviewed"
    assert doc.fetched_at == datetime(2026, 11, 24, 2, 0, 5, tzinfo=timezone.utc)
    assert latest_stored(out, doc.source_id) == doc


def test_a_format_1_record_rewritten_is_format_2_and_keeps_everything(tmp_path: Path) -> None:
    out = tmp_path / "out"
    rel = _v1_in(out)
    old = json.loads((out / rel).read_text(encoding="utf-8"))
    doc = read_document(out, rel)
    assert rewrite_document(out, doc) == rel
    new = json.loads((out / rel).read_text(encoding="utf-8"))
    assert new["schema"] == DOCUMENT_SCHEMA == "newsbridge.document/2"
    assert new["document"]["extraction_confidence"] == 0.83
    assert old["document"]["extractor"] == new["document"]["extractor"] + "|confidence=0.83"
    for key in ("source_id", "url", "doc_id", "version", "segments", "alignment"):
        assert new[key] == old[key], key
    for key in ("fetch", "discovery", "provenance"):  # blocks may gain optional fields, written as null
        assert {k: new[key][k] for k in old[key]} == old[key], key
    again = read_document(out, rel)
    assert again.schema_ == DOCUMENT_SCHEMA and again.model_dump(exclude={"schema_"}) == doc.model_dump(exclude={"schema_"})


def _page(source_id: str = "src-a", url: str = "https://news.example.vn/a-100020.html") -> tuple[Document, FetchResult]:
    text = "Một câu."
    doc = Document(
        source_id=source_id, url=url, title="T", paragraphs=[text], text=text, lang="vi",
        extractor="sig|generic:density", extraction_confidence=0.41,
        discovery=DiscoveryRecord(outlet="o", edition="vi", via="sitemap", published="2026-11-24", date_source="sitemap"),
        evidence=LinkEvidence(canonical=url, alternates={"en": "https://news.example.com/a"}, switch=["https://news.example.com/a"]),
        segments=[Segment(id=f"{doc_id_for(url)}:0:0", paragraph=0, sentence=0, start=0, end=len(text), text=text, lang="vi")],
    )
    fetch = FetchResult(source_id=source_id, url=url, fetched_at=datetime(2026, 11, 24, tzinfo=timezone.utc), outcome="fetched", sha256="ab" * 32)
    return doc, fetch


def test_a_record_from_before_link_export_flags_loads(tmp_path: Path) -> None:
    """Older still: alignment pairs and story links without `export` / `features` (before 62ee9cc)."""
    data = json.loads(V1.read_text(encoding="utf-8"))
    for pair in data["alignment"] + data["story"]["links"]:
        pair.pop("export", None), pair.pop("features", None)
    doc = parse_document(data)
    assert all(p.export and p.features == {} for p in doc.alignment)
    assert doc.story is not None and all(link.export and link.review is None for link in doc.story.links)


def test_written_and_read_back_is_the_same_record(tmp_path: Path) -> None:
    out = tmp_path / "out"
    doc, fetch = _page()
    record = stored_document(doc, fetch, doc_id=doc_id_for(doc.url), alignment=[], provenance=Provenance(newsbridge="t", extractor="t", detector="t"))
    rel = write_document(out, record)
    assert rel == latest_document(out, "src-a") == record.rel
    raw = json.loads((out / rel).read_text(encoding="utf-8"))
    assert raw["schema"] == DOCUMENT_SCHEMA and "rel" not in raw
    assert raw["document"]["extraction_confidence"] == 0.41 and raw["document"]["extractor"] == "sig|generic:density"
    assert raw["document"]["evidence"]["alternates"] == {"en": "https://news.example.com/a"}
    assert raw["discovery"]["via"] == "sitemap" and raw["story"] is None
    back = read_document(out, rel)
    assert back == record and back.to_json() == raw


def test_not_a_record_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a newsbridge document record"):
        parse_document(["a", "list"])
    data = json.loads(V1.read_text(encoding="utf-8"))
    with pytest.raises(ValidationError, match="unknown document format"):
        parse_document({**data, "schema": "newsbridge.document/99"})
    with pytest.raises(ValidationError):
        parse_document({**data, "segments": "not a list"})
    with pytest.raises(ValidationError):
        parse_document({**data, "surprise": 1})  # a field nobody knows is refused, not dropped on rewrite


def test_rewrite_stays_on_the_record_s_own_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    rel = _v1_in(out)
    doc = read_document(out, rel)
    doc.rel = "docs/other/0000/0000.json"  # read from somewhere else than its ids say
    with pytest.raises(UnsafePathError):
        rewrite_document(out, doc)
    doc.rel, doc.version = rel, "../../escape"
    with pytest.raises(UnsafePathError):
        rewrite_document(out, doc)


def test_latest_stored_is_none_for_a_missing_or_unreadable_record(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert latest_stored(out, "src-a") is None
    assert latest_stored(out, "../etc") is None
    rel = _v1_in(out)
    (out / rel).write_text("{ half a record", encoding="utf-8")
    assert latest_stored(out, "loopnews-vi-3f2a") is None


def test_exports_read_a_format_1_record(tmp_path: Path) -> None:
    from tasks.review.export import export_documents

    out = tmp_path / "out"
    _v1_in(out)
    problems: list[str] = []
    (xlf,) = export_documents("xliff", out, tmp_path / "xliff", problems=problems)
    assert problems == [] and "Hanoi hosts the forum." in xlf.read_text(encoding="utf-8")
    tmx = export_documents("tmx", out, tmp_path / "tmx")
    assert any("x-reviewed-at" in p.read_text(encoding="utf-8") for p in tmx)
    html = export_documents("html", out, tmp_path / "html")
    assert any("Hà Nội đón diễn đàn" in p.read_text(encoding="utf-8") for p in html)


def test_a_stored_document_is_one_type_everywhere() -> None:
    from tasks.review import reviews

    assert reviews.StoredDocument is StoredDocument
