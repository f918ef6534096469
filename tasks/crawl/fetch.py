"""Fetch stage: polite, incremental, fault-tolerant HTTP GET of one source.

Contract (the flow relies on it):
- `Fetcher(defaults, output_dir, settings=..., force=False)` is thread-safe and shared by
  all fetches of one run in one process (robots cache, per-host limits, state store).
- `Fetcher.fetch(source) -> FetchResult` never raises for an expected fault: it returns
  outcome "fetched" (content set, raw snapshot stored via tasks.store.files.store_raw),
  "not_modified" (304 or same sha256 as last run, unless force), "rejected" (reason code)
  or "failed" (reason code). Reason codes: see REASONS.
- `Fetcher.commit(result)` records ETag/Last-Modified/sha256 in the state store once the
  document has been stored, so a crash between fetch and store refetches next run.

Outcome policy: "rejected" = the site answered and the answer is not a page we may or can
use (robots, 404, other 4xx, PDF, too large, empty, bad redirects); retrying tomorrow gives
the same answer, the run is still healthy. "failed" = the site or network misbehaved
(5xx / 429 after retries, timeouts, connection errors, robots.txt unreachable) or we had a
bug; the flow treats these as failures of the run.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import random
import socket
import threading
import time
import uuid
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import TracebackType
from typing import Callable
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from tasks.crawl.fetch_state import STATE_FILENAME, FetchStateStore, RobotsRecord
from tasks.models import FetchDefaults, FetchResult, Source
from tasks.settings import Settings, get_settings
from tasks.crawl.sources import effective_politeness
from tasks.store.files import sha256_hex, store_raw

log = logging.getLogger("newsbridge.fetch")

# --------------------------------------------------------------------------- vocabulary

# reason code -> (outcome, meaning). Fixed and documented (README, issue-3 block).
REASONS: dict[str, tuple[str, str]] = {
    # not fetched because nothing changed
    "http_304": ("not_modified", "server answered 304 Not Modified to a conditional GET"),
    "same_sha256": ("not_modified", "body identical (sha256) to the last stored fetch"),
    # expected rejections: the run is healthy
    "robots_disallowed": ("rejected", "robots.txt disallows this URL for our user agent; never requested"),
    "http_404": ("rejected", "404 Not Found"),
    "http_410": ("rejected", "410 Gone"),
    "http_4xx": ("rejected", "another non-retryable 4xx (401, 403, 451, ...)"),
    "http_3xx": ("rejected", "a 3xx that is not a usable redirect (no Location, 300, 305, ...)"),
    "unsupported_content_type": ("rejected", "Content-Type is not text/html or application/xhtml+xml"),
    "unsupported_content_encoding": ("rejected", "Content-Encoding other than gzip/deflate/identity"),
    "too_large": ("rejected", "body (declared, streamed or decompressed) exceeds max_bytes"),
    "empty_body": ("rejected", "2xx with an empty (or whitespace-only) body"),
    "redirect_loop": ("rejected", "a redirect leads back to a URL already in the chain"),
    "too_many_redirects": ("rejected", "more than settings.max_redirects redirects"),
    "unsafe_redirect": ("rejected", "redirect to a non-http(s) scheme, or public -> private address (SSRF)"),
    "invalid_url": ("rejected", "URL is not an absolute http(s) URL httpx can request"),
    "off_site_redirect": ("rejected", "a discovered article or feed redirects to a host outside its outlet's editions; not followed"),
    # failures: the site or network misbehaved (or we did)
    "http_5xx": ("failed", "5xx after all retry attempts"),
    "http_429": ("failed", "429 Too Many Requests after all retry attempts (or Retry-After over the cap)"),
    "timeout": ("failed", "connect/read/total timeout after all retry attempts"),
    "connection_error": ("failed", "connection refused/reset/DNS/protocol error after all retry attempts"),
    "content_encoding_error": ("failed", "gzip/deflate body could not be decompressed"),
    "robots_unreachable": ("failed", "robots.txt answered 5xx/429 or was unreachable: host disallowed this run (RFC 9309)"),
    "unexpected_304": ("failed", "304 to a request that was not conditional"),
    "internal_error": ("failed", "a bug in newsbridge while fetching; detail has the exception"),
}

REJECTED_REASONS = frozenset(k for k, (o, _) in REASONS.items() if o == "rejected")
FAILED_REASONS = frozenset(k for k, (o, _) in REASONS.items() if o == "failed")

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Page bytes `fetch_ahead` holds at most before it leaves the rest to be fetched when asked for.
AHEAD_BYTES = 64 * 2**20
# Feeds and sitemaps (discovery, tasks/crawl/discover.py): fetched with the same rules, other types.
FEED_TYPES = frozenset({
    "application/rss+xml", "application/atom+xml", "application/xml", "text/xml", "application/rdf+xml",
    "application/feed+json", "application/json", "text/plain", "application/gzip", "application/x-gzip",
    "application/octet-stream", "text/html", "application/xhtml+xml",
})
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309: parse at least 500 KiB
ROBOTS_MAX_REDIRECTS = 5  # RFC 9309: follow at least five consecutive redirects


def outcome_of(reason: str) -> str:
    """'rejected' | 'failed' | 'not_modified' for a reason code (unknown codes fail)."""
    return REASONS.get(reason, ("failed", ""))[0]


class _Abort(Exception):
    """Stops one fetch with a reason code (never leaves the Fetcher)."""

    def __init__(self, reason: str, detail: str, status: int | None = None, headers: dict[str, str] | None = None):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.status = status
        self.headers = headers or {}


class _TooLarge(Exception):
    pass


@dataclass
class _Reply:
    status: int
    headers: dict[str, str]
    url: str
    content: bytes | None = None


# --------------------------------------------------------------------------- address safety


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    host = host.strip("[]")
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError):
        return []
    out = []
    for info in infos:
        try:
            out.append(ipaddress.ip_address(info[4][0].split("%", 1)[0]))
        except ValueError:
            continue
    return out


def is_public_address(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for a globally routable address (not private, loopback, link-local, reserved...)."""
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr.is_global and not addr.is_multicast


