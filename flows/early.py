"""A local run's first pages are fetched while Prefect's temporary server starts.

`newsbridge run` without `PREFECT_API_URL` waits several seconds for Prefect's temporary
server (flows/quiet.py starts it early; its imports and start-up take most of that time).
On a polite host those seconds are requests not made: the night ends that much later.
So the command starts fetching the first shard's first pages at once, on the Fetcher that
shard then uses (`adopt`, called by flows/shard.py), with the run's politeness, robots.txt
and fetch state. The documents are still made, stored and committed by the flow's shard,
with the flow run's ids: only the requests happen earlier.

Only where the result is certain to be used: the in-process threads runner, no shard
deployment, no `--since` (it drops finished sources) and no outlets (their articles are
found by the flow's discovery step first). This module imports no Prefect.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from tasks.models import FetchDefaults
from tasks.settings import get_settings

_early: tuple[tuple[Any, ...], Any] | None = None
_lock = threading.Lock()


def start_early_fetch(
    sources_file: Path, only: list[str] | None, force: bool, output: Path, *, since: str | None, runner: str | None
) -> int:
    """Start fetching the first shard's first `stream_prefetch_pages` pages; how many."""
    global _early
    from tasks.shards import plan_shards
    from tasks.sources import load_sources, select_sources

    settings = get_settings()
    limit = settings.stream_prefetch_pages
    kind = (runner or settings.runner or "threads").partition(":")[0]
    if limit <= 0 or since or settings.shard_deployment or kind != "threads":
        return 0
    try:
        cfg = load_sources(sources_file)
        selected = select_sources(cfg, only)
    except Exception:  # noqa: BLE001 - the flow reports a bad file or id, with its context
        return 0
    if cfg.outlets or not selected:
        return 0
    from tasks.fetch import Fetcher

    out = Path(output).resolve()
    first = plan_shards(selected, settings.shard_max_pages)[0]
    fetcher = Fetcher(cfg.defaults, out, settings=settings, force=force)
    fetcher.fetch_ahead(first.sources[:limit])
    with _lock:
        _early = ((cfg.defaults, out, force), fetcher)
    return min(limit, len(first.sources))


def adopt(defaults: FetchDefaults, output_dir: Path, force: bool, run_id: str) -> Any:
    """The early Fetcher, when it fetched for this run (same politeness, output and force);
    it then shares robots.txt decisions under `run_id` like the run's other fetchers."""
    global _early
    with _lock:
        early, _early = _early, None
    if early is None:
        return None
    key, fetcher = early
    if key != (defaults, Path(output_dir).resolve(), force):
        fetcher.close()
        return None
    fetcher.run_id = run_id
    return fetcher


def discard() -> None:
    """Close an early Fetcher no run took (the flow failed before its first shard)."""
    global _early
    with _lock:
        early, _early = _early, None
    if early is not None:
        early[1].close()
