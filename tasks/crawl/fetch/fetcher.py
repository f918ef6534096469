"""The Fetcher: polite, incremental, fault-tolerant HTTP GET of one request.

Contract (the flow relies on it):
- `Fetcher(defaults, output_dir, settings=..., force=False)` is thread-safe and shared by
  all fetches of one run in one process (robots cache, per-host limits, state store).
- `Fetcher.fetch(request) -> FetchResult` never raises for an expected fault: it returns
  outcome "fetched" (content set, raw snapshot stored via tasks.store.files.store_raw),
  "not_modified" (304 or same sha256 as last run, unless force), "rejected" (reason code)
  or "failed" (reason code). Reason codes: tasks/crawl/fetch/reasons.py. A request comes
  from `request_for(source, defaults)` (tasks/crawl/fetch/request.py).
- `Fetcher.commit(result)` records ETag/Last-Modified/sha256 in the state store once the
  document has been stored, so a crash between fetch and store refetches next run.

What it composes: the transport (one request with retries and limits), the host gates
(local or shared), robots.txt, the redirect and SSRF rules, the fetch state (conditional
GET) and the raw snapshot store. This module decides only the order of those steps and
what a final answer means.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from tasks.crawl.fetch.gates import GateFactory, HostGates
from tasks.crawl.fetch.reasons import HTML_TYPES, REDIRECT_CODES, FetchAbort, outcome_of, status_reason
from tasks.crawl.fetch.redirects import AddressGuard, next_hop
from tasks.crawl.fetch.request import FetchRequest
from tasks.crawl.fetch.robots import Robots
from tasks.crawl.fetch.state import STATE_FILENAME, FetchState, FetchStateStore
from tasks.crawl.fetch.transport import Reply, Transport, looks_like_html
from tasks.models import FetchDefaults, FetchResult
from tasks.settings import Settings, get_settings
from tasks.store.files import sha256_hex, store_raw

log = logging.getLogger("newsbridge.fetch")


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
        gate_factory: GateFactory | None = None,
    ):
        """`run_id`: when given, robots.txt decisions are shared through the state store
        with every other Fetcher of the same run and output dir (other processes, Dask
        workers), so each host's robots.txt is fetched once per run, not once per process.
        `gate_factory`: host -> its gate (default: local gates; flows/limits.py shares them)."""
        self.defaults = defaults
        self.output_dir = Path(output_dir)
        self.settings = settings or get_settings()
        self.force = force
        self.state = FetchStateStore(self.output_dir / STATE_FILENAME)
        self.guard = AddressGuard(self.settings.allow_private_redirects)
        self.transport = Transport(defaults, self.settings, HostGates(gate_factory))
        claimant = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.robots = Robots(self.transport, self.state, self.guard, defaults, self.settings, run_id, claimant)
        self._closed = False

    # -- lifecycle
    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.transport.close()
            self.state.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # -- public API
    def fetch(self, request: FetchRequest) -> FetchResult:
        """Fetch one request; never raises for a fault of the site, the network or the page."""
        fetched_at = datetime.now(timezone.utc)
        try:
            return self._fetch(request, fetched_at)
        except FetchAbort as ab:
            return self._result(request, fetched_at, outcome_of(ab.reason), reason=ab.reason, detail=ab.detail,
                                status=ab.status, headers=ab.headers)
        except Exception as exc:  # a bug must not take the run down; it is recorded as failed
            log.exception("fetch of %s crashed", request.url)
            return self._result(request, fetched_at, "failed", reason="internal_error",
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
        return self.robots.check(url, delay, conc)[0]

    def robots_sitemaps(self, url: str) -> list[str]:
        """The `Sitemap:` lines of the robots.txt of url's host (fetched once per host per run)."""
        return self.robots.sitemaps(url)

    # -- internals
    def _result(self, request: FetchRequest, fetched_at: datetime, outcome: str, **kw: object) -> FetchResult:
        headers = kw.pop("headers", None) or {}
        return FetchResult(
            source_id=request.key,
            url=request.url,
            fetched_at=fetched_at,
            outcome=outcome,  # type: ignore[arg-type]
            headers=headers,  # type: ignore[arg-type]
            content_type=headers.get("content-type") if isinstance(headers, dict) else None,
            **kw,  # type: ignore[arg-type]
        )

    def _fetch(self, request: FetchRequest, fetched_at: datetime) -> FetchResult:
        """Robots, then the request, hop by hop through redirects; then what the answer means."""
        url = request.url
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchAbort("invalid_url", f"not an absolute http(s) URL: {url!r}")
        delay, conc = request.min_delay, request.concurrency
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
        while True:
            decision, detail, crawl_delay = self.robots.check(current, delay, conc)
            if decision == "disallowed":
                return self._result(request, fetched_at, "rejected", reason="robots_disallowed",
                                    detail=f"robots.txt disallows {current}", robots="disallowed",
                                    redirects=chain[1:], final_url=current)
            if decision == "unreachable":
                return self._result(request, fetched_at, "failed", reason="robots_unreachable",
                                    detail=detail, robots="unreachable", redirects=chain[1:], final_url=current)
            hop_delay = delay if crawl_delay is None else max(delay, min(crawl_delay, self.settings.retry_after_cap_seconds))
            chain_public = chain_public or self.guard.is_public_host(current)
            try:
                reply = self.transport.request(current, cond, hop_delay, conc, want_body=True,
                                               max_bytes=self.defaults.max_bytes, accept=request.accept)
            except FetchAbort as ab:
                fetched_at = datetime.now(timezone.utc)  # when the host last answered (or we gave up)
                return self._result(request, fetched_at, outcome_of(ab.reason), reason=ab.reason, detail=ab.detail,
                                    status=ab.status, headers=ab.headers, robots=decision,
                                    redirects=chain[1:], final_url=current)
            if reply.status in REDIRECT_CODES and reply.headers.get("location"):
                nxt, refused, why = next_hop(current, reply.headers["location"], chain, chain_public, self.guard,
                                             request.hosts, self.settings.max_redirects)
                if refused is not None:
                    return self._result(request, fetched_at, "rejected", reason=refused, detail=why,
                                        status=reply.status, headers=reply.headers, robots=decision,
                                        redirects=chain[1:] + [nxt], final_url=current)
                chain.append(nxt)
                current = nxt
                continue
            return self._answer(request, reply, prior, bool(cond), robots=decision, redirects=chain[1:],
                                final_url=current)

    def _answer(self, request: FetchRequest, reply: Reply, prior: FetchState | None, conditional: bool,
                **common: object) -> FetchResult:
        """What the final answer of a chain means: a page, not modified, or a reason."""
        # The time the page's bytes arrived, not the time the fetch was asked for: on a polite
        # host a fetch waits its turn behind the others (seconds), and a translator reads
        # fetched_at as the age of the text.
        fetched_at = datetime.now(timezone.utc)
        common.update(status=reply.status, headers=reply.headers)
        if reply.status == 304:
            if prior is None or not conditional:
                return self._result(request, fetched_at, "failed", reason="unexpected_304",
                                    detail="304 to an unconditional request", **common)
            return self._result(
                request, fetched_at, "not_modified", reason="http_304", detail="304 Not Modified",
                sha256=prior.sha256, raw_path=prior.raw_path,
                etag=reply.headers.get("etag") or prior.etag,
                last_modified=reply.headers.get("last-modified") or prior.last_modified, **common,
            )
        mapped = status_reason(reply.status)
        if mapped is not None:
            outcome, reason, detail = mapped
            return self._result(request, fetched_at, outcome, reason=reason, detail=detail, **common)
        content = reply.content or b""
        if not content.strip():
            return self._result(request, fetched_at, "rejected", reason="empty_body",
                                detail=f"HTTP {reply.status} with {len(content)} bytes", **common)
        if "content-type" not in reply.headers and request.accept == HTML_TYPES and not looks_like_html(content):
            return self._result(request, fetched_at, "rejected", reason="unsupported_content_type",
                                detail="no Content-Type and the body does not look like HTML", **common)
        digest = sha256_hex(content)
        etag = reply.headers.get("etag")
        last_modified = reply.headers.get("last-modified")
        raw_path = store_raw(self.output_dir, content)
        if prior is not None and prior.sha256 == digest and not self.force:
            return self._result(request, fetched_at, "not_modified", reason="same_sha256",
                                detail="body identical to the last stored fetch", sha256=digest,
                                raw_path=raw_path, etag=etag, last_modified=last_modified, **common)
        return self._result(request, fetched_at, "fetched", sha256=digest, raw_path=raw_path, etag=etag,
                            last_modified=last_modified, content=content, **common)
