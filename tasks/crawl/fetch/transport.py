"""Transport: one HTTP GET with retries, politeness gates, time and size limits, decompression.

`Transport.request` sends one request through the host's gate and the run's global
limit, retries timeouts, connection errors, 5xx and 429 with jittered backoff (and
Retry-After, capped), and reads the body as received, within `max_bytes` also after
gzip/deflate decompression (bombs) and within the total timeout. It follows no
redirect: the caller decides on each hop (tasks/crawl/fetch/redirects.py).
"""

from __future__ import annotations

import random
import threading
import time
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import httpx

from tasks.crawl.fetch.gates import HostGates
from tasks.crawl.fetch.reasons import HTML_TYPES, FetchAbort
from tasks.models import FetchDefaults
from tasks.settings import Settings


class TooLarge(Exception):
    pass


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    url: str
    content: bytes | None = None


class Inflater:
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
        """Decompress `data`; raise TooLarge as soon as output would exceed `budget`."""
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
                raise TooLarge()
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


# --------------------------------------------------------------------------- the transport


def lower_headers(headers: httpx.Headers) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in headers.multi_items():
        k = k.lower()
        out[k] = f"{out[k]}, {v}" if k in out else v
    return out


def retry_after_seconds(value: str | None) -> float | None:
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


def looks_like_html(content: bytes) -> bool:
    head = content[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<") and (b"<html" in head or b"<!doctype html" in head or b"<head" in head or b"<body" in head)


class Transport:
    """The HTTP client of one Fetcher, shared by its threads."""

    def __init__(self, defaults: FetchDefaults, settings: Settings, gates: HostGates) -> None:
        self.defaults = defaults
        self.settings = settings
        self.gates = gates
        s = settings
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
        self._rng = random.Random()

    def close(self) -> None:
        self._client.close()

    def request(
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
    ) -> Reply:
        s = self.settings
        attempts = max(1, s.max_attempts)
        gate = self.gates.for_url(url)
        last: FetchAbort | None = None
        for attempt in range(1, attempts + 1):
            retry_after: float | None = None
            gate.acquire(concurrency)
            try:
                with self._global:
                    gate.wait_turn(delay)
                    try:
                        reply = self._one_request(url, extra_headers, want_body=want_body,
                                                  max_bytes=max_bytes, truncate=truncate, accept=accept)
                    except FetchAbort as ab:
                        if ab.reason not in ("timeout", "connection_error"):
                            raise
                        last = ab
                        reply = None
            finally:
                gate.release()
            if reply is not None:
                if reply.status != 429 and reply.status < 500:
                    return reply
                retry_after = retry_after_seconds(reply.headers.get("retry-after"))
                if retry_after is not None:
                    gate.push_back(min(retry_after, s.retry_after_cap_seconds))
                reason = "http_429" if reply.status == 429 else "http_5xx"
                last = FetchAbort(reason, f"HTTP {reply.status}", status=reply.status, headers=reply.headers)
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
                     truncate: bool, accept: frozenset[str] = HTML_TYPES) -> Reply:
        deadline = time.monotonic() + self.defaults.timeout_seconds
        try:
            with self._client.stream("GET", url, headers=extra_headers) as resp:
                headers = lower_headers(resp.headers)
                reply = Reply(status=resp.status_code, headers=headers, url=str(resp.url))
                if not (want_body and 200 <= resp.status_code < 300):
                    return reply
                if not truncate:
                    ctype = headers.get("content-type")
                    if ctype is not None:
                        mime = ctype.split(";", 1)[0].strip().lower()
                        if mime not in accept:
                            raise FetchAbort("unsupported_content_type", f"Content-Type {mime or '(empty)'}",
                                         status=resp.status_code, headers=headers)
                    declared = headers.get("content-length", "").strip()
                    if declared.isdigit() and int(declared) > max_bytes and not headers.get("content-encoding"):
                        raise FetchAbort("too_large", f"Content-Length {declared} > max_bytes {max_bytes}",
                                     status=resp.status_code, headers=headers)
                encodings = [e.strip().lower() for e in headers.get("content-encoding", "").split(",") if e.strip()]
                encodings = [e for e in encodings if e != "identity"]
                if len(encodings) > 1 or (encodings and encodings[0] not in ("gzip", "x-gzip", "deflate")):
                    raise FetchAbort("unsupported_content_encoding", f"Content-Encoding {headers['content-encoding']}",
                                 status=resp.status_code, headers=headers)
                inflater = Inflater("gzip" if encodings and encodings[0] in ("gzip", "x-gzip") else "deflate") \
                    if encodings else None
                body = bytearray()
                raw_seen = 0
                for chunk in resp.iter_raw():  # as received: no re-chunking delay
                    if time.monotonic() > deadline:
                        raise FetchAbort("timeout", f"total time over {self.defaults.timeout_seconds}s while reading body",
                                     status=resp.status_code, headers=headers)
                    raw_seen += len(chunk)
                    try:
                        if inflater is not None:
                            # The compressed stream is bounded too (a body that never ends).
                            if raw_seen > max_bytes:
                                raise TooLarge()
                            chunk = inflater.feed(chunk, max_bytes - len(body))
                        elif len(body) + len(chunk) > max_bytes:
                            raise TooLarge()
                    except TooLarge:
                        if truncate:  # robots.txt: keep the first max_bytes, parse those
                            if inflater is None:
                                body.extend(chunk[: max_bytes - len(body)])
                            break
                        raise FetchAbort("too_large",
                                     f"body exceeds max_bytes {max_bytes}" + (" after decompression" if inflater else ""),
                                     status=resp.status_code, headers=headers) from None
                    except zlib.error as exc:
                        raise FetchAbort("content_encoding_error", f"{headers.get('content-encoding')}: {exc}",
                                     status=resp.status_code, headers=headers) from None
                    body.extend(chunk)
                reply.content = bytes(body)
                return reply
        except httpx.TimeoutException as exc:
            raise FetchAbort("timeout", f"{type(exc).__name__}: {exc or 'timed out'}") from None
        except httpx.InvalidURL as exc:
            raise FetchAbort("invalid_url", str(exc)) from None
        except httpx.UnsupportedProtocol as exc:
            raise FetchAbort("invalid_url", str(exc)) from None
        except (httpx.TransportError, httpx.StreamError) as exc:
            raise FetchAbort("connection_error", f"{type(exc).__name__}: {exc}") from None
