"""Plan a night's pages into shards: the unit of scheduling (a Prefect task or a child flow run).

A shard is a list of sources, at most `max_pages` long, built so that

- a host's pages stay together as far as the cap allows (its politeness state, robots.txt
  and connection pool stay in one fetcher); a host with more pages than the cap is cut into
  several shards, whose requests then share the host's Prefect global concurrency limits
  when they run on several workers (flows/limits.py);
- inside a shard the pages of different hosts are interleaved, so the fetcher threads
  wait on several hosts' politeness delays at once instead of queueing behind one.

A story's versions may land in different shards: they are aligned after all shards,
from the store (tasks/align/story.py).

Pure functions, no Prefect: the same plan comes out of the same list of sources.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import BaseModel

from tasks.models import FetchDefaults, Provenance, Source
from tasks.urls import host_of

DEFAULT_MAX_PAGES = 1000


class Shard(BaseModel):
    """One unit of work: an id stable for the same pages, and the pages in fetch order."""

    id: str
    sources: list[Source]

    @property
    def hosts(self) -> list[str]:
        return sorted({host_of(s.url) for s in self.sources})


def _groups(sources: list[Source]) -> list[list[Source]]:
    """Sources by host, in input order."""
    groups: dict[str, list[Source]] = {}
    for s in sources:
        groups.setdefault(host_of(s.url), []).append(s)
    return list(groups.values())


def _cut(group: list[Source], max_pages: int) -> list[list[Source]]:
    """A group over the cap is cut into runs of at most `max_pages` pages."""
    return [group[i : i + max_pages] for i in range(0, len(group), max_pages)]


def _interleave(sources: list[Source]) -> list[Source]:
    """Round-robin over hosts, each host's pages in input order."""
    by_host: dict[str, list[Source]] = {}
    for s in sources:
        by_host.setdefault(host_of(s.url), []).append(s)
    queues = list(by_host.values())
    out: list[Source] = []
    i = 0
    while queues:
        i %= len(queues)
        out.append(queues[i].pop(0))
        if not queues[i]:
            queues.pop(i)
        else:
            i += 1
    return out


def plan_shards(sources: list[Source], max_pages: int = DEFAULT_MAX_PAGES) -> list[Shard]:
    """Pack host groups into shards of at most `max_pages` pages (first fit, in order)."""
    max_pages = max(1, max_pages)
    pieces = [piece for group in _groups(sources) for piece in _cut(group, max_pages)]
    bins: list[list[Source]] = []
    for piece in pieces:
        for b in bins:
            if len(b) + len(piece) <= max_pages:
                b.extend(piece)
                break
        else:
            bins.append(list(piece))
    shards = []
    for n, b in enumerate(bins):
        digest = hashlib.sha1("\n".join(sorted(s.id for s in b)).encode()).hexdigest()[:8]
        shards.append(Shard(id=f"{n:03d}-{digest}", sources=_interleave(b)))
    return shards


class RunPlan(BaseModel):
    """What every shard of one run shares (small: passed to each shard task or child flow run)."""

    run_id: str
    output: str
    force: bool
    pivot: str
    # The translation memory is on PostgreSQL (NEWSBRIDGE_TM_DSN): every shard must use it
    # from its own setting; the DSN (it may hold a password) never goes into parameters.
    tm_postgres: bool
    defaults: FetchDefaults
    provenance: Provenance


def shard_tm_location(plan: RunPlan, tm_dsn: str | None) -> str:
    """The memory a shard uses: the run's SQLite file in the shared output, or this
    machine's DSN setting; a worker that disagrees with the run is an error, never a
    second, silent memory."""
    if plan.tm_postgres and not tm_dsn:
        raise RuntimeError(
            "the run keeps its translation memory on PostgreSQL but this worker has no "
            "NEWSBRIDGE_TM_DSN: set it in the worker's environment (docs/scaling.md)"
        )
    if not plan.tm_postgres and tm_dsn:
        raise RuntimeError(
            "this worker has NEWSBRIDGE_TM_DSN set but the run uses the SQLite memory in its "
            "output directory: set the same NEWSBRIDGE_TM_DSN where the nightly run starts"
        )
    return tm_dsn or str(Path(plan.output) / "tm.sqlite")
