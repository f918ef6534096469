"""Discovery of one outlet: each edition's robots.txt `Sitemap:` lines, home page, feeds,
sitemaps and section pages, read through the project's Fetcher, into candidate articles.

Every request and its outcome is a `FetchLog`; links that are no URL we may request,
off-site links and suspect dates are recorded on the `OutletDiscovery`; a bug of ours on
one resource is recorded (`internal_error`) and the rest goes on. `tasks/crawl/discover.py`
merges and decides; parsing is `tasks/crawl/discover_parse.py`.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterator
from urllib.parse import urljoin, urlsplit

from tasks.crawl.discover_parse import (
    _ARTICLE_ID_RE,
    _NAV_PARTS,
    MAX_FEEDS_PER_EDITION,
    MAX_LINKS_PER_PAGE,
    MAX_SITEMAP_DEPTH,
    MAX_SITEMAPS_PER_EDITION,
    DiscoveryParseError,
    PageLinks,
    _index_lastmods,
    classify_link,
    date_suspect,
    looks_like_article,
    looks_like_section,
    maybe_gunzip,
    parse_sitemap,
    read_feed,
    read_page,
    url_date,
)
from tasks.models import Discovery, FetchDefaults, Outlet, Source
from tasks.urls import host_port_of


def edition_for(url: str, outlet: Outlet) -> str | None:
    """The edition a URL belongs to: same host, longest home-page path prefix; None when off the outlet."""
    host, path = host_port_of(url), urlsplit(url).path or "/"
    best: tuple[int, str] | None = None
    same_host = []
    for lang, home in outlet.editions.items():
        if host_port_of(home) != host:
            continue
        same_host.append(lang)
        hpath = urlsplit(home).path or "/"
        if path.startswith(hpath.rstrip("/") + "/") or path == hpath.rstrip("/") or hpath == "/":
            if best is None or len(hpath) > best[0]:
                best = (len(hpath), lang)
    if best is not None:
        return best[1]
    return same_host[0] if len(same_host) == 1 else None


def _could_be_article(url: str, outlet: Outlet) -> bool:
    """Not an edition's home page, not a navigation page (tag, category, search...)."""
    parts = urlsplit(url)
    if any(url.rstrip("/") == home.rstrip("/") for home in outlet.editions.values()):
        return False
    segments = [s.lower() for s in parts.path.split("/") if s]
    return bool(segments or parts.query) and not any(s in _NAV_PARTS for s in segments)



# --------------------------------------------------------------------------- discovery of one outlet


@dataclass
class Candidate:
    url: str
    outlet: str
    edition: str
    via: str
    found_on: str | None
    published: datetime | None = None
    date_source: str | None = None
    date_suspect: str | None = None  # a date outside the sane window, not trusted (see date_suspect)


@dataclass
class FetchLog:
    """One feed / sitemap / page request made by discovery, with its outcome."""

    url: str
    kind: str
    edition: str
    outcome: str  # the Fetcher's (fetched, not_modified, rejected, failed), or partial / skipped / absent
    reason: str | None = None
    detail: str | None = None
    entries: int = 0
    outlet: str = ""

    @property
    def problem(self) -> bool:
        """A rejection or a bounded skip: recorded in the run's manifest and rejected.jsonl."""
        return self.outcome not in ("fetched", "not_modified", "absent") or self.reason is not None


