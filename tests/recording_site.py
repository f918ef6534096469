"""A loopback copy of the bundled demo site that records every request server-side.

Used to check that per-host limits really throttle: the server notes when each request
arrived and finished, so overlap and spacing are measured where politeness matters.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from flows.demo import _SiteHandler, serve_loopback


@dataclass
class Log:
    hold_seconds: float
    requests: list[tuple[str, float, float]] = field(default_factory=list)  # (path, start, end)
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def starts(self) -> list[float]:
        with self.lock:
            return sorted(start for _, start, _ in self.requests)

    def min_spacing(self) -> float:
        starts = self.starts()
        return min((b - a for a, b in zip(starts, starts[1:])), default=float("inf"))


def _handler(log: Log) -> type[_SiteHandler]:
    class Handler(_SiteHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            start = time.monotonic()
            with log.lock:
                log.in_flight += 1
                log.max_in_flight = max(log.max_in_flight, log.in_flight)
            try:
                time.sleep(log.hold_seconds)  # a slow server: overlapping requests would show
                super().do_GET()
            finally:
                with log.lock:
                    log.in_flight -= 1
                    log.requests.append((self.path, start, time.monotonic()))

    return Handler


@contextmanager
def recording_site(hold_seconds: float = 0.1) -> Iterator[tuple[str, Log]]:
    """Serve the demo site on 127.0.0.1:<free port>; yields (base URL, request log)."""
    log = Log(hold_seconds)
    with serve_loopback(_handler(log)) as base:
        yield base, log


# Six pages of the demo site on one host (limits and Dask tests).
PAGES = [
    "vi-hop-tac-khoa-hoc.html", "en-guangxi-science.html", "zh-zhiye-jiaoyu.gbk.html",
    "mixed-bilingual.html", "no-such-page.html", "private/internal.html",
]


def sources_yaml(base: str, concurrency: int, delay: float) -> str:
    lines = [
        "defaults:",
        f"  min_delay_seconds: {delay}",
        f"  per_host_concurrency: {concurrency}",
        "  timeout_seconds: 10",
        "sources:",
    ]
    for i, page in enumerate(PAGES):
        lines += [f"  - id: page-{i}", f"    url: {base}/{page}"]
    return "\n".join(lines) + "\n"

