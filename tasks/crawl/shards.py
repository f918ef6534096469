"""Plan a night's pages into shards: the unit of scheduling (a Prefect task or a child flow run).

A shard is a list of sources, at most `max_pages` long, built so that

- every version of a hand-written `story:` lands in the same shard (its versions are
  aligned to each other when the last of them is stored);
- a host's pages stay together as far as the cap allows (its politeness state, robots.txt
  and connection pool stay in one fetcher); a host with more pages than the cap is cut into
  several shards, whose requests then share the host's Prefect global concurrency limits
  when they run on several workers (flows/limits.py);
- inside a shard the pages of different hosts are interleaved, so the fetcher threads
  wait on several hosts' politeness delays at once instead of queueing behind one.

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
    """Connected groups: sources sharing a host or a story (union-find), in input order."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra

    for s in sources:
        union("s:" + s.id, "h:" + host_of(s.url))
        if s.story:
            union("s:" + s.id, "t:" + s.story)
    groups: dict[str, list[Source]] = {}
    for s in sources:
        groups.setdefault(find("s:" + s.id), []).append(s)
    return list(groups.values())


def _cut(group: list[Source], max_pages: int) -> list[list[Source]]:
    """A group over the cap is cut into runs of whole stories (a story is never split)."""
    if len(group) <= max_pages:
        return [group]
    units: dict[str, list[Source]] = {}
    for s in group:
        units.setdefault("t:" + s.story if s.story else "s:" + s.id, []).append(s)
    pieces: list[list[Source]] = [[]]
    for unit in units.values():
        if pieces[-1] and len(pieces[-1]) + len(unit) > max_pages:
            pieces.append([])
        pieces[-1].extend(unit)
    return pieces


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
    """Pack host/story groups into shards of at most `max_pages` pages (first fit, in order)."""
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
