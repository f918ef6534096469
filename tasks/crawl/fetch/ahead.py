"""Fetch-ahead: pages fetched before anyone asks for them, handed out when they are asked for.

Used while Prefect's temporary server starts (flows/early.py): the first shard's first
pages are fetched on the Fetcher that shard then uses. The results wait in memory (at
most AHEAD_BYTES of pages); nothing is committed until the document is stored, as for
any fetch.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable
from urllib.parse import urlsplit

from tasks.crawl.fetch.request import FetchRequest
from tasks.models import FetchResult

# Page bytes `fetch_ahead` holds at most before it leaves the rest to be fetched when asked for.
AHEAD_BYTES = 64 * 2**20


class FetchAhead:
    """Fetches started ahead of the stream: request key -> (url, result)."""

    def __init__(self, fetch_now: Callable[[FetchRequest], FetchResult], threads: int, per_host: int) -> None:
        self._fetch_now = fetch_now
        self._threads = threads  # the run's global fetch concurrency
        self._per_host = per_host
        self._lock = threading.Lock()
        self._ahead: dict[str, tuple[str, Future[FetchResult | None]]] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._bytes = 0  # page bytes fetched ahead and not taken yet
        self._closed = False
        self.used = 0  # results handed out by `take`

    def close(self) -> None:
        with self._lock:
            self._closed = True
        if self._pool is not None:
            # Results nobody took are dropped: nothing of them was committed, so the
            # next run fetches those pages again.
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._ahead.clear()

    def start(self, requests: list[FetchRequest]) -> None:
        with self._lock:
            if self._closed:
                return
            if self._pool is None:
                # As many threads as the hosts let fetch at once: requests leave in the
                # given order, and closing drops the ones not started.
                hosts = {urlsplit(r.url).netloc for r in requests}
                threads = min(self._threads, len(hosts) * self._per_host)
                self._pool = ThreadPoolExecutor(max(1, threads), thread_name_prefix="fetch-ahead")
            for request in requests:
                if request.key not in self._ahead:
                    self._ahead[request.key] = (request.url, self._pool.submit(self._fetch_one, request))

    def _fetch_one(self, request: FetchRequest) -> FetchResult | None:
        """None (the page is fetched when asked for) once AHEAD_BYTES of pages wait."""
        with self._lock:
            if self._bytes >= AHEAD_BYTES or self._closed:
                return None
        result = self._fetch_now(request)
        with self._lock:
            self._bytes += len(result.content or b"")
        return result

    def peek(self, request: FetchRequest, timeout: float) -> tuple[bool, FetchResult | None]:
        """(settled, a copy of the page fetched ahead for `request`): settled is False while
        its fetch is under way after `timeout` s; the page is None when there is none (not
        fetched ahead, already handed out, or left to be fetched when asked for)."""
        with self._lock:
            entry = self._ahead.get(request.key)
        if entry is None or entry[0] != request.url:
            return True, None
        try:
            result = entry[1].result(timeout=timeout)
        except TimeoutError:
            return False, None
        except Exception:  # noqa: BLE001 - cancelled (closed)
            return True, None
        return True, None if result is None else result.model_copy()

    def take(self, request: FetchRequest) -> FetchResult | None:
        with self._lock:
            entry = self._ahead.pop(request.key, None)
        if entry is None:
            return None
        url, future = entry
        if future.cancel() or url != request.url:
            return None  # not started yet (fetched now instead), or not the page asked for
        try:
            result = future.result()
        except Exception:  # noqa: BLE001 - fetch_now records faults; a cancelled pool is one
            return None
        if result is None:
            return None
        with self._lock:
            self.used += 1
            self._bytes -= len(result.content or b"")
        return result

    def pending(self) -> list[Future[FetchResult | None]]:
        with self._lock:
            return [f for _, f in self._ahead.values()]
