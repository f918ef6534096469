"""robots.txt (RFC 9309): fetched once per host per run, shared by every fetch of the run.

A host's robots.txt is asked for through the same transport as pages (gates, retries,
limits; at most ROBOTS_MAX_BYTES parsed, up to ROBOTS_MAX_REDIRECTS redirects under the
SSRF rule). 5xx, 429 or no answer: the host is "unreachable", disallowed this run; 4xx
or an unusable answer: allow all. With a run id the decision is shared through the
fetch state store with every other Fetcher of the run (other processes, Dask workers).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from tasks.crawl.fetch.reasons import REDIRECT_CODES, FetchAbort
from tasks.crawl.fetch.redirects import AddressGuard
from tasks.urls import host_port_of, origin_of
from tasks.crawl.fetch.state import FetchStateStore, RobotsRecord
from tasks.crawl.fetch.transport import Transport
from tasks.models import FetchDefaults
from tasks.settings import Settings

ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309: parse at least 500 KiB
ROBOTS_MAX_REDIRECTS = 5  # RFC 9309: follow at least five consecutive redirects


def robots_token(user_agent: str) -> str:
    """The product token robots.txt groups are matched against (RFC 9309 2.2.1).

    Matching the whole User-Agent would let words in the contact URL ("github", "http")
    select someone else's group."""
    token = user_agent.strip().split("/", 1)[0].split(None, 1)[0] if user_agent.strip() else ""
    return token.lower() or "*"



@dataclass
class RobotsEntry:
    done: threading.Event = field(default_factory=threading.Event)
    status: str = "allowed"  # "allowed" | "unreachable"
    parser: object | None = None  # protego.Protego, or None = allow all
    body: str | None = None  # the robots.txt text that was parsed
    detail: str = ""
    crawl_delay: float | None = None


