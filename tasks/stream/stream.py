"""One shard of a night as a bounded stream: fetch → process → translate → store, page by page.

    fetcher threads ──► process (decode/extract/segment/detect) ──► buckets by (language,
    (window of pages)        │ rejections recorded                  token length), bounded
                             ▼                                               │
    store ◄── a document's last segment is back ◄── translator threads: the fullest bucket

- Pages are processed in the shard's own thread while that keeps up (a polite crawl: a
  page every few tenths of a second, ~20 ms of work each); when fetched pages queue up
  behind it, `process_workers` spawned processes take over (their start-up is only paid
  when the fetching is fast enough to need them). The translator loads its models as the
  shard starts, while the first pages are fetched.
- At most `window` fetched pages are held at once (raw bytes are already in the snapshot
  store; the bytes are dropped as soon as the page is processed). A page's fetch slot is
  only given back after it was processed, so slow translation slows fetching (back-pressure)
  instead of piling pages up.
- Segments of all documents in flight wait in buckets by (language, source token length):
  only sources of one length share a CTranslate2 call (so every translation is the one
  Argos' one-sentence call gives) and a call costs about two sentences' share whatever its
  size. Each free translator thread (as many as the engine runs calls at once) takes the
  fullest bucket through `tasks.translate.engine.translate_segments` (translation memory first);
  at most `batch_segments` segments wait (back-pressure again).
- A document is stored the moment its last segment is translated (story versions wait for
  the other versions of their story in this shard), its fetch state is committed only then,
  and then it is dropped. Memory follows what is in flight, not the size of the night.
- Every source gets exactly one outcome; the shard's outcomes and counters are written to
  `runs/<run-id>/shards/<shard-id>.json` (atomically, also when the shard fails), which is
  all the flow reads back: no page, document or segment crosses Prefect.
"""

from __future__ import annotations

import contextvars
import json
import multiprocessing
import queue
import threading
import traceback
import unicodedata
from collections import Counter
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Protocol

from pydantic import BaseModel, ConfigDict

from tasks.models import Document, FetchDefaults, FetchResult, Provenance, Rejection, Segment, Source, SourceOutcome
from tasks.store.document import StoryBlock

if TYPE_CHECKING:
    from tasks.crawl.fetch.request import FetchRequest

__all__ = [
    "Processed", "ShardRun", "ShardRecord", "process_page", "run_shard", "shard_record_path", "store_document", "warm_up",
]

# The counters a shard adds to the run's stats.
STAT_KEYS = (
    "fetched", "not_modified", "segments", "translated_fresh", "translated_from_memory", "copied", "untranslated",
)


