"""Discovery's parsing, bytes in: feeds, sitemaps, pages, URLs and the dates they carry.

Pure functions, no request of their own: feedparser for RSS / Atom (JSON Feed by hand),
ultimate-sitemap-parser's parse-only `sitemap_from_str` for sitemaps, beautifulsoup4
with lxml for pages, courlan for canonical URLs. `tasks/crawl/discover.py` fetches the
bytes (through the project's Fetcher) and decides what to do with what is found here.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from tasks.urls import canonical_url, classify_link  # noqa: F401 - discovery's callers import them from here too

# Bounds: a hostile or huge site costs a bounded amount of work.
MAX_SITEMAPS_PER_EDITION = 50  # sitemap files read per edition per run (indexes included)
MAX_SITEMAP_DEPTH = 3  # index -> index -> sitemap
MAX_ENTRIES_PER_FILE = 50_000  # URLs read from one feed or sitemap (the sitemap protocol's own limit)
MAX_LINKS_PER_PAGE = 5_000  # <a href> read from one home or section page
MAX_FEEDS_PER_EDITION = 10

VIAS = ("feed", "sitemap", "page", "listed")
_NAV_TAGS = frozenset({"nav", "header", "footer", "menu"})
_VIA_RANK = {"feed": 0, "sitemap": 1, "page": 2, "listed": 3}

_FEED_TYPES_ADVERTISED = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/json")
_NAV_PARTS = frozenset(
    "tag tags category categories page search login logout register signup about contact lien-he gioi-thieu "
    "author authors video videos photo photos rss feed feeds sitemap privacy terms help".split()
)
_URL_DATE_RES = (
    re.compile(r"(?<!\d)(20\d{2})[/_-](0?[1-9]|1[0-2])[/_-](0?[1-9]|[12]\d|3[01])(?!\d)"),
    re.compile(r"(?<!\d)(20\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?!\d)"),
)
_ARTICLE_ID_RE = re.compile(r"\d{4,}")
_QUERY_ID_RE = re.compile(r"(?:^|&)[a-z_]*id=\d{2,}|(?:^|&)(?:p|article|story|news)=\d{2,}", re.IGNORECASE)


# --------------------------------------------------------------------------- URLs


def url_date(url: str) -> datetime | None:
    """A publication date written in the URL (/2026/11/30/, -20261130-), or None."""
    path = urlsplit(url).path
    for rx in _URL_DATE_RES:
        m = rx.search(path)
        if m:
            try:
                return datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), tzinfo=timezone.utc)
            except ValueError:
                continue
    return None


def looks_like_article(url: str, home: str) -> bool:
    """An article-looking URL of the edition: not the home page, not a nav/tag/search page."""
    path = urlsplit(url).path
    if path.rstrip("/") == urlsplit(home).path.rstrip("/"):
        return False
    segments = [s for s in path.split("/") if s]
    if not segments or any(s.lower() in _NAV_PARTS for s in segments):
        return False
    last = segments[-1].lower()
    if last.endswith((".xml", ".rss", ".json", ".jpg", ".png", ".gif", ".pdf", ".css", ".js", ".gz", ".zip")):
        return False
    stem = re.sub(r"\.(s?html?|php|aspx?)$", "", last)
    return (
        last.endswith((".html", ".htm", ".shtml"))
        or bool(_QUERY_ID_RE.search(urlsplit(url).query))
        or bool(_ARTICLE_ID_RE.search(stem))
        or stem.count("-") >= 3
        or url_date(url) is not None
    )


def looks_like_section(url: str, home: str) -> bool:
    """A section page of the edition (/the-gioi/, /world): one or two short path segments, no article shape."""
    if looks_like_article(url, home) or urlsplit(url).query:
        return False
    path, hpath = urlsplit(url).path, urlsplit(home).path.rstrip("/")
    if path.rstrip("/") == hpath:
        return False
    if hpath and path.startswith(hpath + "/"):
        path = path[len(hpath):]
    segments = [s for s in path.split("/") if s]
    return 1 <= len(segments) <= 2 and not any(s.lower() in _NAV_PARTS for s in segments)



# --------------------------------------------------------------------------- parsing (bytes in)


class DiscoveryParseError(ValueError):
    """A feed or sitemap we refuse or cannot read; `reason` is a short code."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def _xml_guard(content: bytes) -> None:
    """Refuse XML with a DTD or entity declarations (billion laughs, XXE) before any parser sees it."""
    head = content.lower()
    if b"<!doctype" in head or b"<!entity" in head:
        raise DiscoveryParseError("xml_dtd", "XML with a DTD or entity declarations is refused")