class Robots:
    """The robots.txt decisions of one Fetcher, by origin (scheme://host[:port])."""

    def __init__(
        self,
        transport: Transport,
        state: FetchStateStore,
        guard: AddressGuard,
        defaults: FetchDefaults,
        settings: Settings,
        run_id: str | None,
        claimant: str,
    ) -> None:
        self.transport = transport
        self.state = state
        self.guard = guard
        self.defaults = defaults
        self.settings = settings
        self.run_id = run_id
        self._claimant = claimant
        self._lock = threading.Lock()
        self._robots: dict[str, RobotsEntry] = {}

    def sitemaps(self, url: str) -> list[str]:
        """The `Sitemap:` lines of the robots.txt of url's host (fetched once per host per run)."""
        delay, conc = self.defaults.min_delay_seconds, self.defaults.per_host_concurrency
        self.check(url, delay, conc)
        with self._lock:
            entry = self._robots.get(origin_of(url))
        if entry is None or entry.parser is None:
            return []
        try:
            return [str(u) for u in entry.parser.sitemaps][:50]  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - a robots.txt we cannot read lists no sitemaps
            return []

    def check(self, url: str, delay: float, concurrency: int) -> tuple[str, str, float | None]:
        """('allowed' | 'disallowed' | 'unreachable', detail, the group's Crawl-delay or None) for a URL."""
        key = origin_of(url)
        with self._lock:
            entry = self._robots.get(key)
            owner = entry is None
            if owner:
                entry = self._robots[key] = RobotsEntry()
        assert entry is not None
        if owner:
            try:
                self._resolve_robots(key, entry, delay, concurrency)
            except Exception as exc:  # never leave waiters hanging
                entry.status, entry.detail = "unreachable", f"robots.txt: {type(exc).__name__}: {exc}"
            finally:
                entry.done.set()
        else:
            entry.done.wait()
        if entry.status == "unreachable":
            return "unreachable", entry.detail, None
        if entry.parser is None:
            return "allowed", entry.detail, None
        allowed = entry.parser.can_fetch(url, robots_token(self.defaults.user_agent))  # type: ignore[attr-defined]
        return ("allowed" if allowed else "disallowed"), entry.detail, entry.crawl_delay

    def _resolve_robots(self, key: str, entry: RobotsEntry, delay: float, concurrency: int) -> None:
        """This process's decision for a host: from the run's shared record, or fetched."""
        if self.run_id is None:
            self._load_robots(key, entry, delay, concurrency)
            return
        record = self.state.get_robots(self.run_id, key)
        if record is None and not self.state.claim_robots(self.run_id, key, self._claimant):
            # Another process of this run is fetching it: wait (bounded), else fetch ourselves.
            s = self.settings
            patience = max(1.0, 2 * s.max_attempts * (self.defaults.timeout_seconds + s.backoff_base_seconds * 2))
            deadline = time.monotonic() + patience
            while record is None and time.monotonic() < deadline:
                time.sleep(0.05)
                record = self.state.get_robots(self.run_id, key)
        if record is not None:
            entry.status, entry.detail = record.status, record.detail + " (shared by this run)"
            entry.body = record.body
            if record.body is not None:
                self._parse_robots(entry, record.body)
            return
        self._load_robots(key, entry, delay, concurrency)
        self.state.put_robots(self.run_id, key, self._claimant, RobotsRecord(entry.status, entry.body, entry.detail))

    def _parse_robots(self, entry: RobotsEntry, text: str) -> None:
        from protego import Protego

        entry.body = text
        entry.parser = Protego.parse(text)
        try:
            entry.crawl_delay = entry.parser.crawl_delay(robots_token(self.defaults.user_agent))
        except Exception:
            entry.crawl_delay = None

    def _load_robots(self, key: str, entry: RobotsEntry, delay: float, concurrency: int) -> None:
        current = f"{key}/robots.txt"
        seen = [current]
        chain_public = False
        for _ in range(ROBOTS_MAX_REDIRECTS + 1):
            chain_public = chain_public or self.guard.is_public_host(current)
            try:
                reply = self.transport.request(current, {}, delay, concurrency, want_body=True,
                                      max_bytes=ROBOTS_MAX_BYTES, truncate=True)
            except FetchAbort as ab:
                if ab.reason in ("http_5xx", "http_429", "timeout", "connection_error", "content_encoding_error"):
                    entry.status, entry.detail = "unreachable", f"robots.txt {ab.reason}: {ab.detail}"
                else:
                    entry.detail = f"robots.txt unavailable ({ab.reason}): allow all"
                return
            st = reply.status
            if st in REDIRECT_CODES and reply.headers.get("location"):
                nxt = urljoin(current, reply.headers["location"].strip())
                if urlsplit(nxt).scheme not in ("http", "https") or nxt in seen:
                    entry.detail = "robots.txt redirect unusable: allow all"
                    return
                if host_port_of(nxt) != host_port_of(current):
                    # Never a request outside the site (an outlet's editions are its only hosts),
                    # and never a crawl against rules we could not read: the host is disallowed
                    # this run, like an unreachable robots.txt (RFC 9309). http -> https is followed.
                    entry.status = "unreachable"
                    entry.detail = (f"robots.txt redirects to another host ({nxt}): not followed; host disallowed "
                                    "this run (name that host in sources.yaml if it is the site)")
                    return
                if not self.guard.redirect_safe(chain_public, nxt):
                    # Not followed (SSRF rule); RFC 9309 treats an unfollowable robots.txt as unavailable.
                    entry.detail = f"robots.txt redirect to private address {nxt} refused: allow all"
                    return
                seen.append(nxt)
                current = nxt
                continue
            if 200 <= st < 300:
                self._parse_robots(entry, (reply.content or b"").decode("utf-8", errors="replace"))
                entry.detail = "robots.txt parsed"
                return
            if st == 429 or st >= 500:
                entry.status, entry.detail = "unreachable", f"robots.txt HTTP {st}: host disallowed this run"
                return
            entry.detail = f"robots.txt HTTP {st}: allow all"
            return
        entry.detail = f"robots.txt: more than {ROBOTS_MAX_REDIRECTS} redirects: allow all"
