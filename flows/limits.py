"""Per-host fetch limits shared by every process and machine: Prefect global concurrency limits.

With the default thread runner, one Fetcher per run holds the per-host gates (slots and
spacing) for all fetch tasks. When tasks run in other processes (Dask), those gates would
be per process, so the flow creates two global concurrency limits per host before it
submits any fetch, and each Fetcher of a task uses `SharedHostGate` instead, for every
request it sends (robots.txt, page, redirects, retries):

- `newsbridge-host-<host>`: at most `per_host_concurrency` requests to the host at once;
- `newsbridge-host-<host>-rate`: one request start per `min_delay_seconds` (slot decay).

Both are taken with `strict=True`: a limit that does not exist (deleted, wrong server)
fails the fetch with an error instead of letting every request through. An inactive
limit is re-activated by `ensure_host_limits`.
"""

from __future__ import annotations

import re
import threading
import time
from contextlib import AbstractContextManager

from tasks.crawl.fetch.gates import HostGate
from tasks.models import FetchDefaults, Source
from tasks.crawl.sources import effective_politeness
from tasks.urls import host_of

PREFIX = "newsbridge-host-"
# How long a request may wait for its host's slot before the fetch fails.
ACQUIRE_TIMEOUT_SECONDS = 3600.0


def limit_names_for_host(host: str) -> tuple[str, str]:
    """(concurrency limit name, rate limit name) of a host name (the Fetcher's gate key)."""
    slug = re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-") or "unknown"
    return PREFIX + slug, PREFIX + slug + "-rate"


def limit_names(url: str) -> tuple[str, str]:
    """(concurrency limit name, rate limit name) for the host of `url`."""
    return limit_names_for_host(host_of(url))


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
            # A rate limit of 1 admits one start, then frees its slot after `delay` seconds.
            wanted = [(name, conc, 0.0), (name + "-rate", 1, 1.0 / delay if delay > 0 else 1000.0)]
            for limit_name, limit, decay in wanted:
                try:
                    client.read_global_concurrency_limit_by_name(limit_name)
                except ObjectNotFound:
                    client.create_global_concurrency_limit(
                        GlobalConcurrencyLimitCreate(name=limit_name, limit=limit, slot_decay_per_second=decay, active=True)
                    )
                else:
                    client.update_global_concurrency_limit(
                        limit_name, GlobalConcurrencyLimitUpdate(limit=limit, slot_decay_per_second=decay, active=True)
                    )
    return policies


class SharedHostGate(HostGate):
    """The Fetcher's host gate (tasks/crawl/fetch/gates.py, the same protocol as the local
    gate) over the host's Prefect global limits.

    The number of slots and the spacing are the server's (set by `ensure_host_limits`),
    so the values the Fetcher passes in are not used here.
    """

    def __init__(self, host: str) -> None:
        self.name, self.rate = limit_names_for_host(host)
        self._held = threading.local()

    def acquire(self, concurrency: int) -> None:
        from prefect.concurrency.sync import concurrency as global_concurrency

        slot: AbstractContextManager[None] = global_concurrency(
            self.name, occupy=1, timeout_seconds=ACQUIRE_TIMEOUT_SECONDS, strict=True
        )
        slot.__enter__()
        self._held.slot = slot

    def wait_turn(self, min_delay: float) -> None:
        from prefect.concurrency.sync import rate_limit

        rate_limit(self.rate, occupy=1, timeout_seconds=ACQUIRE_TIMEOUT_SECONDS, strict=True)

    def push_back(self, seconds: float) -> None:
        # Retry-After: this request waits; other processes learn it from their own 429/503.
        time.sleep(seconds)

    def release(self) -> None:
        slot = getattr(self._held, "slot", None)
        self._held.slot = None
        if slot is not None:
            slot.__exit__(None, None, None)