class Processed(BaseModel):
    """What clean+segment+detect made of one fetched page (or why it made nothing)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    source_id: str
    document: Document | None = None
    doc_id: str | None = None
    rejection: Rejection | None = None


class ShardRecord(BaseModel):
    """What a shard leaves for the flow: one outcome per source, rejections, counters.

    Records written before fetch-ahead was removed also have `fetched_early`: ignored on load."""

    shard: str
    run_id: str
    outcomes: list[SourceOutcome]
    rejections: list[Rejection]
    stats: dict[str, int]
    low_confidence: list[str] = []  # sources whose extraction candidates disagreed (tasks.text.extract)
    process_workers: int = 0  # extraction worker processes the shard started (0: it kept up alone)
    error: str | None = None


class FetcherLike(Protocol):
    defaults: FetchDefaults

    def fetch(self, request: FetchRequest) -> FetchResult: ...
    def commit(self, result: FetchResult) -> None: ...


@dataclass
class ShardRun:
    """Everything a shard needs besides its sources (all picklable but the callbacks)."""

    output_dir: Path
    run_id: str
    pivot: str
    tm_location: str
    provenance: Provenance  # run-wide fields; models and engine are filled per document
    fetch_threads: int = 8
    store_threads: int = 4  # storing waits on fsync and SQLite commits: a few at once
    process_workers: int = 0  # processes for decode/extract/segment/detect (0: in the shard's thread)
    process_backlog: int = 3  # fetched pages waiting for processing that start the worker processes
    window: int = 16  # fetched pages held at most (fetching, waiting or being processed)
    batch_segments: int = 1024  # segments waiting for the translator at most (then the shard waits)
    translator_threads: int = 0  # 0: the engine's inter_threads (CTranslate2 calls run at once)
    tick: Callable[[str], None] | None = None  # progress: one call per page per stage
    on_stored: Callable[[str, str], None] | None = None  # (source id, relative path)
    on_rejected: Callable[[str, str], None] | None = None  # (source id, reason)


# --------------------------------------------------------------------------- per page


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
    story: StoryBlock | None = None,
) -> tuple[str, str]:
    """Carry reviews, align, write the document version atomically, then commit the fetch state.

    Returns (status, relative path); status is "new", "changed" or "unchanged".
    """
    from tasks.align.sentences import align_translations
    from tasks.review.reviews import carry_reviews
    from tasks.store.document import read_document, stored_document, write_document
    from tasks.store.files import latest_document

    doc = processed.document
    assert doc is not None and processed.doc_id is not None
    previous = latest_document(output_dir, doc.source_id)
    # A translator's reviewed work survives a re-crawl: unchanged segments keep it,
    # changed ones are flagged needs-review with the old reviewed text as reference.
    if memory is not None:
        carry_reviews(read_document(output_dir, previous) if previous else None, doc.segments, memory)
    record = stored_document(
        doc,
        fetched,
        doc_id=processed.doc_id,
        alignment=align_translations(doc.segments),
        provenance=document_provenance(provenance, doc.segments),
        story=story,
    )
    rel = write_document(output_dir, record)
    # Only now is the page's new state remembered: a crash before this line refetches.
    fetcher.commit(fetched)
    if previous is None:
        return "new", rel
    # Same version already stored: a rerun after a crash between store and commit.
    return ("unchanged" if previous == rel else "changed"), rel


def shard_record_path(output_dir: Path, run_id: str, shard_id: str) -> Path:
    from tasks.store.files import safe_join

    return safe_join(output_dir, "runs", run_id, "shards", f"{shard_id}.json")


# --------------------------------------------------------------------------- the stream


@dataclass
class _InFlight:
    source: Source
    fetched: FetchResult
    processed: Processed
    waiting: int = 0  # segments still at the translator


@dataclass
class _Batch:
    lang: str
    owners: list[str]  # source id of each segment
    segments: list[Segment]


class _Buckets:
    """Segments waiting for the translator, by (language, source token length).

    A CTranslate2 call costs about two sentences' share whatever its size, and only
    sources of one token length share a call (so every sentence gets what Argos'
    one-sentence call gives): the fuller a bucket, the cheaper each of its sentences. A
    free translator thread takes the fullest bucket; the others fill meanwhile. `put`
    waits while `limit` segments wait (back-pressure on processing and fetching)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.cond = threading.Condition()
        self.waiting: dict[tuple[str, int | None], _Batch] = {}
        self.count = 0
        self.closed = False

    def put(self, key: tuple[str, int | None], owner: str, seg: Segment, stop: threading.Event) -> None:
        with self.cond:
            while self.count >= self.limit and not self.closed and not stop.is_set():
                self.cond.wait(0.2)
            batch = self.waiting.get(key)
            if batch is None:
                batch = self.waiting[key] = _Batch(key[0], [], [])
            batch.owners.append(owner)
            batch.segments.append(seg)
            self.count += 1
            self.cond.notify_all()

    def take(self) -> _Batch | None:
        """The fullest bucket; None once closed."""
        with self.cond:
            while not self.waiting and not self.closed:
                self.cond.wait()
            if self.closed:
                return None
            key = max(self.waiting, key=lambda k: len(self.waiting[k].segments))
            batch = self.waiting.pop(key)
            self.count -= len(batch.segments)
            self.cond.notify_all()
            return batch

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()


@dataclass
class _State:
    outcomes: dict[str, SourceOutcome] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)
    stats: Counter[str] = field(default_factory=Counter)
    low_confidence: list[str] = field(default_factory=list)