def redirect_allowed(
    chain_public: bool,
    target_addrs: list[ipaddress.IPv4Address | ipaddress.IPv6Address],
    allow_private: bool,
) -> bool:
    """SSRF rule: once the chain has touched a public address, it may not reach a private one.

    The operator's own initial URL is trusted (it may be on an intranet or loopback).
    Unresolvable targets pass here and fail at connect time.
    """
    if allow_private or not chain_public:
        return True
    return all(is_public_address(a) for a in target_addrs)


# --------------------------------------------------------------------------- politeness


class _HostGate:
    """Per-host concurrency slots and a minimum spacing between request starts."""

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
        """Nobody starts a request to this host for `seconds` (Retry-After)."""
        with self._cond:
            self._next_start = max(self._next_start, time.monotonic() + seconds)

    def release(self) -> None:
        with self._cond:
            self._active -= 1
            self._cond.notify_all()


@dataclass
class _RobotsEntry:
    done: threading.Event = field(default_factory=threading.Event)
    status: str = "allowed"  # "allowed" | "unreachable"
    parser: object | None = None  # protego.Protego, or None = allow all
    body: str | None = None  # the robots.txt text that was parsed
    detail: str = ""
    crawl_delay: float | None = None


# --------------------------------------------------------------------------- decompression


