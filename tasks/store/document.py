"""The stored document: one typed record per content version, one reader, one writer.

`output/docs/<source-id>/<doc-id>/<version>.json` is a `StoredDocument` (docs/outputs.md
lists its fields). The stream stores a page's record through `stored_document` +
`write_document`; everything that reads a record back (review import and carry, the
exporters, the review app, pairing, the story stage) goes through `read_document` /
`latest_stored` and works on typed fields; what changes a stored record in place (a
reviewer's edit, the story stage's links) goes through `rewrite_document`.

Old records still load: a record of format 1 kept the extraction confidence inside the
extractor signature (`...|generic:trafilatura|confidence=0.97`); the reader moves it to
`document.extraction_confidence`.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator

from tasks.models import (
    SOURCE_ID_RE,
    AlignedPair,
    DiscoveryRecord,
    Document,
    FetchResult,
    LinkEvidence,
    Provenance,
    Segment,
)

DOCUMENT_SCHEMA = "newsbridge.document/2"
READABLE_SCHEMAS = ("newsbridge.document/1", DOCUMENT_SCHEMA)

# Format 1: "<signature>|<method>|confidence=0.83" (the confidence lived inside the string).
_OLD_CONFIDENCE_RE = re.compile(r"\|confidence=([\d.]+)\Z")


class _Stored(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class StoredFetch(_Stored):
    """How the page was fetched and decoded (`fetch` block)."""

    final_url: str | None = None
    redirects: list[str] = Field(default_factory=list)
    status: int | None = None
    fetched_at: str | None = None  # ISO time as written (datetime.isoformat)
    sha256: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    charset: str | None = None
    charset_source: str | None = None
    raw_path: str | None = None
    robots: str | None = None


class StoredText(_Stored):
    """What extraction made of the page (`document` block)."""

    title: str | None = None
    date: str | None = None
    author: str | None = None
    canonical_url: str | None = None
    page_lang: str | None = None
    lang: str | None = None
    extractor: str = ""  # signature and the method that won
    extraction_confidence: float | None = None  # agreement of the extraction candidates, 0..1
    selector: str | None = None
    paragraphs: list[str] = Field(default_factory=list)
    text: str = ""
    evidence: LinkEvidence = Field(default_factory=LinkEvidence)  # links naming other versions

    @model_validator(mode="before")
    @classmethod
    def _format_1(cls, data: Any) -> Any:
        """A format-1 record: the confidence comes out of the extractor string."""
        if isinstance(data, dict) and isinstance(data.get("extractor"), str) and "extraction_confidence" not in data:
            m = _OLD_CONFIDENCE_RE.search(data["extractor"])
            if m:
                data = {**data, "extractor": data["extractor"][: m.start()], "extraction_confidence": float(m.group(1))}
        return data


class StoryVersion(_Stored):
    lang: str
    url: str
    source_id: str


class PairedBy(_Stored):
    method: str  # hreflang | link | url | content
    score: float
    features: dict[str, Any] | None = None  # content pairs: the evidence, rival margins and threshold (tasks/align/doc_evidence.py)

    @model_serializer(mode="wrap")
    def _without_empty_features(self, handler: Any) -> Any:
        data = handler(self)
        if isinstance(data, dict) and data.get("features") is None:
            data.pop("features", None)  # link-based pairs: {method, score} as before
        return data


class LinkReview(_Stored):
    """A translator's decision on a story link (tasks/review/link_review.py)."""

    decision: str  # confirm | reject
    by: str | None = None
    at: str | None = None  # ISO time
    via: str | None = None  # browser | ...


class StoryLink(AlignedPair):
    """One sentence link between this version and the story's pivot version."""

    review: LinkReview | None = None  # set once a translator confirmed or rejected the link

    @classmethod
    def of(cls, pair: AlignedPair) -> StoryLink:
        return cls.model_validate(pair.model_dump())


