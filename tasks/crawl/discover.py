"""Discovery: each night, find an outlet's new articles in every edition and plan what to fetch.

Per edition: robots.txt `Sitemap:` lines, sitemap indexes / sitemaps / news sitemaps
(gzip too), feeds named in sources.yaml or advertised by the home page, and links on the
home page and its section pages. Every feed, sitemap and page goes through the project's
own Fetcher (robots.txt, per-host politeness, size limits, SSRF rule, conditional GET for
feeds and sitemaps) and is parsed from bytes: feedparser for feeds,
ultimate-sitemap-parser's parse-only `sitemap_from_str` for sitemaps (it never makes a
request of its own), beautifulsoup4 with lxml for pages, courlan for canonical URLs.

Then candidates of all editions are merged by canonical URL (a feed or sitemap date
wins, a date in the URL is evidence too) and decided: seen/stored, too old, off the
outlet's hosts, disallowed by robots.txt, over the per-edition cap, or fetched tonight.
Every decision is returned for the run manifest. Nothing here imports prefect.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

from tasks.crawl.discover_edition import (  # noqa: F401 - names other modules and tests import from here
    UNUSABLE_SAMPLE,
    Candidate,
    FetchLog,
    OutletDiscovery,
    _EditionCrawler,
    aux_source_id,
    discover_outlet,
    edition_for,
    outlet_hosts,
)
from tasks.crawl.discover_parse import (  # noqa: F401 - the parsing names other modules and tests import from here
    MAX_ENTRIES_PER_FILE,
    MAX_FEEDS_PER_EDITION,
    MAX_LINKS_PER_PAGE,
    MAX_SITEMAP_DEPTH,
    MAX_SITEMAPS_PER_EDITION,
    VIAS,
    _VIA_RANK,
    DiscoveryParseError,
    PageLinks,
    _parse_iso,
    canonical_url,
    classify_link,
    date_suspect,
    looks_like_article,
    looks_like_section,
    maybe_gunzip,
    parse_feed,
    parse_sitemap,
    read_feed,
    read_page,
    url_date,
)
from tasks.models import Discovery, DiscoveryDecision, DiscoveryRecord, Document, Outlet, Rejection, Source, SourcesFile
from tasks.urls import host_port_of


def source_id_for(outlet: str, edition: str, url: str) -> str:
    """Stable source id of a discovered article: outlet, edition and a hash of its canonical URL."""
    return f"{outlet}-{edition}-{hashlib.sha1(url.encode('utf-8')).hexdigest()[:10]}"


# --------------------------------------------------------------------------- merge and decide


@dataclass
class Decision:
    """What a run does with one discovered article (every one is recorded)."""

    url: str
    source_id: str
    outlet: str
    edition: str
    outcome: DiscoveryDecision
    reason: str | None
    discovery: Discovery


@dataclass
class Plan:
    sources: list[Source] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    fetches: list[FetchLog] = field(default_factory=list)
    off_site: list[tuple[str, str]] = field(default_factory=list)
    stats: Counter[str] = field(default_factory=Counter)
    unusable: Counter[str] = field(default_factory=Counter)  # non-HTTP / malformed links by reason, never requested
    unusable_sample: list[tuple[str, str, str]] = field(default_factory=list)
    suspect_dates: list[tuple[str, str]] = field(default_factory=list)


def merge_candidates(candidates: Iterable[Candidate]) -> list[Candidate]:
    """One candidate per canonical URL: a feed/sitemap date wins over a URL date; the best `via` is kept."""
    merged: dict[str, Candidate] = {}
    for c in candidates:
        have = merged.get(c.url)
        if have is None:
            merged[c.url] = Candidate(**vars(c))
            continue
        if c.published is not None and (have.published is None or (have.date_source == "url" and c.date_source != "url")):
            have.published, have.date_source = c.published, c.date_source
        have.date_suspect = have.date_suspect or c.date_suspect
        if _VIA_RANK[c.via] < _VIA_RANK[have.via]:
            have.via, have.found_on = c.via, c.found_on
    return list(merged.values())


def decide(
    outlet: Outlet,
    candidates: list[Candidate],
    known: dict[str, dict[str, Any]],
    *,
    now: datetime,
    force: bool = False,
    refresh_days: float | None = None,
    robots: Any = None,
) -> list[Decision]:
    """Decide each merged candidate: skip seen/stored, skip old (before fetching), cap per edition."""
    cutoff = now - timedelta(days=outlet.max_age_days)
    hosts = outlet_hosts(outlet)
    decisions: list[Decision] = []
    wanted: dict[str, list[tuple[Candidate, Discovery, str]]] = {}
    for c in candidates:
        sid = source_id_for(outlet.id, c.edition, c.url)
        disc = Discovery(
            outlet=outlet.id, edition=c.edition, via=c.via, found_on=c.found_on,  # type: ignore[arg-type]
            published=c.published.isoformat() if c.published else None, date_source=c.date_source,
            max_age_days=outlet.max_age_days, hosts=hosts, date_suspect=c.date_suspect,
        )
        row = known.get(c.url)
        if row is not None and not force and row.get("status") in ("stored", "skipped_old", "rejected"):
            stored_at = _parse_iso(row.get("stored_at") or "") if row.get("stored_at") else None
            revisit = refresh_days is not None and stored_at is not None and stored_at < now - timedelta(days=refresh_days)
            if not revisit:
                decisions.append(Decision(c.url, sid, outlet.id, c.edition, "skipped_seen", f"already {row['status']}", disc))
                continue
        if c.published is not None and c.published < cutoff:
            decisions.append(Decision(c.url, sid, outlet.id, c.edition, "skipped_old",
                                      f"published {c.published.date()} ({c.date_source}) before {cutoff.date()}", disc))
            continue
        if robots is not None and robots(c.url) == "disallowed":
            decisions.append(Decision(c.url, sid, outlet.id, c.edition, "robots_disallowed", "robots.txt disallows it; never requested", disc))
            continue
        wanted.setdefault(c.edition, []).append((c, disc, sid))
    for edition, items in wanted.items():
        # Newest first; undated last (they are checked after fetching).
        items.sort(key=lambda t: (t[0].published is None, -(t[0].published.timestamp() if t[0].published else 0), t[0].url))
        for i, (c, disc, sid) in enumerate(items):
            if i >= outlet.max_new_per_run:
                decisions.append(Decision(c.url, sid, outlet.id, edition, "skipped_cap", f"over max_new_per_run {outlet.max_new_per_run}", disc))
            else:
                decisions.append(Decision(c.url, sid, outlet.id, edition, "fetch", None, disc))
    return decisions


def source_for(outlet: Outlet, d: Decision) -> Source:
    return Source(
        id=d.source_id, url=d.url, lang=d.edition,  # type: ignore[arg-type]
        outlet=outlet.id, tags=list(outlet.tags),
        min_delay_seconds=outlet.min_delay_seconds, per_host_concurrency=outlet.per_host_concurrency,
        discovery=d.discovery,
    )


def listed_discovery(cfg: SourcesFile, source: Source) -> Source:
    """A hand-written source on an outlet's edition host gets `discovery.via = listed` (it can be paired)."""
    if source.discovery is not None:
        return source
    for outlet in cfg.outlets:
        edition = edition_for(source.url, outlet)
        if edition is not None or source.outlet == outlet.id:
            edition = edition or (source.lang if source.lang != "auto" else "und")
            disc = Discovery(outlet=outlet.id, edition=edition, via="listed", max_age_days=outlet.max_age_days,
                             hosts=outlet_hosts(outlet))
            return source.model_copy(update={"discovery": disc})
    return source