class _Inflater:
    """Incremental gzip/deflate decoder whose output never exceeds a byte budget.

    "deflate" is zlib-wrapped per the RFC, but some servers send raw deflate: the first
    two bytes decide (zlib header check), as browsers do. Concatenated gzip members are
    decoded in turn; bytes after the last member that are not a gzip member (padding,
    junk) are ignored rather than losing the page."""

    def __init__(self, encoding: str):
        self.encoding = encoding
        self._head = b""  # deflate: first bytes, until the wrapper is known
        self._d = zlib.decompressobj(16 + zlib.MAX_WBITS) if encoding == "gzip" else None
        self._members = 0  # gzip members finished
        self._member_started = False
        self._done = False

    def feed(self, data: bytes, budget: int) -> bytes:
        """Decompress `data`; raise _TooLarge as soon as output would exceed `budget`."""
        if self._done:
            return b""
        buf = data
        if self._d is None:  # deflate, wrapper not decided yet
            self._head += data
            if len(self._head) < 2:
                return b""
            cmf, flg = self._head[0], self._head[1]
            zlib_wrapped = (cmf & 0x0F) == 8 and ((cmf << 8) | flg) % 31 == 0
            self._d = zlib.decompressobj(zlib.MAX_WBITS if zlib_wrapped else -zlib.MAX_WBITS)
            buf, self._head = self._head, b""
        out: list[bytes] = []
        produced = 0
        while buf:
            try:
                piece = self._d.decompress(buf, budget - produced + 1)
            except zlib.error:
                if self.encoding == "gzip" and self._members > 0 and not self._member_started:
                    self._done = True  # trailing junk after complete members
                    break
                raise
            self._member_started = True
            produced += len(piece)
            if produced > budget:
                raise _TooLarge()
            out.append(piece)
            if self._d.eof:
                buf = self._d.unused_data
                if self.encoding != "gzip":
                    self._done = True
                    break
                self._members += 1
                self._member_started = False
                self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)  # the next member, if any
                continue
            buf = self._d.unconsumed_tail
        return b"".join(out)


# --------------------------------------------------------------------------- the fetcher


