"""The shard's scheduler: its threads, its event loop and its back-pressure.

    fetcher threads ──► process (decode/extract/segment/detect) ──► the translation batcher
    (window of pages)        │ rejections → the outcomes ledger       (tasks/translate/batcher.py)
                             ▼                                               │
    store ◄── a document's last segment is back ◄── translator threads: the fullest bucket

Every other thread only computes and posts an event; the shard's main thread takes the
events one by one and is the only one to change the shard's state (the documents in
flight, the ledger, the batcher's counts). What the scheduler does not decide: which
segments are translated and in which calls (the batcher), what an outcome is and what
the flow reads back (tasks/stream/outcomes.py), what is done to one page
(tasks/stream/page.py). Stories are not its business: their versions are aligned after all
shards (tasks/align/story.py).
"""

from __future__ import annotations

import contextvars
import multiprocessing
import queue
import threading
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from tasks.models import FetchResult, Provenance, Rejection, Source
from tasks.stream.outcomes import Outcomes
from tasks.stream.page import FetcherLike, Processed, process_page, store_document
from tasks.translate.batcher import Batch, TranslationBatcher


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


@dataclass
class InFlight:
    source: Source
    fetched: FetchResult
    processed: Processed
    waiting: int = 0  # segments still at the translator


class Scheduler:
    def __init__(self, shard_id: str, sources: list[Source], fetcher: FetcherLike, run: ShardRun) -> None:
        from tasks.translate.engine import length_counter

        self.shard_id = shard_id
        self.sources = sources
        self.fetcher = fetcher
        self.run = run
        self.events: queue.Queue[tuple[Any, ...]] = queue.Queue()  # unbounded: fetch slots bound it
        self.slots = threading.Semaphore(max(1, run.window))
        self.stop = threading.Event()
        self.ledger = Outcomes(sources, run.output_dir, run.run_id, run.on_rejected)
        self.batcher = TranslationBatcher(run.pivot, run.batch_segments, length_counter, self.stop)
        self.in_flight: dict[str, InFlight] = {}
        self.unprocessed = 0  # fetched pages whose event the shard's thread has not taken yet
        self.count_lock = threading.Lock()
        self.memory: Any = None
        self.procs: ProcessPoolExecutor | None = None
        self.store_pool = ThreadPoolExecutor(max(1, run.store_threads), thread_name_prefix=f"store-{shard_id}")
        self.store_slots = threading.Semaphore(4 * max(1, run.store_threads))

    def tick(self, stage: str) -> None:
        if self.run.tick is not None:
            self.run.tick(stage)

    # -- other threads: compute, then post an event
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
            batch = self.batcher.take()
            if batch is None:
                return
            try:
                counts = translate_segments(batch.segments, self.run.pivot, self.memory)
                self.events.put(("translated", batch, counts, None))
            except BaseException as exc:  # noqa: BLE001 - re-raised by the shard's main thread
                self.events.put(("translated", batch, None, exc))

    def _store_one(self, item: InFlight) -> None:
        try:
            status, rel = store_document(
                item.processed, item.fetched, self.fetcher, self.run.output_dir, self.run.provenance, self.memory
            )
            self.events.put(("stored", item.source.id, status, rel, None))
        except Exception as exc:  # noqa: BLE001 - recorded as the source's failure
            self.events.put(("stored", item.source.id, None, None, f"{type(exc).__name__}: {exc}"))
        finally:
            self.store_slots.release()

    # -- the main thread
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
        handlers: dict[str, Callable[..., None]] = {
            "fetched": self.on_fetched, "processed": self.on_processed, "stored": self.on_stored,
            "translated": self.on_translated,
        }
        try:
            while not self.ledger.complete():
                try:
                    event = self.events.get(timeout=0.25)
                except queue.Empty:
                    continue
                handlers[event[0]](*event[1:])
        finally:
            self.batcher.close()  # the translators end after the call they are in
            for translator in translators:
                translator.join()
            feeder.join()
            pool.shutdown(wait=True, cancel_futures=True)
            if self.procs is not None:
                self.procs.shutdown(wait=True, cancel_futures=True)
            self.store_pool.shutdown(wait=True)
            self.memory.close()

    def translator_threads(self) -> int:
        if self.run.translator_threads > 0:
            return self.run.translator_threads
        from tasks.translate.engine import EngineOptions

        return max(1, EngineOptions.from_settings().inter_threads)

    def start_process_pool(self) -> None:
        """Extraction and detection are pure Python (the GIL): worker processes let them use
        the other cores. Spawned, not forked: this process has threads."""
        if self.procs is None and self.run.process_workers > 0 and not multiprocessing.current_process().daemon:
            self.procs = ProcessPoolExecutor(self.run.process_workers, mp_context=multiprocessing.get_context("spawn"))

    def on_fetched(self, source: Source, result: FetchResult | None, error: str | None) -> None:
        with self.count_lock:
            self.unprocessed -= 1
            backlog = self.unprocessed
        if backlog >= self.run.process_backlog:
            self.start_process_pool()  # pages arrive faster than this thread processes them
        self.tick("fetch")
        if error is not None or result is None or result.outcome != "fetched":
            try:
                self.ledger.not_fetched(source, result, error)
            finally:
                self.slots.release()
            return
        self.ledger.stats["fetched"] += 1
        if self.procs is None:
            try:
                processed, failure = process_page(source, result), None
            except Exception as exc:  # noqa: BLE001 - a bug on one page fails that page, not the shard
                processed, failure = None, f"{type(exc).__name__}: {exc}"
            self.on_processed(source, result, processed, failure)
            return
        future = self.procs.submit(process_page, source, result)
        future.add_done_callback(lambda f, s=source, r=result: self.events.put(("processed", s, r, *_result_of(f))))

    def on_processed(self, source: Source, result: FetchResult, processed: Processed | None, error: str | None) -> None:
        from tasks.text.extract import is_low_confidence

        try:
            result.content = None  # the raw bytes are in the snapshot store
            if error is not None or processed is None:
                self.ledger.reject(Rejection(source_id=source.id, stage="process", reason="internal_error", detail=error,
                                             url=source.url))
                return
            self.tick("process")
            if processed.rejection is not None:
                self.ledger.reject(processed.rejection)
                return
            doc = processed.document
            assert doc is not None
            self.ledger.stats["segments"] += len(doc.segments)
            if is_low_confidence(doc.extraction_confidence):
                self.ledger.low_confidence.append(source.id)  # operators add a `selector` for these
            item = InFlight(source, result, processed)
            self.in_flight[source.id] = item
            # Pivot/und segments are settled now; the others wait in the batcher's buckets.
            item.waiting = self.batcher.queue(source.id, doc.segments)
            if item.waiting == 0:
                self.translated(item)
        finally:
            self.slots.release()

    def on_translated(self, batch: Batch, counts: Any, error: BaseException | None) -> None:
        if error is not None:
            # A missing model or a broken engine stops the shard (and the run).
            raise error
        self.batcher.translated(counts, batch.segments)
        done: dict[str, InFlight] = {}
        for sid in batch.owners:
            item = self.in_flight[sid]
            item.waiting -= 1
            if item.waiting == 0:
                done[sid] = item
        for item in done.values():
            self.translated(item)

    def translated(self, item: InFlight) -> None:
        """Hand the document to the store threads (bounded: the shard waits when they are behind)."""
        self.tick("translate")
        self.in_flight.pop(item.source.id, None)
        self.store_slots.acquire()
        self.store_pool.submit(self._store_one, item)

    def on_stored(self, sid: str, status: str | None, rel: str | None, error: str | None) -> None:
        if error is not None or status is None or rel is None:
            self.ledger.record(sid, "failed", "store_error", error)
            return
        if self.run.on_stored is not None:
            self.run.on_stored(sid, rel)
        self.ledger.record(sid, status, document=rel)
        self.tick("store")


def _result_of(future: Future) -> tuple[Processed | None, str | None]:
    try:
        return future.result(), None
    except Exception as exc:  # noqa: BLE001 - a bug on one page (or a lost worker) fails that page
        return None, f"{type(exc).__name__}: {exc}"