def maybe_gunzip(content: bytes, max_bytes: int) -> bytes:
    """Decompress a gzip body (a .xml.gz sitemap served as-is), never beyond max_bytes."""
    if not content.startswith(b"\x1f\x8b"):
        return content
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(content, max_bytes + 1)
    except zlib.error as exc:
        raise DiscoveryParseError("bad_gzip", str(exc)) from None
    if len(out) > max_bytes or d.unconsumed_tail:
        raise DiscoveryParseError("too_large", f"gzip body exceeds max_bytes {max_bytes} after decompression")
    return out


# The sane window for a publication date: before it, or more than a day ahead of the run,
# a date is recorded as suspect and never trusted for max_age_days.
SANE_EARLIEST = datetime(1990, 1, 1, tzinfo=timezone.utc)
FUTURE_SLACK = timedelta(days=1)
_FAR_FUTURE = datetime.max.replace(tzinfo=timezone.utc)
_FAR_PAST = datetime.min.replace(tzinfo=timezone.utc)


def _as_utc(value: datetime | None) -> datetime | None:
    """UTC; a date its offset pushes out of datetime's range (9999-12-31T23:59:59-12:00,
    0001-01-01T00:00:00+14:00) becomes datetime.max / min, which `date_suspect` flags."""
    if value is None:
        return None
    try:
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return _FAR_FUTURE if value.year > 1 else _FAR_PAST


def date_suspect(when: datetime | None, now: datetime) -> str | None:
    """Why a date is not to be trusted (before 1990, more than a day after `now`), else None."""
    if when is None:
        return None
    if when < SANE_EARLIEST:
        return f"{when.isoformat()} is before {SANE_EARLIEST.date()}"
    if when > now + FUTURE_SLACK:
        return f"{when.isoformat()} is more than a day after the run ({now.date()})"
    return None


# feedparser sets `bozo` for these on well-formed feeds (no Content-Type given, a charset
# declaration overridden): not a broken feed.
_BENIGN_BOZO = ("NonXMLContentType", "CharacterEncodingOverride")


def parse_feed(content: bytes, url: str) -> list[tuple[str, datetime | None]]:
    """(link, published) of a feed's entries (RSS, Atom, JSON Feed), at most MAX_ENTRIES_PER_FILE.

    A broken feed with no usable entry raises `bad_feed`; `read_feed` also says what was wrong
    with a broken feed feedparser recovered entries from."""
    return read_feed(content, url)[0]