def _lower_headers(headers: httpx.Headers) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in headers.multi_items():
        k = k.lower()
        out[k] = f"{out[k]}, {v}" if k in out else v
    return out


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _looks_like_html(content: bytes) -> bool:
    head = content[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<") and (b"<html" in head or b"<!doctype html" in head or b"<head" in head or b"<body" in head)


def robots_token(user_agent: str) -> str:
    """The product token robots.txt groups are matched against (RFC 9309 2.2.1).

    Matching the whole User-Agent would let words in the contact URL ("github", "http")
    select someone else's group."""
    token = user_agent.strip().split("/", 1)[0].split(None, 1)[0] if user_agent.strip() else ""
    return token.lower() or "*"


def host_port(url: str) -> str:
    """host[:port] (default port omitted), lower-cased: how an outlet's editions are named."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{host}:{port}" if port is not None and port != {"http": 80, "https": 443}.get(parts.scheme) else host


def _host_key(url: str) -> str:
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc.lower()}"


class Fetcher:
    """One per run (per process): shared HTTP client, robots cache, host gates, state store."""

    def __init__(
        self,
        defaults: FetchDefaults,
        output_dir: Path,
        *,
        settings: Settings | None = None,
        force: bool = False,
        run_id: str | None = None,
        gate_factory: Callable[[str], _HostGate] | None = None,
    ):
        """`run_id`: when given, robots.txt decisions are shared through the state store
        with every other Fetcher of the same run and output dir (other processes, Dask
        workers), so each host's robots.txt is fetched once per run, not once per process."""
        self.defaults = defaults
        self.run_id = run_id
        self._claimant = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.output_dir = Path(output_dir)
        self.settings = settings or get_settings()
        self.force = force
        self.state = FetchStateStore(self.output_dir / STATE_FILENAME)
        s = self.settings
        total = defaults.timeout_seconds
        self._timeout = httpx.Timeout(total, connect=min(s.connect_timeout_seconds, total))
        self._client = httpx.Client(
            follow_redirects=False,
            timeout=self._timeout,
            limits=httpx.Limits(
                max_connections=max(1, s.global_fetch_concurrency) * 2,
                max_keepalive_connections=max(1, s.global_fetch_concurrency),
            ),
            headers={
                "User-Agent": defaults.user_agent,
                "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
                # Decompressed by us, under the max_bytes budget (gzip bombs).
                "Accept-Encoding": "gzip, deflate",
            },
        )
        self._global = threading.BoundedSemaphore(max(1, s.global_fetch_concurrency))
        self._lock = threading.Lock()
        self._gates: dict[str, _HostGate] = {}
        # Per-host gates shared beyond this process (flows/limits.py) when tasks run elsewhere.
        self._gate_factory = gate_factory or (lambda host: _HostGate())
        self._robots: dict[str, _RobotsEntry] = {}
        self._rng = random.Random()
        self._closed = False
        # Fetches started ahead of the stream (fetch_ahead): source id -> (url, result).
        self._ahead: dict[str, tuple[str, Future[FetchResult | None]]] = {}
        self._ahead_pool: ThreadPoolExecutor | None = None
        self._ahead_bytes = 0  # page bytes fetched ahead and not taken yet
        self.ahead_used = 0  # results of fetch_ahead that fetch() handed out

    # -- lifecycle
    def close(self) -> None:
        if not self._closed:
            self._closed = True
            if self._ahead_pool is not None:
                # Results nobody took are dropped: nothing of them was committed, so the
                # next run fetches those pages again.
                self._ahead_pool.shutdown(wait=True, cancel_futures=True)
                self._ahead.clear()
            self._client.close()
            self.state.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # -- public API
    def fetch(self, source: Source, accept: frozenset[str] | None = None) -> FetchResult:
        """Fetch one source; never raises for a fault of the site, the network or the page.

        `accept`: the Content-Types taken (default HTML_TYPES; discovery passes FEED_TYPES).
        A page fetched ahead (`fetch_ahead`) is handed out instead of being requested again."""
        if accept is None or accept == HTML_TYPES:
            ahead = self._take_ahead(source)
            if ahead is not None:
                return ahead
        return self._fetch_now(source, accept)

    def fetch_ahead(self, sources: list[Source]) -> None:
        """Start fetching `sources` now, on this fetcher's threads, politeness and state, so
        that `fetch(source)` later finds the page already here (used while Prefect's
        temporary server starts: flows/early.py). The results wait in memory (as many as
        `sources`); nothing is committed until the document is stored, as for any fetch."""
        with self._lock:
            if self._closed:
                return
            if self._ahead_pool is None:
                # As many threads as the hosts let fetch at once: requests leave in the
                # sources' order, and closing drops the ones not started.
                hosts = {urlsplit(s.url).netloc for s in sources}
                threads = min(self.settings.global_fetch_concurrency, len(hosts) * self.defaults.per_host_concurrency)
                self._ahead_pool = ThreadPoolExecutor(max(1, threads), thread_name_prefix="fetch-ahead")
            for source in sources:
                if source.id not in self._ahead:
                    self._ahead[source.id] = (source.url, self._ahead_pool.submit(self._fetch_one_ahead, source))

    def _fetch_one_ahead(self, source: Source) -> FetchResult | None:
        """None (the page is fetched when asked for) once AHEAD_BYTES of pages wait."""
        with self._lock:
            if self._ahead_bytes >= AHEAD_BYTES or self._closed:
                return None
        result = self._fetch_now(source, None)
        with self._lock:
            self._ahead_bytes += len(result.content or b"")
        return result

    def peek_ahead(self, source: Source, timeout: float) -> tuple[bool, FetchResult | None]:
        """(settled, a copy of the page fetched ahead for `source`): settled is False while
        its fetch is under way after `timeout` s; the page is None when there is none (not
        fetched ahead, already handed out, or left to be fetched when asked for)."""
        with self._lock:
            entry = self._ahead.get(source.id)
        if entry is None or entry[0] != source.url:
            return True, None
        try:
            result = entry[1].result(timeout=timeout)
        except TimeoutError:
            return False, None
        except Exception:  # noqa: BLE001 - cancelled (closed)
            return True, None
        return True, None if result is None else result.model_copy()

    def _take_ahead(self, source: Source) -> FetchResult | None:
        with self._lock:
            entry = self._ahead.pop(source.id, None)
        if entry is None:
            return None
        url, future = entry
        if future.cancel() or url != source.url:
            return None  # not started yet (fetched now instead), or not the page asked for
        try:
            result = future.result()
        except Exception:  # noqa: BLE001 - _fetch_now records faults; a cancelled pool is one
            return None
        if result is None:
            return None
        with self._lock:
            self.ahead_used += 1
            self._ahead_bytes -= len(result.content or b"")
        return result

    def _fetch_now(self, source: Source, accept: frozenset[str] | None) -> FetchResult:
        fetched_at = datetime.now(timezone.utc)
        try:
            return self._fetch(source, fetched_at, accept or HTML_TYPES)
        except _Abort as ab:
            return self._result(source, fetched_at, outcome_of(ab.reason), reason=ab.reason, detail=ab.detail,
                                status=ab.status, headers=ab.headers)
        except Exception as exc:  # a bug must not take the run down; it is recorded as failed
            log.exception("fetch of %s crashed", source.url)
            return self._result(source, fetched_at, "failed", reason="internal_error",
                                detail=f"{type(exc).__name__}: {exc}")

    def commit(self, result: FetchResult) -> None:
        """Remember validators of a stored fetch so the next run can ask conditionally."""
        if result.outcome not in ("fetched", "not_modified") or not result.sha256:
            return
        self.state.put(
            result.url,
            sha256=result.sha256,
            etag=result.etag,
            last_modified=result.last_modified,
            raw_path=result.raw_path,
            final_url=result.final_url,
        )

    def robots_decision(self, url: str) -> str:
        """'allowed' | 'disallowed' | 'unreachable' for a URL (fetches robots.txt once per host)."""
        delay, conc = self.defaults.min_delay_seconds, self.defaults.per_host_concurrency
        return self._robots_check(url, delay, conc)[0]

    def robots_sitemaps(self, url: str) -> list[str]:
        """The `Sitemap:` lines of the robots.txt of url's host (fetched once per host per run)."""
        delay, conc = self.defaults.min_delay_seconds, self.defaults.per_host_concurrency
        self._robots_check(url, delay, conc)
        with self._lock:
            entry = self._robots.get(_host_key(url))
        if entry is None or entry.parser is None:
            return []
        try:
            return [str(u) for u in entry.parser.sitemaps][:50]  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - a robots.txt we cannot read lists no sitemaps
            return []

    # -- internals
    def _result(self, source: Source, fetched_at: datetime, outcome: str, **kw: object) -> FetchResult:
        headers = kw.pop("headers", None) or {}
        return FetchResult(
            source_id=source.id,
            url=source.url,
            fetched_at=fetched_at,
            outcome=outcome,  # type: ignore[arg-type]
            headers=headers,  # type: ignore[arg-type]
            content_type=headers.get("content-type") if isinstance(headers, dict) else None,
            **kw,  # type: ignore[arg-type]
        )

    def _gate(self, url: str) -> _HostGate:
        # Politeness is per server name: http:// and https:// of one host share a gate.
        key = (urlsplit(url).hostname or "").lower()
        with self._lock:
            gate = self._gates.get(key)
            if gate is None:
                gate = self._gates[key] = self._gate_factory(key)
            return gate

    def _is_public_host(self, url: str) -> bool:
        if self.settings.allow_private_redirects:
            return False  # the SSRF rule is off: spare the DNS lookups
        return any(is_public_address(a) for a in _addresses(urlsplit(url).hostname or ""))

    def _redirect_safe(self, chain_public: bool, target: str) -> bool:
        if self.settings.allow_private_redirects or not chain_public:
            return True
        return redirect_allowed(chain_public, _addresses(urlsplit(target).hostname or ""), False)

    def _fetch(self, source: Source, fetched_at: datetime, accept: frozenset[str] = HTML_TYPES) -> FetchResult:
        url = source.url
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _Abort("invalid_url", f"not an absolute http(s) URL: {url!r}")
        delay, conc = effective_politeness(self.defaults, source)
        prior = None if self.force else self.state.get(url)
        cond: dict[str, str] = {}
        if prior is not None:
            if prior.etag:
                cond["If-None-Match"] = prior.etag
            if prior.last_modified:
                cond["If-Modified-Since"] = prior.last_modified

        chain = [url]
        current = url
        chain_public = False
        robots_seen = "allowed"
        while True:
            decision, detail, crawl_delay = self._robots_check(current, delay, conc)
            if decision == "disallowed":
                return self._result(source, fetched_at, "rejected", reason="robots_disallowed",
                                    detail=f"robots.txt disallows {current}", robots="disallowed",
                                    redirects=chain[1:], final_url=current)
            if decision == "unreachable":
                return self._result(source, fetched_at, "failed", reason="robots_unreachable",
                                    detail=detail, robots="unreachable", redirects=chain[1:], final_url=current)
            robots_seen = decision
            hop_delay = delay if crawl_delay is None else max(delay, min(crawl_delay, self.settings.retry_after_cap_seconds))
            chain_public = chain_public or self._is_public_host(current)
            try:
                reply = self._request(current, cond, hop_delay, conc, want_body=True, max_bytes=self.defaults.max_bytes,
                                      accept=accept)
            except _Abort as ab:
                fetched_at = datetime.now(timezone.utc)  # when the host last answered (or we gave up)
                return self._result(source, fetched_at, outcome_of(ab.reason), reason=ab.reason, detail=ab.detail,
                                    status=ab.status, headers=ab.headers, robots=robots_seen,
                                    redirects=chain[1:], final_url=current)
            if reply.status in REDIRECT_CODES and reply.headers.get("location"):
                nxt = urljoin(current, reply.headers["location"].strip())
                nxt = urlunsplit(urlsplit(nxt)._replace(fragment=""))
                base = dict(status=reply.status, headers=reply.headers, robots=robots_seen,
                            redirects=chain[1:] + [nxt], final_url=current)
                np = urlsplit(nxt)
                if np.scheme not in ("http", "https") or not np.hostname:
                    return self._result(source, fetched_at, "rejected", reason="unsafe_redirect",
                                        detail=f"redirect to non-http(s) URL {nxt!r}", **base)
                if not self._redirect_safe(chain_public, nxt):
                    return self._result(source, fetched_at, "rejected", reason="unsafe_redirect",
                                        detail=f"redirect from a public address to private/loopback/link-local {nxt}", **base)
                hosts = source.discovery.hosts if source.discovery is not None else []
                if hosts and host_port(nxt) not in hosts:
                    return self._result(source, fetched_at, "rejected", reason="off_site_redirect",
                                        detail=f"redirect to {nxt}, outside {', '.join(hosts)}", **base)
                if nxt in chain:
                    return self._result(source, fetched_at, "rejected", reason="redirect_loop",
                                        detail=" -> ".join(chain + [nxt]), **base)
                if len(chain) > self.settings.max_redirects:
                    return self._result(source, fetched_at, "rejected", reason="too_many_redirects",
                                        detail=f"more than {self.settings.max_redirects} redirects", **base)
                chain.append(nxt)
                current = nxt
                continue
            break

        # The time the page's bytes arrived, not the time the fetch was asked for: on a polite
        # host a fetch waits its turn behind the others (seconds), and a translator reads
        # fetched_at as the age of the text.
        fetched_at = datetime.now(timezone.utc)
        common = dict(status=reply.status, headers=reply.headers, robots=robots_seen,
                      redirects=chain[1:], final_url=current)
        status = reply.status
        if status == 304:
            if prior is None or not cond:
                return self._result(source, fetched_at, "failed", reason="unexpected_304",
                                    detail="304 to an unconditional request", **common)
            return self._result(
                source, fetched_at, "not_modified", reason="http_304", detail="304 Not Modified",
                sha256=prior.sha256, raw_path=prior.raw_path,
                etag=reply.headers.get("etag") or prior.etag,
                last_modified=reply.headers.get("last-modified") or prior.last_modified, **common,
            )
        if 300 <= status < 400:
            return self._result(source, fetched_at, "rejected", reason="http_3xx",
                                detail=f"HTTP {status} without a usable Location", **common)
        if status == 404:
            return self._result(source, fetched_at, "rejected", reason="http_404", detail="404 Not Found", **common)
        if status == 410:
            return self._result(source, fetched_at, "rejected", reason="http_410", detail="410 Gone", **common)
        if status == 429:
            return self._result(source, fetched_at, "failed", reason="http_429", detail="429 after retries", **common)
        if 400 <= status < 500:
            return self._result(source, fetched_at, "rejected", reason="http_4xx", detail=f"HTTP {status}", **common)
        if status >= 500:
            return self._result(source, fetched_at, "failed", reason="http_5xx", detail=f"HTTP {status} after retries", **common)
        if status < 200:
            return self._result(source, fetched_at, "failed", reason="connection_error",
                                detail=f"unexpected HTTP {status}", **common)

        content = reply.content or b""
        if not content.strip():
            return self._result(source, fetched_at, "rejected", reason="empty_body",
                                detail=f"HTTP {status} with {len(content)} bytes", **common)
        if "content-type" not in reply.headers and accept is HTML_TYPES and not _looks_like_html(content):
            return self._result(source, fetched_at, "rejected", reason="unsupported_content_type",
                                detail="no Content-Type and the body does not look like HTML", **common)
        digest = sha256_hex(content)
        etag = reply.headers.get("etag")
        last_modified = reply.headers.get("last-modified")
        raw_path = store_raw(self.output_dir, content)
        if prior is not None and prior.sha256 == digest and not self.force:
            return self._result(source, fetched_at, "not_modified", reason="same_sha256",
                                detail="body identical to the last stored fetch", sha256=digest,
                                raw_path=raw_path, etag=etag, last_modified=last_modified, **common)
        return self._result(source, fetched_at, "fetched", sha256=digest, raw_path=raw_path, etag=etag,
                            last_modified=last_modified, content=content, **common)

    # -- one HTTP request with retries, politeness and limits
    def _request(
        self,
        url: str,
        extra_headers: dict[str, str],
        delay: float,
        concurrency: int,
        *,
        want_body: bool,
        max_bytes: int,
        truncate: bool = False,
        accept: frozenset[str] = HTML_TYPES,
    ) -> _Reply:
        s = self.settings
        attempts = max(1, s.max_attempts)
        gate = self._gate(url)
        last: _Abort | None = None
        for attempt in range(1, attempts + 1):
            retry_after: float | None = None
            gate.acquire(concurrency)
            try:
                with self._global:
                    gate.wait_turn(delay)
                    try:
                        reply = self._one_request(url, extra_headers, want_body=want_body,
                                                  max_bytes=max_bytes, truncate=truncate, accept=accept)
                    except _Abort as ab:
                        if ab.reason not in ("timeout", "connection_error"):
                            raise
                        last = ab
                        reply = None
            finally:
                gate.release()
            if reply is not None:
                if reply.status != 429 and reply.status < 500:
                    return reply
                retry_after = _retry_after_seconds(reply.headers.get("retry-after"))
                if retry_after is not None:
                    gate.push_back(min(retry_after, s.retry_after_cap_seconds))
                reason = "http_429" if reply.status == 429 else "http_5xx"
                last = _Abort(reason, f"HTTP {reply.status}", status=reply.status, headers=reply.headers)
                if retry_after is not None and retry_after > s.retry_after_cap_seconds:
                    # Retrying sooner than asked would be impolite; give up for this run.
                    last.detail += f"; Retry-After {retry_after:.0f}s exceeds cap {s.retry_after_cap_seconds:.0f}s"
                    break
                if attempt == attempts:
                    return reply  # the caller maps the final status to its reason
            if attempt == attempts:
                break
            backoff = min(s.retry_after_cap_seconds, s.backoff_base_seconds * 2 ** (attempt - 1))
            backoff *= 0.5 + self._rng.random()  # jitter: 0.5x .. 1.5x
            time.sleep(max(backoff, min(retry_after or 0.0, s.retry_after_cap_seconds)))
        assert last is not None
        last.detail += f" (after {attempt} attempt{'s' if attempt > 1 else ''})"
        raise last

    def _one_request(self, url: str, extra_headers: dict[str, str], *, want_body: bool, max_bytes: int,
                     truncate: bool, accept: frozenset[str] = HTML_TYPES) -> _Reply:
        deadline = time.monotonic() + self.defaults.timeout_seconds
        try:
            with self._client.stream("GET", url, headers=extra_headers) as resp:
                headers = _lower_headers(resp.headers)
                reply = _Reply(status=resp.status_code, headers=headers, url=str(resp.url))
                if not (want_body and 200 <= resp.status_code < 300):
                    return reply
                if not truncate:
                    ctype = headers.get("content-type")
                    if ctype is not None:
                        mime = ctype.split(";", 1)[0].strip().lower()
                        if mime not in accept:
                            raise _Abort("unsupported_content_type", f"Content-Type {mime or '(empty)'}",
                                         status=resp.status_code, headers=headers)
                    declared = headers.get("content-length", "").strip()
                    if declared.isdigit() and int(declared) > max_bytes and not headers.get("content-encoding"):
                        raise _Abort("too_large", f"Content-Length {declared} > max_bytes {max_bytes}",
                                     status=resp.status_code, headers=headers)
                encodings = [e.strip().lower() for e in headers.get("content-encoding", "").split(",") if e.strip()]
                encodings = [e for e in encodings if e != "identity"]
                if len(encodings) > 1 or (encodings and encodings[0] not in ("gzip", "x-gzip", "deflate")):
                    raise _Abort("unsupported_content_encoding", f"Content-Encoding {headers['content-encoding']}",
                                 status=resp.status_code, headers=headers)
                inflater = _Inflater("gzip" if encodings and encodings[0] in ("gzip", "x-gzip") else "deflate") \
                    if encodings else None
                body = bytearray()
                raw_seen = 0
                for chunk in resp.iter_raw():  # as received: no re-chunking delay
                    if time.monotonic() > deadline:
                        raise _Abort("timeout", f"total time over {self.defaults.timeout_seconds}s while reading body",
                                     status=resp.status_code, headers=headers)
                    raw_seen += len(chunk)
                    try:
                        if inflater is not None:
                            # The compressed stream is bounded too (a body that never ends).
                            if raw_seen > max_bytes:
                                raise _TooLarge()
                            chunk = inflater.feed(chunk, max_bytes - len(body))
                        elif len(body) + len(chunk) > max_bytes:
                            raise _TooLarge()
                    except _TooLarge:
                        if truncate:  # robots.txt: keep the first max_bytes, parse those
                            if inflater is None:
                                body.extend(chunk[: max_bytes - len(body)])
                            break
                        raise _Abort("too_large",
                                     f"body exceeds max_bytes {max_bytes}" + (" after decompression" if inflater else ""),
                                     status=resp.status_code, headers=headers) from None
                    except zlib.error as exc:
                        raise _Abort("content_encoding_error", f"{headers.get('content-encoding')}: {exc}",
                                     status=resp.status_code, headers=headers) from None
                    body.extend(chunk)
                reply.content = bytes(body)
                return reply
        except httpx.TimeoutException as exc:
            raise _Abort("timeout", f"{type(exc).__name__}: {exc or 'timed out'}") from None
        except httpx.InvalidURL as exc:
            raise _Abort("invalid_url", str(exc)) from None
        except httpx.UnsupportedProtocol as exc:
            raise _Abort("invalid_url", str(exc)) from None
        except (httpx.TransportError, httpx.StreamError) as exc:
            raise _Abort("connection_error", f"{type(exc).__name__}: {exc}") from None

    # -- robots.txt (RFC 9309)
    def _robots_check(self, url: str, delay: float, concurrency: int) -> tuple[str, str, float | None]:
        key = _host_key(url)
        with self._lock:
            entry = self._robots.get(key)
            owner = entry is None
            if owner:
                entry = self._robots[key] = _RobotsEntry()
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

    def _resolve_robots(self, key: str, entry: _RobotsEntry, delay: float, concurrency: int) -> None:
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

    def _parse_robots(self, entry: _RobotsEntry, text: str) -> None:
        from protego import Protego

        entry.body = text
        entry.parser = Protego.parse(text)
        try:
            entry.crawl_delay = entry.parser.crawl_delay(robots_token(self.defaults.user_agent))
        except Exception:
            entry.crawl_delay = None

    def _load_robots(self, key: str, entry: _RobotsEntry, delay: float, concurrency: int) -> None:
        current = f"{key}/robots.txt"
        seen = [current]
        chain_public = False
        for _ in range(ROBOTS_MAX_REDIRECTS + 1):
            chain_public = chain_public or self._is_public_host(current)
            try:
                reply = self._request(current, {}, delay, concurrency, want_body=True,
                                      max_bytes=ROBOTS_MAX_BYTES, truncate=True)
            except _Abort as ab:
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
                if not self._redirect_safe(chain_public, nxt):
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