@dataclass
class OutletDiscovery:
    outlet: Outlet
    candidates: list[Candidate] = field(default_factory=list)
    fetches: list[FetchLog] = field(default_factory=list)
    off_site: list[tuple[str, str]] = field(default_factory=list)  # (url, found_on): recorded, not followed
    # Feeds and sitemaps read this run (editions under path prefixes of one host share the
    # robots.txt `Sitemap:` lines): each is requested once, its entries go to their own edition.
    read: set[str] = field(default_factory=set)
    # Links that are no http(s) URL we may request (ftp:, mailto:, javascript:, data:, a
    # malformed host): counted by reason, a bounded sample kept; never requested.
    unusable: Counter[str] = field(default_factory=Counter)
    unusable_sample: list[tuple[str, str, str]] = field(default_factory=list)  # (link, found_on, reason)
    suspect_dates: list[tuple[str, str]] = field(default_factory=list)  # (url, why): bounded sample
    to_commit: list[Any] = field(default_factory=list)  # feed / sitemap FetchResults, committed after the frontier

    def not_followed(self, link: str, found_on: str, reason: str) -> None:
        self.unusable[reason] += 1
        if len(self.unusable_sample) < UNUSABLE_SAMPLE:
            self.unusable_sample.append((link[:300], found_on, reason))


UNUSABLE_SAMPLE = 50  # unusable links and suspect dates kept by name per outlet (all are counted)


def aux_source_id(outlet: str, edition: str, kind: str, url: str) -> str:
    """Id of a feed / sitemap / page request of discovery (names it in rejected.jsonl)."""
    return f"{outlet}-{edition}-{kind}-{hashlib.sha1(url.encode()).hexdigest()[:8]}"


def outlet_hosts(outlet: Outlet) -> list[str]:
    """Every host[:port] of the outlet's editions: the only hosts discovery ever requests."""
    return sorted({host_port_of(url) for url in outlet.editions.values()})


def _aux_source(outlet: Outlet, edition: str, kind: str, url: str, hosts: list[str]) -> Source:
    return Source(
        id=aux_source_id(outlet.id, edition, kind, url),
        url=url,
        lang=edition,  # type: ignore[arg-type]
        outlet=outlet.id,
        min_delay_seconds=outlet.min_delay_seconds,
        per_host_concurrency=outlet.per_host_concurrency,
        discovery=Discovery(outlet=outlet.id, edition=edition, via="page", hosts=hosts),
    )


