"""Politeness gates: per host, how many requests at once and how far apart their starts are.

One protocol, `HostGate`, for both kinds of gate:
- `LocalHostGate` (here): slots and spacing in this process, shared by every fetch thread
  of one Fetcher (the default, the threads runner);
- `flows.limits.SharedHostGate`: the host's Prefect global concurrency limits, shared by
  every process and machine of a run (Dask workers, shard deployments).

Every request the Fetcher sends (robots.txt, page, redirects, retries) passes its host's
gate: `acquire`, `wait_turn`, the request, `release`; a Retry-After is `push_back`.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Protocol

from tasks.urls import host_of


class HostGate(Protocol):
    """What the Fetcher asks of a host's gate. `concurrency` and `min_delay` are the
    request's politeness; a gate whose limits live elsewhere (a server) may ignore them."""

    def acquire(self, concurrency: int) -> None:
        """Wait for one of the host's request slots."""

    def wait_turn(self, min_delay: float) -> None:
        """Wait until this request may start (`min_delay` after the last start)."""

    def push_back(self, seconds: float) -> None:
        """Nobody starts a request to this host for `seconds` (Retry-After)."""

    def release(self) -> None:
        """Give the slot taken by `acquire` back."""


class LocalHostGate:
    """Per-host concurrency slots and a minimum spacing between request starts, in this process."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._active = 0
        self._next_start = 0.0

    def acquire(self, concurrency: int) -> None:
        with self._cond:
            while self._active >= concurrency:
                self._cond.wait()
            self._active += 1

    def wait_turn(self, min_delay: float) -> None:
        with self._cond:
            now = time.monotonic()
            start = max(now, self._next_start)
            self._next_start = start + min_delay
        if start > now:
            time.sleep(start - now)

    def push_back(self, seconds: float) -> None:
        with self._cond:
            self._next_start = max(self._next_start, time.monotonic() + seconds)

    def release(self) -> None:
        with self._cond:
            self._active -= 1
            self._cond.notify_all()


GateFactory = Callable[[str], HostGate]


class HostGates:
    """One gate per server name, made by `factory` (host -> gate) on first use."""

    def __init__(self, factory: GateFactory | None = None) -> None:
        self._factory: GateFactory = factory or (lambda host: LocalHostGate())
        self._gates: dict[str, HostGate] = {}
        self._lock = threading.Lock()

    def for_url(self, url: str) -> HostGate:
        # Politeness is per server name: http:// and https:// of one host share a gate.
        key = host_of(url)
        with self._lock:
            gate = self._gates.get(key)
            if gate is None:
                gate = self._gates[key] = self._factory(key)
            return gate
