"""One page of a shard: process a fetched page, store its document (no threads, no Prefect).

- `process_page`: decode, extract, segment and detect one fetched page (pure; runs in
  the shard's thread or in a worker process);
- `store_document`: carry reviews, align, write the document version atomically, then
  commit the page's fetch state.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict

from tasks.models import Document, FetchDefaults, FetchResult, Provenance, Rejection, Segment, Source

if TYPE_CHECKING:
    from tasks.crawl.fetch.request import FetchRequest


class Processed(BaseModel):
    """What clean+segment+detect made of one fetched page (or why it made nothing)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    source_id: str
    document: Document | None = None
    doc_id: str | None = None
    rejection: Rejection | None = None


class FetcherLike(Protocol):
    """What the stream needs of a Fetcher (tasks/crawl/fetch/)."""

    defaults: FetchDefaults

    def fetch(self, request: FetchRequest) -> FetchResult: ...
    def commit(self, result: FetchResult) -> None: ...


def process_page(source: Source, fetched: FetchResult) -> Processed:
    """Decode + extract, segment, detect one fetched page (pure; no Prefect)."""
    from tasks.text.extract import ExtractionError, extract_article, with_title_paragraph
    from tasks.text.detect import detect_segments
    from tasks.text.segment import segment_document
    from tasks.store.files import doc_id_for
    from tasks.text.decode import BodyError, unwrap_body

    try:
        # Compressed bytes labelled text/html are decompressed (same budget); binary is refused.
        content, _ = unwrap_body(fetched.content or b"")
    except BodyError as exc:
        return Processed(
            source_id=source.id,
            rejection=Rejection(source_id=source.id, stage="decode", reason=exc.reason, detail=exc.detail, url=source.url),
        )
    try:
        doc = extract_article(
            content,
            url=fetched.final_url or fetched.url,
            source_id=source.id,
            headers=fetched.headers,
            selector=source.selector,
        )
    except ExtractionError as exc:
        return Processed(
            source_id=source.id,
            rejection=Rejection(source_id=source.id, stage="extract", reason=exc.reason, detail=exc.detail, url=source.url),
        )
    if source.discovery is not None:
        # Discovered articles (issue 14): an undated one whose page date is before the
        # outlet's window is not stored (recorded as skipped_old); others carry how they were found.
        from tasks.crawl.discover import discovery_record, too_old

        stale = too_old(source, doc)
        if stale is not None:
            return Processed(source_id=source.id, rejection=stale)
        doc.discovery = discovery_record(source, doc)
    doc = with_title_paragraph(doc)
    doc_id = doc_id_for(source.url)
    hint = None if source.lang == "auto" else source.lang
    segments = segment_document(doc, doc_id, lang_hint=hint or doc.page_lang)
    doc.segments = detect_segments(segments, hint=hint or doc.page_lang)
    langs = Counter(s.lang for s in doc.segments if s.lang not in ("und", "other"))
    doc.lang = langs.most_common(1)[0][0] if langs else "und"
    if not doc.segments:
        return Processed(
            source_id=source.id,
            rejection=Rejection(source_id=source.id, stage="segment", reason="no_segments", url=source.url),
        )
    return Processed(source_id=source.id, document=doc, doc_id=doc_id)


def warm_up() -> None:
    """Import the stages a shard runs and load the language profiles, so that the first
    page does not pay for them (the CLI does this while Prefect's server starts)."""
    import tasks.align.sentences  # noqa: F401
    import tasks.review.reviews  # noqa: F401
    import tasks.store.files  # noqa: F401
    import tasks.translate.engine  # noqa: F401
    from tasks.text.extract import extract_article  # noqa: F401 - trafilatura and lxml
    from tasks.text.detect import detect_text
    from tasks.text.segment import segment_document  # noqa: F401

    detect_text("Tin tức hôm nay. Today's news. 今天的新闻。")


def document_provenance(base: Provenance, segments: list[Segment]) -> Provenance:
    """The run's provenance with the models and engine this document's translations used."""
    used = [s.translation for s in segments if s.translation is not None and s.translation.model != "copy"]
    return base.model_copy(
        update={
            "models": sorted({t.model for t in used}),
            "engine": "; ".join(sorted({t.engine for t in used})) or None,
        }
    )


def store_document(
    processed: Processed,
    fetched: FetchResult,
    fetcher: FetcherLike,
    output_dir: Path,
    provenance: Provenance,
    memory: Any | None,
) -> tuple[str, str]:
    """Carry reviews, align, write the document version atomically, then commit the fetch state.

    Returns (status, relative path); status is "new", "changed" or "unchanged".
    """
    from tasks.align.sentences import align_translations
    from tasks.review.carry import carry_reviews
    from tasks.store.document import read_document, stored_document, write_document
    from tasks.store.files import latest_document
    from tasks.store.locks import document_lock

    doc = processed.document
    assert doc is not None and processed.doc_id is not None
    # Under the document's write lock, which a reviewer's save takes too: a save lands
    # before the latest version is read (and is carried) or after the new one is written.
    with document_lock(output_dir, doc.source_id, getattr(memory, "location", None)):
        previous = latest_document(output_dir, doc.source_id)
        # A translator's reviewed work survives a re-crawl: unchanged segments keep it,
        # changed ones are flagged needs-review with the old reviewed text as reference.
        stored_before = read_document(output_dir, previous) if previous else None
        if memory is not None:
            carry_reviews(stored_before, doc.segments, memory)
        record = stored_document(
            doc,
            fetched,
            doc_id=processed.doc_id,
            alignment=align_translations(doc.segments),
            provenance=document_provenance(provenance, doc.segments),
        )
        if stored_before is not None and stored_before.version == record.version:
            # The same content again (a rerun after a crash between store and commit): the story
            # links the story stage gave this version stand.
            record.story = stored_before.story
        rel = write_document(output_dir, record)
    # Only now is the page's new state remembered: a crash before this line refetches.
    fetcher.commit(fetched)
    if previous is None:
        return "new", rel
    # Same version already stored: a rerun after a crash between store and commit.
    return ("unchanged" if previous == rel else "changed"), rel