def plan_run(
    cfg: SourcesFile,
    outlets: list[Outlet],
    fetcher: Any,
    frontier: Any,
    *,
    run_id: str,
    force: bool = False,
    refresh_days: float | None = None,
    now: datetime | None = None,
) -> Plan:
    """Discover every outlet, merge, decide, remember in the frontier; the sources to fetch tonight."""
    now = now or datetime.now(timezone.utc)
    plan = Plan()
    for outlet in outlets:
        try:
            _plan_outlet(plan, outlet, cfg, fetcher, frontier, run_id=run_id, force=force, refresh_days=refresh_days, now=now)
        except Exception as exc:  # noqa: BLE001 - one outlet's failure never takes another's night down
            home = next(iter(outlet.editions.values()), "")
            plan.fetches.append(FetchLog(home, "outlet", next(iter(outlet.editions), ""), "rejected", "internal_error",
                                         f"{type(exc).__name__}: {str(exc)[:300]}", outlet=outlet.id))
    return plan


def _plan_outlet(plan: Plan, outlet: Outlet, cfg: SourcesFile, fetcher: Any, frontier: Any, *, run_id: str,
                 force: bool, refresh_days: float | None, now: datetime) -> None:
    found = discover_outlet(outlet, fetcher, cfg.defaults, lambda urls: set(frontier.get_many(urls)), now)
    plan.fetches += found.fetches
    plan.off_site += found.off_site
    plan.unusable.update(found.unusable)
    plan.unusable_sample += found.unusable_sample
    plan.suspect_dates += found.suspect_dates
    # Articles found on earlier nights and not fetched yet (capped) are candidates again.
    pending = [
        Candidate(r["url"], outlet.id, r["edition"], r["via"], r["found_on"], _parse_iso(r["published"] or ""), r["date_source"])
        for r in frontier.pending(outlet.id)
    ]
    merged = merge_candidates(found.candidates + pending)
    known = frontier.get_many([c.url for c in merged])
    decisions = decide(outlet, merged, known, now=now, force=force, refresh_days=refresh_days,
                       robots=fetcher.robots_decision)
    frontier.record(decisions, run_id)
    for res in found.to_commit:  # only now: what the feeds and sitemaps listed is in the frontier
        fetcher.commit(res)
    plan.decisions += decisions
    plan.sources += [source_for(outlet, d) for d in decisions if d.outcome == "fetch"]
    plan.stats["discovered"] += len(merged)
    plan.stats["date_suspect"] += sum(1 for c in merged if c.date_suspect)
    for d in decisions:
        if d.outcome != "fetch":
            plan.stats[d.outcome] += 1