class _EditionCrawler:
    """Discovery of one edition through a shared Fetcher."""

    def __init__(self, outlet: Outlet, edition: str, home: str, fetcher: Any, result: OutletDiscovery, max_bytes: int,
                 known_article: Callable[[list[str]], set[str]] | None = None, now: datetime | None = None):
        self.outlet, self.edition, self.home = outlet, edition, home
        self.now = now or datetime.now(timezone.utc)
        self.known_article = known_article
        self.fetcher, self.result, self.max_bytes = fetcher, result, max_bytes
        self.hosts = outlet_hosts(outlet)
        self.host = host_port_of(home)
        self.follow = re.compile(outlet.follow) if outlet.follow else None
        self.last: Any = None  # the last FetchResult of _get
        self.exclude = re.compile(outlet.exclude) if outlet.exclude else None

    def _get(self, url: str, kind: str, *, conditional: bool) -> bytes | None:
        """Bytes of a feed/sitemap/page through the Fetcher, or None (recorded)."""
        from tasks.crawl.fetch.reasons import FEED_TYPES, HTML_TYPES
        from tasks.crawl.fetch.request import request_for

        # The edition a feed or sitemap belongs to (by its path), else the one reading it.
        edition = edition_for(url, self.outlet) or self.edition
        if host_port_of(url) not in self.hosts:
            self.result.off_site.append((url, self.home))
            self.result.fetches.append(FetchLog(url, kind, edition, "skipped", "off_site",
                                                "host outside the outlet's editions", outlet=self.outlet.id))
            return None
        source = _aux_source(self.outlet, edition, kind, url, self.hosts)
        accept = HTML_TYPES if kind in ("home", "section") else FEED_TYPES
        res = self.fetcher.fetch(request_for(source, self.fetcher.defaults, accept))
        self.last = res
        log = FetchLog(url, kind, edition, res.outcome, res.reason, res.detail, outlet=self.outlet.id)
        self.result.fetches.append(log)
        if res.outcome != "fetched" or res.content is None:
            return None
        if conditional:
            # Feeds and sitemaps are asked conditionally next run, once remembered: that is only
            # after the frontier has recorded what they listed (plan_run), or a run killed in
            # between would get 304 next time and never see those articles again.
            self.result.to_commit.append(res.model_copy(update={"content": None}))
        return res.content

    @contextmanager
    def guard(self, url: str, kind: str) -> Iterator[None]:
        """A bug of ours on one hostile resource: recorded (internal_error, the exception's type), the rest goes on."""
        try:
            yield
        except Exception as exc:  # noqa: BLE001 - one resource's failure never takes the night down
            self.result.fetches.append(FetchLog(url, kind, self.edition, "rejected", "internal_error",
                                                f"{type(exc).__name__}: {str(exc)[:300]}", outlet=self.outlet.id))

    def _link(self, raw: str, base: str) -> str | None:
        """The canonical URL of a link, or None: a non-HTTP or malformed link is recorded, never requested."""
        url, why = classify_link(raw, base)
        if why is not None:
            self.result.not_followed(raw, base, why)
        return url

    def _add(self, raw: str | None, via: str, found_on: str, published: datetime | None, date_source: str | None,
             *, canonical: bool = False) -> None:
        url = raw if canonical else (self._link(raw, found_on) if raw else None)
        if url is None:
            return
        if host_port_of(url) not in self.hosts:
            self.result.off_site.append((url, found_on))
            return
        if self.follow is not None and not self.follow.search(url):
            return
        if self.exclude is not None and self.exclude.search(url):
            return
        if via == "sitemap" and not _could_be_article(url, self.outlet):
            return  # plain sitemaps list home and section pages too
        edition = edition_for(url, self.outlet) or self.edition
        published, date_source, suspect = dated(self.result, self.now, url, published, date_source)
        self.result.candidates.append(Candidate(url, self.outlet.id, edition, via, found_on, published, date_source, suspect))

    def run(self) -> None:
        robots_maps: list[str] = []
        with self.guard(self.home, "robots"):
            robots_maps = self.fetcher.robots_sitemaps(self.home)
        page = PageLinks()
        with self.guard(self.home, "home"):
            home_bytes = self._get(self.home, "home", conditional=False)
            page = self._read_page(home_bytes, self.home) if home_bytes else PageLinks()
        feeds = [u for u in self.outlet.feeds if host_port_of(u) == self.host] + page.feeds
        for feed in list(dict.fromkeys(feeds))[:MAX_FEEDS_PER_EDITION]:
            if feed not in self.result.read:
                self.result.read.add(feed)
                with self.guard(feed, "feed"):
                    self._read_feed(feed)
        maps = [u for u in self.outlet.sitemaps if host_port_of(u) == self.host] + robots_maps
        guessed = None
        if not maps:
            maps = [guessed := urljoin(self.home, "/sitemap.xml")]
        self._read_sitemaps(list(dict.fromkeys(maps)), guessed)
        sections = [u for u in self.outlet.sections if host_port_of(u) == self.host]
        with self.guard(self.home, "home"):
            self._read_links(page, self.home, sections)
        articles = {c.url for c in self.result.candidates}
        # Never read an article as a section (a stored article is never requested again).
        sections = [u for u in dict.fromkeys(sections) if u not in articles]
        if self.known_article is not None and sections:
            known = self.known_article(sections)
            sections = [u for u in sections if u not in known]
        for section in sections[: self.outlet.max_section_pages]:
            with self.guard(section, "section"):
                data = self._get(section, "section", conditional=False)
                if data:
                    self._read_links(self._read_page(data, section), section, None)

    def _read_page(self, data: bytes, url: str) -> PageLinks:
        """A home or section page's links; a page with more than MAX_LINKS_PER_PAGE is a recorded bounded skip."""
        page = read_page(data, url)
        for link, why in page.unusable:
            self.result.not_followed(link, url, why)
        if page.truncated:
            log = self.result.fetches[-1]
            log.outcome, log.reason = "partial", "too_many_links"
            log.detail = f"only the first {MAX_LINKS_PER_PAGE:,} <a href> of the page were read"
        return page

    def _read_links(self, page: PageLinks, found_on: str, sections: list[str] | None) -> None:
        for link in page.links:
            if host_port_of(link) not in self.hosts:
                self.result.off_site.append((link, found_on))  # recorded, never followed
                continue
            edition = edition_for(link, self.outlet)
            home = self.outlet.editions.get(edition, self.home) if edition else self.home  # type: ignore[call-overload]
            if link in page.nav:
                # Navigation (menus, header, footer) leads to sections, never to tonight's articles.
                if sections is not None and edition == self.edition and self._section_like(link):
                    sections.append(link)
            elif looks_like_article(link, home):
                self._add(link, "page", found_on, None, None, canonical=True)
            elif sections is not None and edition == self.edition and looks_like_section(link, self.home):
                sections.append(link)

    def _section_like(self, url: str) -> bool:
        """A navigation link worth reading as a section: not the home page, not an article's shape, no query."""
        if urlsplit(url).query or url.rstrip("/") == self.home.rstrip("/"):
            return False
        if looks_like_section(url, self.home):
            return True
        segments = [s.lower() for s in urlsplit(url).path.split("/") if s]
        if any(s in _NAV_PARTS for s in segments):
            return False  # search, tag, login... pages
        last = (segments or [""])[-1]
        stem = re.sub(r"\.(s?html?|php|aspx?)$", "", last)
        return bool(stem) and not _ARTICLE_ID_RE.search(stem) and stem.count("-") < 3 and url_date(url) is None

    def _read_feed(self, url: str) -> None:
        data = self._get(url, "feed", conditional=True)
        if not data:
            return
        log = self.result.fetches[-1]
        try:
            entries, problem = read_feed(maybe_gunzip(data, self.max_bytes), url)
        except DiscoveryParseError as exc:
            self._parse_failed(exc)
            return
        log.entries = len(entries)
        if problem:
            # A broken feed feedparser recovered entries from: they are kept, the reason recorded.
            log.outcome, log.reason = "partial", "bad_feed"
            log.detail = f"broken feed, {len(entries)} entr{'y' if len(entries) == 1 else 'ies'} with a link recovered: {problem}"
        for link, when in entries:
            self._add(link, "feed", url, when, "feed" if when else None)

    def _read_sitemaps(self, roots: list[str], guessed: str | None = None) -> None:
        """Read sitemaps breadth-first; `guessed`: the /sitemap.xml tried when none is named (its 404 is no problem)."""
        # (sitemap URL, depth, the index's <lastmod> for it: its undated entries are no newer, the indexes above it)
        queue: list[tuple[str, int, datetime | None, tuple[str, ...]]] = [(u, 0, None, ()) for u in roots]
        seen: set[str] = set()
        while queue and len(seen) < MAX_SITEMAPS_PER_EDITION:
            url, depth, bound, above = queue.pop(0)
            if url in seen or url in self.result.read:
                continue  # listed twice, or read for another edition tonight (both recorded where found)
            seen.add(url)
            self.result.read.add(url)
            with self.guard(url, "sitemap"):
                self._read_sitemap(url, depth, bound, above, guessed, seen, queue)
        if queue:
            self.result.fetches.append(FetchLog(self.home, "sitemap", self.edition, "skipped", "sitemap_cap",
                                                f"{len(queue)} sitemap(s) over the cap of {MAX_SITEMAPS_PER_EDITION}",
                                                outlet=self.outlet.id))

    def _read_sitemap(self, url: str, depth: int, bound: datetime | None, above: tuple[str, ...], guessed: str | None,
                      seen: set[str], queue: list[tuple[str, int, datetime | None, tuple[str, ...]]]) -> None:
        self.last = None
        data = self._get(url, "sitemap", conditional=True)
        unchanged = False
        if not data:
            log = self.result.fetches[-1]
            if url == guessed and log.reason in ("http_404", "http_410"):
                log.outcome, log.reason = "absent", None
                log.detail = f"no sitemap named in robots.txt or sources.yaml; the guessed one: {log.detail}"
            data, unchanged = unchanged_body(self.fetcher, self.last), True
            if not data:
                return
        try:
            plain = maybe_gunzip(data, self.max_bytes)
            children, pages = parse_sitemap(plain, url)
        except DiscoveryParseError as exc:
            self._parse_failed(exc)
            return
        log = self.result.fetches[-1]
        if unchanged:
            pages = []  # an unchanged sitemap's pages are in the frontier since it was read
        log.entries = len(children) + len(pages)
        if children and depth + 1 > MAX_SITEMAP_DEPTH:
            log.outcome, log.reason = "skipped", "sitemap_depth"
            log.detail = f"index deeper than {MAX_SITEMAP_DEPTH}: its {len(children)} child sitemap(s) not read"
            return
        lastmods = _index_lastmods(plain) if children else {}
        queued = {q[0] for q in queue}
        for child in children:
            c = self._link(child, url)
            if c is None:
                continue
            if c == url or c in above:
                # A circular or self-referencing index: cut, and said so.
                self.result.fetches.append(FetchLog(c, "sitemap", self.edition, "skipped", "sitemap_cycle",
                                                    f"listed by {url}, which it lists itself: a circular index, not read again",
                                                    outlet=self.outlet.id))
            elif c not in seen and c not in queued:  # a sitemap listed twice is read once
                queued.add(c)
                queue.append((c, depth + 1, lastmods.get(child), (*above, url)))
        for link, when in pages:
            if when is None and bound is not None:
                when_src: str | None = "sitemap-index"
                when = bound
            else:
                when_src = "sitemap" if when else None
            self._add(link, "sitemap", url, when, when_src)

    def _parse_failed(self, exc: DiscoveryParseError) -> None:
        log = self.result.fetches[-1]
        log.outcome, log.reason, log.detail = "rejected", exc.reason, exc.detail