class StoryBlock(_Stored):
    """A document's story (`story` block): its versions, how it was paired, sentence links to the pivot version."""

    id: str
    paired_by: PairedBy | None = None  # automatic pairing only; None for a hand-written `story:`
    versions: list[StoryVersion] = Field(default_factory=list)  # every version, this one included
    pivot_source: str | None = None  # the version in the pivot language these links point into
    pivot_lang: str | None = None
    method: str | None = None  # the sentence aligner's method
    links: list[StoryLink] = Field(default_factory=list)  # this version's segments <-> the pivot's


class StoredDocument(_Stored):
    """One stored document version."""

    schema_: str = Field(DOCUMENT_SCHEMA, alias="schema")
    source_id: str
    url: str
    doc_id: str
    version: str
    fetch: StoredFetch = Field(default_factory=StoredFetch)
    document: StoredText = Field(default_factory=StoredText)
    segments: list[Segment] = Field(default_factory=list)
    alignment: list[AlignedPair] = Field(default_factory=list)
    discovery: DiscoveryRecord | None = None
    story: StoryBlock | None = None
    provenance: Provenance
    rel: str | None = Field(None, exclude=True)  # where it was read from, relative to the output dir

    @model_validator(mode="after")
    def _known_schema(self) -> StoredDocument:
        if self.schema_ not in READABLE_SCHEMAS:
            raise ValueError(f"unknown document format {self.schema_!r} (readable: {', '.join(READABLE_SCHEMAS)})")
        return self

    @property
    def fetched_at(self) -> datetime | None:
        return parse_time(self.fetch.fetched_at)

    @property
    def page_url(self) -> str:
        """The URL the page was read from (after redirects)."""
        return self.fetch.final_url or self.url

    def to_json(self) -> dict[str, Any]:
        """The record's JSON value, in the current format (a record read in an older one is written anew)."""
        data = self.model_dump(mode="json", by_alias=True)
        data["schema"] = DOCUMENT_SCHEMA
        return data


