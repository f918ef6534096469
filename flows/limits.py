"""Per-host fetch limits shared by every process and machine: Prefect global concurrency limits.

With the default thread runner, one Fetcher per run holds the per-host gates (slots and
spacing) for all fetch tasks. When tasks run in other processes (Dask), those gates would
be per process, so the flow creates two global concurrency limits per host before it
submits any fetch, and every fetch task holds them:

- `newsbridge-host-<host>`: at most `per_host_concurrency` fetches of that host at once;
- `newsbridge-host-<host>-rate`: one fetch start per `min_delay_seconds` (slot decay).

Both are taken with `strict=True`: a limit that does not exist (deleted, wrong server)
fails the fetch with an error instead of letting every request through. An inactive
limit is re-activated by `ensure_host_limits`.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Iterator
from urllib.parse import urlsplit

from tasks.models import FetchDefaults, Source
from tasks.sources import effective_politeness

PREFIX = "newsbridge-host-"


def host_of(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


def limit_names(url: str) -> tuple[str, str]:
    """(concurrency limit name, rate limit name) for the host of `url`."""
    slug = re.sub(r"[^a-z0-9]+", "-", host_of(url)).strip("-") or "unknown"
    return PREFIX + slug, PREFIX + slug + "-rate"


def host_policies(sources: list[Source], defaults: FetchDefaults) -> dict[str, tuple[int, float]]:
    """limit name -> (concurrency, min delay): the strictest values of all sources of a host."""
    out: dict[str, tuple[int, float]] = {}
    for source in sources:
        delay, conc = effective_politeness(defaults, source)
        name, _ = limit_names(source.url)
        if name in out:
            conc, delay = min(conc, out[name][0]), max(delay, out[name][1])
        out[name] = (conc, delay)
    return out


def ensure_host_limits(sources: list[Source], defaults: FetchDefaults) -> dict[str, tuple[int, float]]:
    """Create or update (and activate) the global limits of every host of `sources`."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, GlobalConcurrencyLimitUpdate
    from prefect.exceptions import ObjectNotFound

    policies = host_policies(sources, defaults)
    with get_client(sync_client=True) as client:
        for name, (conc, delay) in policies.items():
            # A rate limit with limit 1 admits one start, then a slot frees every `delay` s.
            wanted = [(name, conc, 0.0), (name + "-rate", 1, 1.0 / delay if delay > 0 else 1000.0)]
            for limit_name, limit, decay in wanted:
                try:
                    client.read_global_concurrency_limit_by_name(limit_name)
                except ObjectNotFound:
                    client.create_global_concurrency_limit(
                        GlobalConcurrencyLimitCreate(
                            name=limit_name, limit=limit, slot_decay_per_second=decay, active=True
                        )
                    )
                else:
                    client.update_global_concurrency_limit(
                        limit_name,
                        GlobalConcurrencyLimitUpdate(limit=limit, slot_decay_per_second=decay, active=True),
                    )
    return policies


@contextmanager
def host_slot(url: str, timeout_seconds: float = 3600) -> Iterator[None]:
    """Hold one concurrency slot of the host and take one rate slot before the request starts."""
    from prefect.concurrency.sync import concurrency, rate_limit

    name, rate = limit_names(url)
    with concurrency(name, occupy=1, timeout_seconds=timeout_seconds, strict=True):
        rate_limit(rate, occupy=1, timeout_seconds=timeout_seconds, strict=True)
        yield
