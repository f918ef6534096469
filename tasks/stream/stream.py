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
- A document is stored the moment its last segment is translated (a story's versions are
  aligned after all shards, by tasks/align/story.py), its fetch state is committed only then,
  and then it is dropped. Memory follows what is in flight, not the size of the night.
- Every source gets exactly one outcome; the shard's outcomes and counters are written to
  `runs/<run-id>/shards/<shard-id>.json` (atomically, also when the shard fails), which is
  all the flow reads back: no page, document or segment crosses Prefect.

Where each part lives (this module only starts a shard and writes its record):

- scheduler.py — the threads, the event loop and the back-pressure (`ShardRun`);
- tasks/translate/batcher.py — the translation batcher: "copy, don't translate" and the
  (language, token length) buckets;
- outcomes.py — the outcomes ledger: one outcome per source, frontier commits, the record;
- page.py — one page: `process_page`, `store_document`.
"""

from __future__ import annotations

import traceback

from tasks.models import Source
from tasks.stream.outcomes import STAT_KEYS, ShardRecord, read_shard_record, shard_record_path
from tasks.stream.page import FetcherLike, Processed, document_provenance, process_page, store_document, warm_up
from tasks.stream.scheduler import Scheduler, ShardRun

__all__ = [
    "STAT_KEYS", "FetcherLike", "Processed", "ShardRecord", "ShardRun", "document_provenance", "process_page",
    "read_shard_record", "run_shard", "shard_record_path", "store_document", "warm_up",
]


def run_shard(shard_id: str, sources: list[Source], fetcher: FetcherLike, run: ShardRun) -> ShardRecord:
    """Stream one shard; write and return its record. Re-raises a shard-stopping error
    (a missing model, a broken engine) after recording every source it reached."""
    from tasks.store.files import write_json_atomic

    stream = Scheduler(shard_id, sources, fetcher, run)
    error: BaseException | None = None
    try:
        stream.run_stream()
    except BaseException as exc:  # noqa: BLE001 - recorded, then re-raised
        error = exc
        stream.ledger.abort_rest(traceback.format_exception_only(type(exc), exc)[-1].strip())
    stream.ledger.close()
    record = stream.ledger.shard_record(
        shard_id,
        stream.batcher.counts,
        process_workers=run.process_workers if stream.procs is not None else 0,
        error=None if error is None else f"{type(error).__name__}: {error}",
    )
    write_json_atomic(shard_record_path(run.output_dir, run.run_id, shard_id), record.model_dump(mode="json"))
    if error is not None:
        raise error
    return record