def parse_time(value: str | None) -> datetime | None:
    """An ISO date or datetime as an aware UTC datetime (a bare date is midnight UTC); None when unreadable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(value), time())
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def stored_document(
    doc: Document,
    fetch: FetchResult,
    *,
    doc_id: str,
    alignment: list[AlignedPair],
    provenance: Provenance,
    story: StoryBlock | None = None,
) -> StoredDocument:
    """The stored record of one processed page (see docs/outputs.md)."""
    from tasks.store.files import version_for

    return StoredDocument(
        source_id=doc.source_id,
        url=fetch.url,
        doc_id=doc_id,
        version=version_for(fetch.sha256 or ""),
        fetch=StoredFetch(
            final_url=fetch.final_url,
            redirects=fetch.redirects,
            status=fetch.status,
            fetched_at=fetch.fetched_at.isoformat(),
            sha256=fetch.sha256,
            etag=fetch.etag,
            last_modified=fetch.last_modified,
            content_type=fetch.content_type,
            charset=doc.charset,
            charset_source=doc.charset_source,
            raw_path=fetch.raw_path,
            robots=fetch.robots,
        ),
        document=StoredText(
            title=doc.title,
            date=doc.date,
            author=doc.author,
            canonical_url=doc.canonical_url,
            page_lang=doc.page_lang,
            lang=doc.lang,
            extractor=doc.extractor,
            extraction_confidence=doc.extraction_confidence,
            selector=doc.selector,
            paragraphs=doc.paragraphs,
            text=doc.text,
            evidence=doc.evidence,
        ),
        segments=doc.segments,
        alignment=alignment,
        discovery=doc.discovery,
        story=story,
        provenance=provenance,
    )


# --------------------------------------------------------------------------- the reader


def parse_document(data: Any, rel: str | None = None) -> StoredDocument:
    """A record's JSON value as a StoredDocument; ValueError (pydantic's) when it is not one."""
    if not isinstance(data, dict):
        raise ValueError("not a newsbridge document record (not a JSON object)")
    doc = StoredDocument.model_validate(data)
    doc.rel = rel
    return doc


def read_document(output_dir: Path, rel: str) -> StoredDocument:
    """The stored record at `rel` (relative to output_dir). OSError / ValueError when unreadable."""
    return parse_document(json.loads((output_dir / rel).read_text(encoding="utf-8")), rel)


def latest_stored(output_dir: Path, source_id: str) -> StoredDocument | None:
    """The newest stored version of a source; None when there is none or it cannot be read."""
    from tasks.store.files import latest_document

    if not SOURCE_ID_RE.match(source_id):
        return None
    rel = latest_document(output_dir, source_id)
    if rel is None:
        return None
    try:
        return read_document(output_dir, rel)
    except (OSError, ValueError):
        return None


# --------------------------------------------------------------------------- the writer


def write_document(output_dir: Path, doc: StoredDocument) -> str:
    """Store one document version atomically and point `latest.json` at it.

    The file name is the content version, so storing the same content twice (a rerun
    after a crash) rewrites the same file instead of adding a duplicate.
    Returns the path relative to output_dir (also set as `doc.rel`).
    """
    from tasks.store.files import UnsafePathError, document_dir, safe_join, write_json_atomic

    folder = document_dir(output_dir, doc.source_id, doc.doc_id)
    if not SOURCE_ID_RE.match(doc.version):
        raise UnsafePathError(f"invalid version for a path: {doc.version!r}")
    path = folder / f"{doc.version}.json"
    write_json_atomic(path, doc.to_json())
    rel = path.relative_to(output_dir.resolve()).as_posix()
    write_json_atomic(
        safe_join(output_dir, "docs", doc.source_id, "latest.json"),
        {"doc_id": doc.doc_id, "version": doc.version, "path": rel},
    )
    doc.rel = rel
    return rel


def rewrite_document(output_dir: Path, doc: StoredDocument) -> str:
    """Write a record read from the store back to its own file (same version), atomically.

    For changes that do not make a new content version: a reviewer's edits, story links.
    The path is rebuilt from the record's ids, never taken from `doc.rel` as given.
    """
    from tasks.store.files import UnsafePathError, document_dir, write_json_atomic

    if not SOURCE_ID_RE.match(doc.version):
        raise UnsafePathError(f"invalid version for a path: {doc.version!r}")
    path = document_dir(output_dir, doc.source_id, doc.doc_id) / f"{doc.version}.json"
    if doc.rel is not None and path.relative_to(output_dir.resolve()).as_posix() != doc.rel:
        raise UnsafePathError(f"record read from {doc.rel} names another place ({path})")
    write_json_atomic(path, doc.to_json())
    return path.relative_to(output_dir.resolve()).as_posix()


def update_latest(
    output_dir: Path, source_id: str, version: str, change: Callable[[StoredDocument], bool], dsn: str | None = None
) -> str | None:
    """Change the source's latest stored record in place, under the document's write lock.

    The lock is the one every writer of the document takes (tasks/store/locks.py; `dsn`: a
    postgresql:// DSN when several machines write). The record is read again under it (a
    reviewer's edit made meanwhile is kept); when it is no longer `version`, nothing is
    written. `change` edits the record and says whether anything changed. Returns the
    rewritten path, or None.
    """
    from tasks.store.locks import document_lock

    with document_lock(output_dir, source_id, dsn):
        doc = latest_stored(output_dir, source_id)
        if doc is None or doc.version != version or not change(doc):
            return None
        return rewrite_document(output_dir, doc)


def set_story(block: StoryBlock | None) -> Callable[[StoredDocument], bool]:
    """A change for `update_latest`: the record gets `block` (no write when it has it already)."""

    def change(doc: StoredDocument) -> bool:
        if doc.story == block:
            return False
        doc.story = block
        return True

    return change
