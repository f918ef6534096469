"""Fetch: the polite, incremental HTTP GET of one request (a page, a feed, a sitemap).

The façade is `Fetcher` (fetcher.py) with `FetchRequest` / `request_for` (request.py).
Behind it, one module per job:

- reasons.py — reason codes, outcomes, accepted types, what a final HTTP status means;
- transport.py — one request with retries, time and size limits, decompression;
- gates.py — per-host politeness: the `HostGate` protocol and the local gate
  (flows/limits.py has the shared one on Prefect's global concurrency limits);
- robots.py — robots.txt, once per host per run;
- redirects.py — the redirect chain and the SSRF rule;
- state.py — per-URL validators for conditional GETs, robots decisions shared by a run.
"""

from tasks.crawl.fetch.fetcher import Fetcher
from tasks.crawl.fetch.reasons import (
    FAILED_REASONS,
    FEED_TYPES,
    HTML_TYPES,
    REASONS,
    REJECTED_REASONS,
    outcome_of,
)
from tasks.crawl.fetch.redirects import is_public_address, redirect_allowed
from tasks.crawl.fetch.request import FetchRequest, request_for
from tasks.crawl.fetch.robots import robots_token

__all__ = [
    "FAILED_REASONS", "FEED_TYPES", "HTML_TYPES", "REASONS", "REJECTED_REASONS", "FetchRequest", "Fetcher",
    "is_public_address", "outcome_of", "redirect_allowed", "request_for", "robots_token",
]
