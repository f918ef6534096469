"""Fetch limits, measured in one run on loopback: peak memory on a gzip bomb.

    /work/venv/bin/python bench/bench_fetch.py [--inflated-mb 200] [--max-mb 10]

Serves a gzip bomb (zeros, ~1000:1) from tests/faultserver.py and fetches it twice:
with newsbridge's Fetcher (decompresses under the max_bytes budget) and with a plain
`httpx.get()` (decompresses everything). Prints the peak Python allocation of each
(tracemalloc) and their ratio. No network beyond 127.0.0.1.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import httpx  # noqa: E402
from faultserver import FaultServer, Route, gzip_bomb  # noqa: E402

from tasks.crawl.fetch import Fetcher, request_for  # noqa: E402
from tasks.models import FetchDefaults, Source  # noqa: E402
from tasks.settings import Settings  # noqa: E402


def _peak(fn) -> tuple[float, object, float]:  # noqa: ANN001
    tracemalloc.start()
    t = time.perf_counter()
    out = fn()
    elapsed = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6, out, elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--inflated-mb", type=int, default=200)
    ap.add_argument("--max-mb", type=int, default=10)
    a = ap.parse_args()
    bomb = gzip_bomb(a.inflated_mb * 1_000_000)
    with FaultServer() as srv, tempfile.TemporaryDirectory() as tmp:
        url = srv.add("/bomb", Route(body=bomb, content_encoding="gzip"))
        defaults = FetchDefaults(min_delay_seconds=0, max_bytes=a.max_mb * 1_000_000)
        with Fetcher(defaults, Path(tmp), settings=Settings()) as f:
            f.robots_decision(url)  # robots.txt outside the measurement
            ours_mb, result, ours_s = _peak(lambda: f.fetch(request_for(Source(id="bomb", url=url), f.defaults)))
        plain_mb, resp, plain_s = _peak(lambda: httpx.get(url, timeout=60))
    print(f"gzip bomb: {len(bomb) / 1e3:.0f} kB on the wire, {a.inflated_mb} MB inflated, max_bytes {a.max_mb} MB")
    print(f"newsbridge Fetcher : peak {ours_mb:8.1f} MB  {ours_s:6.2f} s  -> {result.outcome}/{result.reason}")  # type: ignore[attr-defined]
    print(f"plain httpx.get()  : peak {plain_mb:8.1f} MB  {plain_s:6.2f} s  -> {len(resp.content) / 1e6:.0f} MB body")  # type: ignore[attr-defined]
    print(f"peak memory ratio (httpx / newsbridge): {plain_mb / max(ours_mb, 0.001):.1f}x")


if __name__ == "__main__":
    main()
