"""A local run's first pages are fetched while Prefect's temporary server starts.

`newsbridge run` without `PREFECT_API_URL` waits several seconds for Prefect's temporary
server (flows/quiet.py starts it early; its imports and start-up take most of that time).
On a polite host those seconds are requests not made: the night ends that much later.
So the command starts fetching the first shard's first pages at once, on the Fetcher that
shard then uses (`adopt`, called by flows/shard.py), with the run's politeness, robots.txt
and fetch state, and translates them into the run's translation memory as they arrive
(`tasks.stream.stream.translate_ahead`). The documents are still made, stored and committed by
the flow's shard, with the flow run's ids: it finds those translations in the memory and
records them as translated fresh in this run (they are: same engine, same words). Only
the requests and the engine's work happen earlier.

Only where the result is certain to be used: the in-process threads runner, no shard
deployment, no `--since` (it drops finished sources) and no outlets (their articles are
found by the flow's discovery step first). This module imports no Prefect.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tasks.models import FetchDefaults
from tasks.settings import get_settings

@dataclass
class _Early:
    key: tuple[Any, ...]  # (fetch defaults, output dir, force): what the flow must match
    fetcher: Any
    stop: threading.Event = field(default_factory=threading.Event)
    fresh: set[tuple[str, str]] = field(default_factory=set)
    translator: threading.Thread | None = None

    def end(self) -> None:
        """Stop translating ahead (after the call under way) and wait for it."""
        self.stop.set()
        if self.translator is not None:
            self.translator.join()


_early: _Early | None = None
_fresh: dict[str, set[tuple[str, str]]] = {}  # run id -> keys translated ahead, for its first shard
_lock = threading.Lock()


def start_early_fetch(
    sources_file: Path,
    only: list[str] | None,
    force: bool,
    output: Path,
    *,
    since: str | None,
    runner: str | None,
    pivot: str = "en",
) -> int:
    """Start fetching (and translating) the first shard's first `stream_prefetch_pages`
    pages; how many."""
    global _early
    from tasks.crawl.shards import plan_shards
    from tasks.crawl.sources import load_sources, select_sources

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
    from tasks.crawl.fetch import Fetcher, request_for

    out = Path(output).resolve()
    first = plan_shards(selected, settings.shard_max_pages)[0]
    from tasks.stream.stream import translate_ahead

    ahead = first.sources[:limit]
    fetcher = Fetcher(cfg.defaults, out, settings=settings, force=force)
    fetcher.fetch_ahead([request_for(s, cfg.defaults) for s in ahead])
    early = _Early((cfg.defaults, out, force), fetcher)
    tm_location = settings.tm_dsn or str(out / "tm.sqlite")  # as tasks.crawl.shards.shard_tm_location
    early.translator = threading.Thread(
        target=translate_ahead, args=(fetcher, ahead, pivot, tm_location, early.stop, early.fresh),
        name="translate-ahead", daemon=True,
    )
    early.translator.start()
    with _lock:
        _early = early
    return len(ahead)


def adopt(defaults: FetchDefaults, output_dir: Path, force: bool, run_id: str) -> Any:
    """The early Fetcher, when it fetched for this run (same politeness, output and force);
    it then shares robots.txt decisions under `run_id` like the run's other fetchers."""
    global _early
    with _lock:
        early, _early = _early, None
    if early is None:
        return None
    early.end()  # the shard's own translators take over
    if early.key != (defaults, Path(output_dir).resolve(), force):
        early.fetcher.close()
        return None
    early.fetcher.run_id = run_id
    with _lock:
        _fresh[run_id] = early.fresh
    return early.fetcher


def fresh_keys(run_id: str) -> set[tuple[str, str]]:
    """The (language, text) keys translated ahead for `run_id` (once: for its first shard)."""
    with _lock:
        return _fresh.pop(run_id, set())


def discard() -> None:
    """Close an early Fetcher no run took (the flow failed before its first shard)."""
    global _early
    with _lock:
        early, _early = _early, None
        _fresh.clear()
    if early is not None:
        early.end()
        early.fetcher.close()
