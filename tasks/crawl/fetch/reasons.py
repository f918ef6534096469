"""The fetch's vocabulary: reason codes, the outcome each one means, accepted types, status mapping.

Outcome policy: "rejected" = the site answered and the answer is not a page we may or can
use (robots, 404, other 4xx, PDF, too large, empty, bad redirects); retrying tomorrow gives
the same answer, the run is still healthy. "failed" = the site or network misbehaved
(5xx / 429 after retries, timeouts, connection errors, robots.txt unreachable) or we had a
bug; the flow treats these as failures of the run.
"""

from __future__ import annotations

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
# Feeds and sitemaps (discovery, tasks/crawl/discover.py): fetched with the same rules, other types.
FEED_TYPES = frozenset({
    "application/rss+xml", "application/atom+xml", "application/xml", "text/xml", "application/rdf+xml",
    "application/feed+json", "application/json", "text/plain", "application/gzip", "application/x-gzip",
    "application/octet-stream", "text/html", "application/xhtml+xml",
})
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})


def outcome_of(reason: str) -> str:
    """'rejected' | 'failed' | 'not_modified' for a reason code (unknown codes fail)."""
    return REASONS.get(reason, ("failed", ""))[0]


def status_reason(status: int) -> tuple[str, str, str] | None:
    """(outcome, reason, detail) of a final HTTP status that is no page (not 2xx, not 304);
    None for a 2xx. Called after retries and redirects, so a 5xx or 429 here is the last one."""
    if 300 <= status < 400:
        return "rejected", "http_3xx", f"HTTP {status} without a usable Location"
    if status == 404:
        return "rejected", "http_404", "404 Not Found"
    if status == 410:
        return "rejected", "http_410", "410 Gone"
    if status == 429:
        return "failed", "http_429", "429 after retries"
    if 400 <= status < 500:
        return "rejected", "http_4xx", f"HTTP {status}"
    if status >= 500:
        return "failed", "http_5xx", f"HTTP {status} after retries"
    if status < 200:
        return "failed", "connection_error", f"unexpected HTTP {status}"
    return None


class FetchAbort(Exception):
    """Stops one fetch with a reason code (never leaves the Fetcher)."""

    def __init__(self, reason: str, detail: str, status: int | None = None, headers: dict[str, str] | None = None):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.status = status
        self.headers = headers or {}