def discover_outlet(
    outlet: Outlet, fetcher: Any, defaults: FetchDefaults, known_article: Callable[[list[str]], set[str]] | None = None,
    now: datetime | None = None,
) -> OutletDiscovery:
    """Every candidate article of every edition of one outlet (not yet decided).

    `known_article(urls)`: those of `urls` the frontier knows as articles (never read as sections).
    A bug of ours on one edition is recorded (internal_error) and the other editions go on."""
    result = OutletDiscovery(outlet)
    for edition, home in outlet.editions.items():
        crawler = _EditionCrawler(outlet, edition, home, fetcher, result, defaults.max_bytes, known_article, now)
        with crawler.guard(home, "edition"):
            crawler.run()
    return result


def dated(result: OutletDiscovery, now: datetime, url: str, published: datetime | None, date_source: str | None
          ) -> tuple[datetime | None, str | None, str | None]:
    """(published, date_source, why suspect): a date outside the sane window is dropped and recorded."""
    suspect = None
    if (why := date_suspect(published, now)) is not None:
        suspect, published, date_source = f"{date_source} date {why}", None, None
    if published is None and (d := url_date(url)) is not None:
        if (why := date_suspect(d, now)) is None:
            published, date_source = d, "url"
        elif suspect is None:
            suspect = f"url date {why}"
    if suspect is not None and len(result.suspect_dates) < UNUSABLE_SAMPLE:
        result.suspect_dates.append((url, suspect))
    return published, date_source, suspect


def unchanged_body(fetcher: Any, res: Any) -> bytes | None:
    """The stored body of a sitemap that answered not_modified: an unchanged index still
    leads to its children, whose own content may have changed (each is asked in turn)."""
    from tasks.store.files import read_raw

    if res is None or res.outcome != "not_modified" or not res.raw_path:
        return None
    try:
        return read_raw(fetcher.output_dir, res.raw_path)
    except (OSError, EOFError, ValueError):
        return None
