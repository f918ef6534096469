"""A shard's outcomes ledger: exactly one outcome per source, and what the flow reads back.

The ledger records each source's outcome (new / changed / unchanged / rejected / failed,
with its reason), the rejections, the shard's counters and the sources whose extraction
was unsure. A discovered article's frontier row is committed right after its outcome (a
run killed mid-way does not refetch what it stored). At the end the ledger becomes the
shard's record, `runs/<run-id>/shards/<shard-id>.json`: all the flow reads back.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel

from tasks.models import FetchResult, Rejection, Source, SourceOutcome

# The counters a shard adds to the run's stats.
STAT_KEYS = (
    "fetched", "not_modified", "segments", "translated_fresh", "translated_from_memory", "copied", "untranslated",
)


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


def shard_record_path(output_dir: Path, run_id: str, shard_id: str) -> Path:
    from tasks.store.files import safe_join

    return safe_join(output_dir, "runs", run_id, "shards", f"{shard_id}.json")


def read_shard_record(output_dir: Path, run_id: str, shard_id: str) -> ShardRecord | None:
    try:
        data = json.loads(shard_record_path(output_dir, run_id, shard_id).read_text(encoding="utf-8"))
        return ShardRecord.model_validate(data)
    except (OSError, ValueError):
        return None


class Outcomes:
    """The ledger of one shard (written by the shard's main thread only)."""

    def __init__(
        self,
        sources: list[Source],
        output_dir: Path,
        run_id: str,
        on_rejected: Callable[[str, str], None] | None = None,
    ) -> None:
        self.sources = sources
        self.by_id = {s.id: s for s in sources}
        self.output_dir = output_dir
        self.run_id = run_id
        self.on_rejected = on_rejected  # (source id, reason)
        self.outcomes: dict[str, SourceOutcome] = {}
        self.rejections: list[Rejection] = []
        self.stats: Counter[str] = Counter()
        self.low_confidence: list[str] = []
        self.frontier: Any = None
        if any(s.discovery is not None and s.discovery.via != "listed" for s in sources):
            from tasks.crawl.frontier import open_frontier

            self.frontier = open_frontier(output_dir)

    def complete(self) -> bool:
        """Every source has its outcome."""
        return len(self.outcomes) >= len(self.sources)

    def record(self, sid: str, status: str, reason: str | None = None, detail: str | None = None, document: str | None = None) -> None:
        self.outcomes[sid] = SourceOutcome(id=sid, status=status, reason=reason, detail=detail, document=document)  # type: ignore[arg-type]
        self.mark_frontier(sid, status, reason, document)
        if status in ("rejected", "failed") and self.on_rejected is not None and reason:
            self.on_rejected(sid, reason)

    def mark_frontier(self, sid: str, status: str, reason: str | None, document: str | None) -> None:
        """Commit a discovered article's frontier row right after its outcome (stored / rejected / failed)."""
        source = self.by_id.get(sid)
        if self.frontier is None or source is None or source.discovery is None or source.discovery.via == "listed":
            return
        if status in ("new", "changed", "unchanged"):
            self.frontier.mark_stored(sid, document, self.run_id)
        elif status == "rejected":
            # A bug of ours on this page (internal_error) is retried next night, like a failure.
            self.frontier.mark_rejected(sid, reason or status, self.run_id, failed=reason == "internal_error")
        elif status == "failed":
            self.frontier.mark_rejected(sid, reason or "failed", self.run_id, failed=True)

    def reject(self, rejection: Rejection) -> None:
        self.rejections.append(rejection)
        self.record(rejection.source_id, "rejected", rejection.reason, rejection.detail)

    def not_fetched(self, source: Source, result: FetchResult | None, error: str | None) -> None:
        """The outcome of a page that was not fetched (unchanged, rejected, failed)."""
        if error is not None or result is None:
            self.reject(Rejection(source_id=source.id, stage="fetch", reason="internal_error", detail=error, url=source.url))
            return
        if result.outcome == "not_modified":
            from tasks.store.files import latest_document

            self.stats["not_modified"] += 1
            self.record(source.id, "unchanged", document=latest_document(self.output_dir, source.id))
            return
        # Every fault of the web the fetcher names (robots, 4xx, 5xx after retries,
        # timeouts, resets, limits) is an expected outcome of crawling: the source is
        # rejected with its reason. A fault of our own on one page (`internal_error`, the
        # exception's type in `detail`) is that page's rejection too, retried next night:
        # one hostile page never takes the night down.
        reason = result.reason or result.outcome
        self.reject(Rejection(source_id=source.id, stage="fetch", reason=reason, detail=result.detail, url=source.url))

    def abort_rest(self, line: str) -> None:
        """Every source without an outcome fails `run_aborted` (the shard stopped)."""
        for s in self.sources:
            if s.id not in self.outcomes:
                self.outcomes[s.id] = SourceOutcome(id=s.id, status="failed", reason="run_aborted", detail=line)
                try:
                    self.mark_frontier(s.id, "failed", "run_aborted", None)
                except Exception:  # noqa: BLE001 - the frontier may be what failed; the row stays "fetch" and is retried
                    pass

    def close(self) -> None:
        if self.frontier is not None:
            self.frontier.close()

    def shard_record(self, shard_id: str, translation: Any, process_workers: int, error: str | None) -> ShardRecord:
        """The record of the shard; `translation`: the batcher's counts."""
        stats = Counter(self.stats)
        stats.update(translated_fresh=translation.fresh, translated_from_memory=translation.from_memory,
                     copied=translation.copied, untranslated=translation.untranslated)
        return ShardRecord(
            shard=shard_id,
            run_id=self.run_id,
            outcomes=[self.outcomes[s.id] for s in self.sources],
            rejections=self.rejections,
            stats={k: int(stats.get(k, 0)) for k in STAT_KEYS},
            low_confidence=sorted(self.low_confidence),
            process_workers=process_workers,
            error=error,
        )