class _Stream:
    def __init__(self, shard_id: str, sources: list[Source], fetcher: FetcherLike, run: ShardRun) -> None:
        self.shard_id = shard_id
        self.sources = sources
        self.by_id = {s.id: s for s in sources}
        self.fetcher = fetcher
        self.run = run
        self.state = _State()
        self.events: queue.Queue[tuple[Any, ...]] = queue.Queue()  # unbounded: fetch slots bound it
        self.slots = threading.Semaphore(max(1, run.window))
        self.stop = threading.Event()
        self.buckets = _Buckets(max(1, run.batch_segments))
        self.counters: dict[str, Callable[[str], int | None]] = {}  # language -> token length
        self.in_flight: dict[str, _InFlight] = {}
        self.fetched_events = 0
        self.unprocessed = 0  # fetched pages whose event the shard's thread has not taken yet
        self.count_lock = threading.Lock()
        # (lang, NFC text) translated fresh by this shard: a repeat from the memory counts as fresh.
        self.fresh_keys: set[tuple[str, str]] = set()
        # Story versions wait for the other versions of their story in this shard.
        self.story_members: dict[str, list[str]] = {}
        for s in sources:
            if s.story:
                self.story_members.setdefault(s.story, []).append(s.id)
        self.held: dict[str, dict[str, _InFlight]] = {}
        self.memory: Any = None
        self.procs: ProcessPoolExecutor | None = None
        self.store_pool = ThreadPoolExecutor(max(1, run.store_threads), thread_name_prefix=f"store-{shard_id}")
        self.store_slots = threading.Semaphore(4 * max(1, run.store_threads))
        # The frontier is committed per document (a run killed mid-way does not refetch what it stored).
        self.frontier: Any = None
        if any(s.discovery is not None and s.discovery.via != "listed" for s in sources):
            from tasks.crawl.frontier import open_frontier

            self.frontier = open_frontier(run.output_dir)

    # -- bookkeeping
    def tick(self, stage: str) -> None:
        if self.run.tick is not None:
            self.run.tick(stage)

    def outcome(self, sid: str, status: str, reason: str | None = None, detail: str | None = None, document: str | None = None) -> None:
        self.state.outcomes[sid] = SourceOutcome(id=sid, status=status, reason=reason, detail=detail, document=document)  # type: ignore[arg-type]
        self.mark_frontier(sid, status, reason, document)
        if status in ("rejected", "failed") and self.run.on_rejected is not None and reason:
            self.run.on_rejected(sid, reason)
        self.release_story(sid)

    def mark_frontier(self, sid: str, status: str, reason: str | None, document: str | None) -> None:
        """Commit a discovered article's frontier row right after its outcome (stored / rejected / failed)."""
        source = self.by_id.get(sid)
        if self.frontier is None or source is None or source.discovery is None or source.discovery.via == "listed":
            return
        if status in ("new", "changed", "unchanged"):
            self.frontier.mark_stored(sid, document, self.run.run_id)
        elif status == "rejected":
            self.frontier.mark_rejected(sid, reason or status, self.run.run_id)
        elif status == "failed":
            self.frontier.mark_rejected(sid, reason or "failed", self.run.run_id, failed=True)

    def reject(self, rejection: Rejection) -> None:
        self.state.rejections.append(rejection)
        self.outcome(rejection.source_id, "rejected", rejection.reason, rejection.detail)

    # -- threads
    def _fetch_one(self, source: Source) -> None:
        from tasks.crawl.fetch.request import request_for

        try:
            result: FetchResult | None = self.fetcher.fetch(request_for(source, self.fetcher.defaults))
            error = None
        except Exception as exc:  # noqa: BLE001 - recorded as the source's failure
            result, error = None, f"{type(exc).__name__}: {exc}"
        with self.count_lock:
            self.unprocessed += 1
        self.events.put(("fetched", source, result, error))

    def _feed(self, pool: ThreadPoolExecutor, context: contextvars.Context) -> None:
        # Fetch threads see the shard's context (Prefect's settings and client: the shared
        # per-host limits are taken on the run's server, not on a server of their own).
        for source in self.sources:
            while not self.slots.acquire(timeout=0.2):
                if self.stop.is_set():
                    return
            if self.stop.is_set():
                return
            pool.submit(context.copy().run, self._fetch_one, source)

    def _translate(self) -> None:
        from tasks.translate.engine import preload_models, translate_segments

        # Load the models while the first pages are fetched. preload_models skips the pivot,
        # "und"/"auto" and missing models; the first batch that needs a model reports any error.
        try:
            preload_models({s.lang for s in self.sources}, self.run.pivot)
        except Exception:  # noqa: BLE001 - the translator thread must live to report it
            pass
        while True:
            batch = self.buckets.take()
            if batch is None:
                return
            try:
                counts = translate_segments(batch.segments, self.run.pivot, self.memory)
                self.events.put(("translated", batch, counts, None))
            except BaseException as exc:  # noqa: BLE001 - re-raised by the shard's main thread
                self.events.put(("translated", batch, None, exc))

    # -- main thread
    def run_stream(self) -> None:
        from tasks.translate.memory import open_memory

        self.memory = open_memory(self.run.tm_location)
        pool = ThreadPoolExecutor(max(1, self.run.fetch_threads), thread_name_prefix=f"fetch-{self.shard_id}")
        context = contextvars.copy_context()
        feeder = threading.Thread(target=self._feed, args=(pool, context), name=f"feed-{self.shard_id}", daemon=True)
        translators = [
            threading.Thread(target=self._translate, name=f"translate-{self.shard_id}-{i}", daemon=True)
            for i in range(self.translator_threads())
        ]
        feeder.start()
        for translator in translators:
            translator.start()
        try:
            while len(self.state.outcomes) < len(self.sources):
                try:
                    event = self.events.get(timeout=0.25)
                except queue.Empty:
                    event = None
                if event is not None and event[0] == "fetched":
                    self.on_fetched(*event[1:])
                elif event is not None and event[0] == "processed":
                    self.on_processed(*event[1:])
                elif event is not None and event[0] == "stored":
                    self.on_stored(*event[1:])
                elif event is not None:
                    self.on_translated(*event[1:])
        finally:
            self.stop.set()
            self.buckets.close()  # the translators end after the call they are in
            for translator in translators:
                translator.join()
            feeder.join()
            pool.shutdown(wait=True, cancel_futures=True)
            if self.procs is not None:
                self.procs.shutdown(wait=True, cancel_futures=True)
            self.store_pool.shutdown(wait=True)
            self.memory.close()

    def start_process_pool(self) -> None:
        """Extraction and detection are pure Python (the GIL): worker processes let them use
        the other cores. Spawned, not forked: this process has threads."""
        if self.procs is None and self.run.process_workers > 0 and not multiprocessing.current_process().daemon:
            self.procs = ProcessPoolExecutor(self.run.process_workers, mp_context=multiprocessing.get_context("spawn"))

    def on_fetched(self, source: Source, result: FetchResult | None, error: str | None) -> None:
        self.fetched_events += 1
        with self.count_lock:
            self.unprocessed -= 1
            backlog = self.unprocessed
        if backlog >= self.run.process_backlog:
            self.start_process_pool()  # pages arrive faster than this thread processes them
        self.tick("fetch")
        if error is not None or result is None or result.outcome != "fetched":
            try:
                self.not_fetched(source, result, error)
            finally:
                self.slots.release()
            return
        self.state.stats["fetched"] += 1
        if self.procs is None:
            try:
                processed, failure = process_page(source, result), None
            except Exception as exc:  # noqa: BLE001 - a bug on one page fails that page, not the shard
                processed, failure = None, f"{type(exc).__name__}: {exc}"
            self.on_processed(source, result, processed, failure)
            return
        future = self.procs.submit(process_page, source, result)
        future.add_done_callback(lambda f, s=source, r=result: self.events.put(("processed", s, r, *_result_of(f))))

    def not_fetched(self, source: Source, result: FetchResult | None, error: str | None) -> None:
        if error is not None or result is None:
            self.outcome(source.id, "failed", "internal_error", error)
            return
        if result.outcome == "not_modified":
            from tasks.store.files import latest_document

            self.state.stats["not_modified"] += 1
            self.outcome(source.id, "unchanged", document=latest_document(self.run.output_dir, source.id))
            return
        # Every fault of the web the fetcher names (robots, 4xx, 5xx after retries,
        # timeouts, resets, limits) is an expected outcome of crawling: the source is
        # rejected with its reason. A fault of our own (`internal_error`) fails the run.
        reason = result.reason or result.outcome
        rejection = Rejection(source_id=source.id, stage="fetch", reason=reason, detail=result.detail, url=source.url)
        if reason == "internal_error":
            self.state.rejections.append(rejection)
            self.outcome(source.id, "failed", reason, result.detail)
        else:
            self.reject(rejection)

    def on_processed(self, source: Source, result: FetchResult, processed: Processed | None, error: str | None) -> None:
        from tasks.text.extract import is_low_confidence

        try:
            result.content = None  # the raw bytes are in the snapshot store
            if error is not None or processed is None:
                self.outcome(source.id, "failed", "internal_error", error)
                return
            self.tick("process")
            if processed.rejection is not None:
                self.reject(processed.rejection)
                return
            doc = processed.document
            assert doc is not None
            self.state.stats["segments"] += len(doc.segments)
            if is_low_confidence(doc.extraction_confidence):
                self.state.low_confidence.append(source.id)  # operators add a `selector` for these
            item = _InFlight(source, result, processed)
            self.in_flight[source.id] = item
            self.queue_segments(item)
        finally:
            self.slots.release()

    def queue_segments(self, item: _InFlight) -> None:
        """Pivot/und segments are settled now; the others join their language's buffer."""
        from tasks.models import Translation
        from tasks.translate.engine import NOT_TRANSLATABLE

        doc = item.processed.document
        assert doc is not None
        pivot = self.run.pivot
        now_segments, later = [], []
        for seg in doc.segments:
            if seg.lang == pivot or seg.lang in NOT_TRANSLATABLE or not seg.text.strip():
                now_segments.append(seg)
            else:
                later.append(seg)
        for seg in now_segments:  # as tasks.translate.engine.translate_segments settles them
            if seg.lang == pivot:
                seg.translation = Translation(text=seg.text, src=seg.lang, tgt=pivot, model="copy", engine="copy", state="copy")
                self.state.stats["copied"] += 1
            else:
                seg.translation = None
                self.state.stats["untranslated"] += 1
        item.waiting = len(later)
        for seg in later:
            self.buckets.put((seg.lang, self.token_length(seg)), item.source.id, seg, self.stop)
        if not later:
            self.translated(item)

    def token_length(self, seg: Segment) -> int | None:
        from tasks.translate.engine import length_counter

        counter = self.counters.get(seg.lang)
        if counter is None:
            counter = self.counters[seg.lang] = length_counter(seg.lang, self.run.pivot)
        return counter(seg.text)

    def translator_threads(self) -> int:
        if self.run.translator_threads > 0:
            return self.run.translator_threads
        from tasks.translate.engine import EngineOptions

        return max(1, EngineOptions.from_settings().inter_threads)

    def add_counts(self, counts: Any, segments: list[Segment]) -> None:
        # A text translated fresh earlier in this shard comes back from the memory: it
        # still counts (and is recorded) as fresh, as when the whole run was one batch.
        fresh_again = 0
        for seg in segments:
            tr = seg.translation
            if tr is None or tr.model == "copy":
                continue
            key = (seg.lang, unicodedata.normalize("NFC", seg.text))
            if not tr.from_memory:
                self.fresh_keys.add(key)
            elif key in self.fresh_keys:
                seg.translation = tr.model_copy(update={"from_memory": False})
                fresh_again += 1
        stats = self.state.stats
        stats["translated_fresh"] += counts.fresh + fresh_again
        stats["translated_from_memory"] += counts.from_memory - fresh_again
        stats["copied"] += counts.copied
        stats["untranslated"] += counts.untranslated

    def on_translated(self, batch: _Batch, counts: Any, error: BaseException | None) -> None:
        if error is not None:
            # A missing model or a broken engine stops the shard (and the run).
            raise error
        self.add_counts(counts, batch.segments)
        done: dict[str, _InFlight] = {}
        for sid in batch.owners:
            item = self.in_flight[sid]
            item.waiting -= 1
            if item.waiting == 0:
                done[sid] = item
        for item in done.values():
            self.translated(item)

    def translated(self, item: _InFlight) -> None:
        self.tick("translate")
        story = item.source.story
        if story and len(self.story_members.get(story, [])) > 1:
            self.held.setdefault(story, {})[item.source.id] = item
            self.store_story(story)
        else:
            self.store([item], {})

    def release_story(self, sid: str) -> None:
        story = self.by_id[sid].story if sid in self.by_id else None
        if story and story in self.held:
            self.store_story(story)

    def store_story(self, story: str) -> None:
        """Store the held versions of a story once every other version is held or settled."""
        held = self.held.get(story, {})
        members = self.story_members[story]
        if not held or not all(m in held or m in self.state.outcomes for m in members):
            return
        from tasks.align.story import story_alignments

        del self.held[story]
        items = list(held.values())
        documents = {i.source.id: i.processed.document for i in items}
        blocks = story_alignments([self.by_id[m] for m in members], documents, self.run.pivot, self.run.output_dir)  # type: ignore[arg-type]
        self.store(items, blocks)

    def store(self, items: list[_InFlight], stories: dict[str, StoryBlock]) -> None:
        """Hand documents to the store threads (bounded: the shard waits when they are behind)."""
        for item in items:
            self.in_flight.pop(item.source.id, None)
            self.store_slots.acquire()
            self.store_pool.submit(self._store_one, item, stories.get(item.source.id))

    def _store_one(self, item: _InFlight, story: StoryBlock | None) -> None:
        try:
            status, rel = store_document(
                item.processed, item.fetched, self.fetcher, self.run.output_dir, self.run.provenance, self.memory, story
            )
            self.events.put(("stored", item.source.id, status, rel, None))
        except Exception as exc:  # noqa: BLE001 - recorded as the source's failure
            self.events.put(("stored", item.source.id, None, None, f"{type(exc).__name__}: {exc}"))
        finally:
            self.store_slots.release()

    def on_stored(self, sid: str, status: str | None, rel: str | None, error: str | None) -> None:
        if error is not None or status is None or rel is None:
            self.outcome(sid, "failed", "store_error", error)
            return
        if self.run.on_stored is not None:
            self.run.on_stored(sid, rel)
        self.outcome(sid, status, document=rel)
        self.tick("store")