def read_feed(content: bytes, url: str) -> tuple[list[tuple[str, datetime | None]], str | None]:
    """(entries with a usable link, the problem of a broken feed they were recovered from, or None)."""
    import json

    stripped = content.lstrip()
    if stripped.startswith(b"{"):
        try:
            data = json.loads(stripped.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise DiscoveryParseError("bad_feed", f"JSON Feed: {exc}") from None
        items = data.get("items") if isinstance(data, dict) else None
        out: list[tuple[str, datetime | None]] = []
        for item in (items if isinstance(items, list) else [])[:MAX_ENTRIES_PER_FILE]:
            if not isinstance(item, dict):
                continue
            link = item.get("url") or item.get("external_url")
            when = item.get("date_published") or item.get("date_modified")
            if isinstance(link, str) and link.strip():
                out.append((link, _parse_iso(when) if isinstance(when, str) else None))
        return out, None
    _xml_guard(content)
    import feedparser

    parsed = feedparser.parse(content, response_headers={"content-location": url})
    out = []
    for entry in parsed.entries[:MAX_ENTRIES_PER_FILE]:
        link = entry.get("link")
        if not link or not isinstance(link, str):
            continue  # a truncated feed's last entry has no link: nothing to fetch
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        out.append((link, _struct_date(stamp) if stamp else None))
    exc = parsed.get("bozo_exception")
    problem = None
    if parsed.get("bozo") and type(exc).__name__ not in _BENIGN_BOZO:
        problem = f"{type(exc).__name__}: {exc}" if exc is not None else "not a well-formed feed"
    if problem and not out:
        raise DiscoveryParseError("bad_feed", problem)
    return out, problem


def _parse_iso(text: str) -> datetime | None:
    """An ISO 8601 date(time) in UTC, or None; never raises (any hostile string)."""
    try:
        return _as_utc(datetime.fromisoformat(text.strip().replace("Z", "+00:00")))
    except (ValueError, OverflowError, TypeError, AttributeError):
        return None


def _struct_date(stamp: object) -> datetime | None:
    """feedparser's time.struct_time as UTC, or None (year 0, out-of-range fields)."""
    try:
        return datetime(*stamp[:6], tzinfo=timezone.utc)  # type: ignore[index,misc]
    except (ValueError, OverflowError, TypeError):
        return None


def _index_lastmods(content: bytes) -> dict[str, datetime]:
    """<loc> -> <lastmod> of a sitemap index (ultimate-sitemap-parser keeps only the locs)."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError:
        return {}
    out: dict[str, datetime] = {}
    if root is None:
        return out
    for el in root.iter("{*}sitemap"):
        loc = el.findtext("{*}loc")
        mod = el.findtext("{*}lastmod")
        when = _parse_iso(mod) if mod else None
        if loc and when:
            out[loc.strip()] = when
        if len(out) >= MAX_ENTRIES_PER_FILE:
            break
    return out


def parse_sitemap(content: bytes, url: str) -> tuple[list[str], list[tuple[str, datetime | None]]]:
    """(child sitemap URLs, (page URL, date)) of a sitemap or sitemap index; news dates win over lastmod."""
    _xml_guard(content)
    import logging

    from usp.objects.sitemap import AbstractIndexSitemap
    from usp.tree import sitemap_from_str

    logging.getLogger("usp").setLevel(logging.ERROR)
    text = content.decode("utf-8", errors="replace")
    if text.lstrip().startswith("<") and "<urlset" not in text and "<sitemapindex" not in text:
        raise DiscoveryParseError("bad_sitemap", "XML that is neither <urlset> nor <sitemapindex>")
    try:
        tree = sitemap_from_str(text)
    except Exception as exc:  # noqa: BLE001 - a broken sitemap is a recorded rejection
        raise DiscoveryParseError("bad_sitemap", f"{type(exc).__name__}: {exc}") from None
    if isinstance(tree, AbstractIndexSitemap):
        return [s.url for s in tree.sub_sitemaps][:MAX_ENTRIES_PER_FILE], []
    pages: list[tuple[str, datetime | None]] = []
    for page in tree.all_pages():
        if len(pages) >= MAX_ENTRIES_PER_FILE:
            break
        news = page.news_story.publish_date if page.news_story is not None else None
        pages.append((page.url, _as_utc(news or page.last_modified)))
    return [], pages


@dataclass
class PageLinks:
    """What a page says about other URLs (read with beautifulsoup4 + lxml)."""

    links: list[str] = field(default_factory=list)  # canonical absolute <a href>, in page order, deduplicated
    nav: set[str] = field(default_factory=set)  # those inside <nav>, <header>, <footer>, <menu> or role=navigation
    feeds: list[str] = field(default_factory=list)  # advertised feeds
    canonical: str | None = None
    alternates: dict[str, str] = field(default_factory=dict)  # hreflang -> canonical URL
    truncated: bool = False
    unusable: list[tuple[str, str]] = field(default_factory=list)  # (href, not_http:<scheme> | invalid_url): never requested


def read_page(content: bytes, base_url: str, max_links: int = MAX_LINKS_PER_PAGE) -> PageLinks:
    """Links, feed adverts, rel=canonical and hreflang alternates of an HTML page."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(content, "lxml")
    base = base_url
    tag = soup.find("base", href=True)
    if tag is not None:
        base = canonical_url(str(tag["href"]), base_url) or base_url  # a hostile <base> is ignored
    out = PageLinks()
    seen: set[str] = set()
    for link in soup.find_all("link", href=True):
        rels = {r.lower() for r in (link.get("rel") or [])}
        href, why = classify_link(str(link["href"]), base)
        if href is None:
            if why is not None and len(out.unusable) < max_links:
                out.unusable.append((str(link["href"])[:300], why))
            continue
        if "canonical" in rels and out.canonical is None:
            out.canonical = href
        if "alternate" in rels:
            lang = str(link.get("hreflang") or "").strip().lower()
            ltype = str(link.get("type") or "").strip().lower()
            if lang and lang != "x-default":
                out.alternates.setdefault(lang, href)
            elif ltype in _FEED_TYPES_ADVERTISED and href not in out.feeds:
                out.feeds.append(href)
    count = 0
    for a in soup.find_all("a", href=True):
        count += 1
        if count > max_links:
            out.truncated = True
            break
        href, why = classify_link(str(a["href"]), base)
        if href is None and why is not None:
            out.unusable.append((str(a["href"])[:300], why))
        if href is not None and href not in seen:
            seen.add(href)
            out.links.append(href)
            if any(p.name in _NAV_TAGS or p.get("role") == "navigation" for p in a.parents if p.name):
                out.nav.add(href)
    return out