OFF_SITE_SAMPLE = 20  # off-site URLs listed by name in the manifest (all are counted)


def discovery_rejections(plan: Plan) -> list[Rejection]:
    """Every feed / sitemap / page problem of discovery as a rejection (stage `discover`) for rejected.jsonl."""
    return [
        Rejection(source_id=aux_source_id(f.outlet, f.edition, f.kind, f.url), stage="discover",
                  reason=f.reason or f.outcome, detail=f.detail, url=f.url)
        for f in plan.fetches if f.problem
    ]


def discovery_report(plan: Plan, sample: int = OFF_SITE_SAMPLE) -> dict[str, Any]:
    """The manifest's `discovery` section: requests by kind and outcome, every problem, off-site links (bounded)."""
    requests: Counter[str] = Counter(f"{f.kind} {f.outcome}" for f in plan.fetches)
    problems = [
        {"outlet": f.outlet, "edition": f.edition, "kind": f.kind, "url": f.url, "outcome": f.outcome,
         "reason": f.reason or f.outcome, "detail": f.detail, "entries": f.entries}
        for f in plan.fetches if f.problem
    ]
    first: dict[str, str] = {}
    for url, found_on in plan.off_site:
        first.setdefault(url, found_on)
    hosts = Counter(host_port_of(u) for u in first)
    return {
        "requests": dict(sorted(requests.items())),
        "rejected": problems,
        "rejected_reasons": dict(sorted(Counter(p["reason"] for p in problems).items())),
        "off_site": {
            "links": len(plan.off_site),
            "urls": len(first),
            "hosts": dict(hosts.most_common(sample)),
            "sample": [{"url": u, "found_on": f} for u, f in list(first.items())[:sample]],
            # links that are no http(s) URL (ftp:, mailto:, javascript:, data:) or are malformed: never requested
            "unusable": {
                "links": sum(plan.unusable.values()),
                "reasons": dict(sorted(plan.unusable.items())),
                "sample": [{"url": u, "found_on": f, "reason": r} for u, f, r in plan.unusable_sample[:sample]],
            },
        },
        # dates before 1990 or more than a day ahead: not trusted for max_age_days (the page date is checked instead)
        "suspect_dates": {
            "articles": plan.stats["date_suspect"],
            "sample": [{"url": u, "why": w} for u, w in plan.suspect_dates[:sample]],
        },
    }


def too_old(source: Source, doc: Document, now: datetime | None = None) -> Rejection | None:
    """After fetching an undated discovered article: its page date before the window -> skipped_old."""
    disc = source.discovery
    if disc is None or disc.via == "listed" or disc.published is not None or not doc.date:
        return None
    when = _parse_iso(doc.date)
    now = now or datetime.now(timezone.utc)
    if when is None or date_suspect(when, now) is not None:
        return None  # a page date outside the sane window is no evidence of age (recorded by discovery_record)
    cutoff = now - timedelta(days=disc.max_age_days)
    # A page date is a day: compare days so an article of the window's first day is kept.
    if when.date() < cutoff.date():
        return Rejection(source_id=source.id, stage="discover", reason="skipped_old",
                         detail=f"page date {when.date()} before {cutoff.date()}", url=source.url)
    return None


def discovery_record(source: Source, doc: Document) -> DiscoveryRecord:
    """The stored document's `discovery` block: {outlet, edition, via, found_on, published, date_source}."""
    disc = source.discovery
    assert disc is not None
    published, date_source, suspect = disc.published, disc.date_source, disc.date_suspect
    if published is None and doc.date:
        why = date_suspect(_parse_iso(doc.date), datetime.now(timezone.utc))
        if why is None:
            published, date_source = doc.date, "page"
        else:
            suspect = suspect or f"page date {why}"
    return DiscoveryRecord(
        outlet=disc.outlet, edition=disc.edition, via=disc.via, found_on=disc.found_on,
        published=published, date_source=date_source, date_suspect=suspect,
    )