def _result_of(future: Future) -> tuple[Processed | None, str | None]:
    try:
        return future.result(), None
    except Exception as exc:  # noqa: BLE001 - a bug on one page (or a lost worker) fails that page
        return None, f"{type(exc).__name__}: {exc}"


def run_shard(shard_id: str, sources: list[Source], fetcher: FetcherLike, run: ShardRun) -> ShardRecord:
    """Stream one shard; write and return its record. Re-raises a shard-stopping error
    (a missing model, a broken engine) after recording every source it reached."""
    from tasks.store.files import write_json_atomic

    stream = _Stream(shard_id, sources, fetcher, run)
    error: BaseException | None = None
    try:
        stream.run_stream()
    except BaseException as exc:  # noqa: BLE001 - recorded, then re-raised
        error = exc
        line = traceback.format_exception_only(type(exc), exc)[-1].strip()
        for s in sources:
            if s.id not in stream.state.outcomes:
                stream.state.outcomes[s.id] = SourceOutcome(id=s.id, status="failed", reason="run_aborted", detail=line)
                try:
                    stream.mark_frontier(s.id, "failed", "run_aborted", None)
                except Exception:  # noqa: BLE001 - the frontier may be what failed; the row stays "fetch" and is retried
                    pass
    if stream.frontier is not None:
        stream.frontier.close()
    state = stream.state
    record = ShardRecord(
        shard=shard_id,
        run_id=run.run_id,
        outcomes=[state.outcomes[s.id] for s in sources],
        rejections=state.rejections,
        stats={k: int(state.stats.get(k, 0)) for k in STAT_KEYS},
        low_confidence=sorted(state.low_confidence),
        process_workers=stream.run.process_workers if stream.procs is not None else 0,
        error=None if error is None else f"{type(error).__name__}: {error}",
    )
    write_json_atomic(shard_record_path(run.output_dir, run.run_id, shard_id), record.model_dump(mode="json"))
    if error is not None:
        raise error
    return record


def read_shard_record(output_dir: Path, run_id: str, shard_id: str) -> ShardRecord | None:
    try:
        data = json.loads(shard_record_path(output_dir, run_id, shard_id).read_text(encoding="utf-8"))
        return ShardRecord.model_validate(data)
    except (OSError, ValueError):
        return None
