"""Which sources a rerun still has to do: read back the run records of earlier runs.

`since` reruns finish a day's job: a source is *finished* since a moment when a run that
started at or after it recorded the source as stored (new / changed / unchanged) or as a
permanent rejection (robots, 404, unsupported type, no text...). Transient outcomes
(network failures, 5xx, timeouts, internal errors, aborted runs) are not finished, so a
rerun retries exactly those. The records are `runs/<run-id>/manifest.json`, written
atomically by every run, also by runs that fail.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

STORED = frozenset({"new", "changed", "unchanged"})
# Reasons recorded by the flow itself for work that did not finish.
UNFINISHED_REASONS = frozenset({"internal_error", "store_error", "run_aborted"})


def transient_reasons() -> frozenset[str]:
    """Reason codes worth retrying: the fetch stage's failure codes plus the flow's own."""
    try:
        from tasks.crawl.fetch.reasons import FAILED_REASONS
    except ImportError:  # fetch stage without the vocabulary: treat only our own as transient
        FAILED_REASONS = frozenset()
    return frozenset(FAILED_REASONS) | UNFINISHED_REASONS


def local_midnight_utc(day: date | str, tz: str) -> datetime:
    """00:00 of `day` in timezone `tz`, as an aware UTC datetime."""
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(tz)).astimezone(timezone.utc)


def finished_since(output_dir: Path, since: datetime) -> set[str]:
    """Ids of sources with a finished outcome in a run started at or after `since` (aware)."""
    transient = transient_reasons()
    done: set[str] = set()
    runs = output_dir / "runs"
    if not runs.is_dir():
        return done
    for manifest in sorted(runs.glob("*/manifest.json")):
        try:
            record = json.loads(manifest.read_text(encoding="utf-8"))
            started = datetime.fromisoformat(record["started_at"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # unreadable record: its sources count as not done (they are redone)
        if started.tzinfo is None:
            started = started.replace(tzinfo=timezone.utc)
        if started < since:
            continue
        for outcome in record.get("sources", []):
            status, reason = outcome.get("status"), outcome.get("reason")
            if status in STORED or (status == "rejected" and reason not in transient):
                done.add(outcome["id"])
    return done


def drop_finished(sources: list[Any], output_dir: Path, since: date | str | None, tz: str) -> tuple[list[Any], list[str]]:
    """(the sources still to do, the ids skipped): a `since` rerun drops the sources finished
    in runs started on or after 00:00 of that day in `tz`; without `since` nothing is dropped."""
    if not since:
        return sources, []
    done = finished_since(output_dir, local_midnight_utc(since, tz))
    return [s for s in sources if s.id not in done], [s.id for s in sources if s.id in done]
