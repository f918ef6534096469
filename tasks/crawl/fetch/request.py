"""A fetch request: what the Fetcher is asked to get, and within which limits.

The Fetcher knows nothing of `sources.yaml`: a caller turns a source (a listed page, a
discovered article, a feed) into a request with `request_for`. The validators of a
conditional GET (ETag, Last-Modified, sha256) are not part of the request: they are the
fetch state of the URL, which the Fetcher reads and, once the document is stored, commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from tasks.crawl.fetch.reasons import HTML_TYPES
from tasks.crawl.sources import effective_politeness
from tasks.models import FetchDefaults, Source


@dataclass(frozen=True, slots=True)
class FetchRequest:
    key: str  # what the result is filed under (FetchResult.source_id)
    url: str
    min_delay: float  # seconds between request starts to the host
    concurrency: int  # requests to the host at once
    hosts: tuple[str, ...] = ()  # host[:port]s a redirect may reach (an outlet's editions); empty: any
    accept: frozenset[str] = HTML_TYPES  # Content-Types taken


def request_for(source: Source, defaults: FetchDefaults, accept: frozenset[str] = HTML_TYPES) -> FetchRequest:
    """The request for one source: its politeness after overrides, its outlet's hosts."""
    delay, conc = effective_politeness(defaults, source)
    hosts = tuple(source.discovery.hosts) if source.discovery is not None else ()
    return FetchRequest(key=source.id, url=source.url, min_delay=delay, concurrency=conc, hosts=hosts, accept=accept)
