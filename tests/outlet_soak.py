"""A discovered night under random SIGKILLs: a big loopback outlet, kill points by phase, the checks.

Used by bench/soak.py --outlet (the full figures: 3,000+ articles) and tests/soak/
test_outlet_soak.py (a bounded version). The outlet has three editions (vi, en, zh), each
its own loopback server: `n` articles per edition published within the last 40 hours
(one story per index, the three versions linked by hreflang), 5 % old articles (ten days
old, dated in the sitemaps: never to be requested), a robots.txt naming a sitemap index of
sitemaps of at most 500 URLs, a home page linking the newest ones. Articles answer with an
ETag, so a refetch can be conditional.

Kill points (`KILL_POINTS`), watched from outside the run like an operator's `kill -9`:
`discovery` (before the frontier has any decision), `mid-shard` (once a random number of
documents are stored), `pairing` (once the last in-window document is stored, before the
manifest), `export` (once the manifest is written, while the export runs).
"""

from __future__ import annotations

import html
import json
import random
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from faultserver import FaultServer, Route
from news_site import story_text
from soak_support import TreeRSS, kill_group, start_run, stored_versions

LANGS = ("vi", "en", "zh")
SECTION = {"vi": "thoi-su", "en": "world", "zh": "guoji"}
KILL_POINTS = ("discovery", "mid-shard", "pairing", "export")
PER_SITEMAP = 500


@dataclass
class OutletSoakSite:
    servers: dict[str, FaultServer]
    n: int
    urls: dict[str, list[str]] = field(default_factory=dict)  # lang -> in-window article URLs, index = story
    old: list[str] = field(default_factory=list)
    # lang -> (url, lastmod, wave) of every article; a wave is listed from `publish(wave)` on
    entries: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)
    waves: int = 1

    def publish(self, wave: int) -> int:
        """List the articles of waves 0..`wave` in the sitemaps and on the home pages (new
        articles appear between runs, as on successive nights); returns how many stories."""
        for lang, srv in self.servers.items():
            listed = [(u, m) for u, m, w in self.entries[lang] if w <= wave]
            maps = []
            for k in range(0, len(listed), PER_SITEMAP):
                body = "".join(f"<url><loc>{u}</loc><lastmod>{m}</lastmod></url>" for u, m in listed[k : k + PER_SITEMAP])
                path = f"/sitemap-{k // PER_SITEMAP}.xml"
                srv.add(path, Route(body=('<?xml version="1.0" encoding="UTF-8"?><urlset '
                                          f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>').encode(),
                                    content_type="application/xml", etag=f'"{path}-{wave}"'))
                maps.append(srv.url(path))
            index = "".join(f"<sitemap><loc>{u}</loc></sitemap>" for u in maps)
            srv.add("/sitemap_index.xml", Route(body=('<?xml version="1.0" encoding="UTF-8"?><sitemapindex '
                                                      f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{index}</sitemapindex>').encode(),
                                                content_type="application/xml", etag=f'"index-{wave}"'))
            home = "".join(f'<a href="{u}">{i}</a>' for i, (u, _) in enumerate(listed[-20:]))
            srv.page("/", f"<html><body><main>{home}</main></body></html>")
        return sum(1 for i in range(self.n) if self.wave_of(i) <= wave)

    def wave_of(self, story: int) -> int:
        return story * self.waves // self.n

    def close(self) -> None:
        for srv in self.servers.values():
            srv.stop()

    def in_window(self) -> set[str]:
        return {u for lang in LANGS for u in self.urls[lang]}

    def stories(self) -> list[frozenset[str]]:
        return [frozenset(self.urls[lang][i] for lang in LANGS) for i in range(self.n)]

    def sources_yaml(self) -> str:
        editions = "".join(f"      {lang}: {self.servers[lang].url('/')}\n" for lang in LANGS)
        return ("defaults:\n  min_delay_seconds: 0.0\n  per_host_concurrency: 8\n  timeout_seconds: 10\n"
                f"outlets:\n  - id: soak\n    editions:\n{editions}    max_age_days: 2\n"
                f"    max_new_per_run: {self.n * 2}\n    max_section_pages: 0\n")

    def requests(self) -> list[tuple[str, dict[str, str]]]:
        """(url, headers) of every request the outlet got since the last `clear`."""
        return [(srv.url(r.path), r.headers) for srv in self.servers.values() for r in srv.requests]

    def clear(self) -> None:
        for srv in self.servers.values():
            srv.clear_log()


def _article(lang: str, i: int, published: datetime, alternates: dict[str, str]) -> bytes:
    title, paragraphs = story_text(10_000 + i)[lang]
    alts = "".join(f'<link rel="alternate" hreflang="{lg}" href="{u}">' for lg, u in alternates.items())
    paras = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(title)} ({i})</title>'
            f'<meta property="article:published_time" content="{published.isoformat()}">{alts}</head>'
            f"<body><article><h1>{html.escape(title)} ({i})</h1>{paras}</article></body></html>").encode()


def build_outlet(n: int, seed: int = 0, waves: int = 1) -> OutletSoakSite:
    """`n` in-window stories (3n articles) and n // 20 old ones per edition, served on loopback;
    the stories come out in `waves` (see `publish`; wave 0 is listed at once)."""
    rng = random.Random(seed)
    site = OutletSoakSite({lang: FaultServer().start() for lang in LANGS}, n, waves=waves)
    now = datetime.now(timezone.utc)
    paths = {lang: [f"/{SECTION[lang]}/bai-viet-tin-tuc-so-{i}-{lang}.html" for i in range(n)] for lang in LANGS}
    site.urls = {lang: [site.servers[lang].url(p) for p in paths[lang]] for lang in LANGS}
    for lang in LANGS:
        srv = site.servers[lang]
        entries: list[tuple[str, str]] = []
        for i in range(n):
            published = now - timedelta(hours=rng.uniform(1, 40))
            alternates = {lg: site.urls[lg][i] for lg in LANGS}
            srv.add(paths[lang][i], Route(body=_article(lang, i, published, alternates), etag=f'"{lang}-{i}"'))
            entries.append((site.urls[lang][i], published.isoformat()))
        for j in range(max(1, n // 20)):
            path = f"/{SECTION[lang]}/bai-cu-luu-tru-so-{j}-{lang}.html"
            srv.add(path, Route(body=_article(lang, n + j, now - timedelta(days=10), {})))
            site.old.append(srv.url(path))
            entries.append((srv.url(path), (now - timedelta(days=10)).isoformat()))
        rng.shuffle(entries)
        site.entries[lang] = [(u, m, site.wave_of(site.urls[lang].index(u)) if u in site.urls[lang] else 0) for u, m in entries]
        srv.robots(f"User-agent: *\nAllow: /\nSitemap: {srv.url('/sitemap_index.xml')}\n")
    site.publish(0)
    return site


def _frontier_decisions(output: Path) -> int:
    path = output / "frontier.sqlite"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM frontier").fetchone()[0])
    except sqlite3.Error:
        return 0


def committed_urls(output: Path) -> set[str]:
    """URLs whose fetch state was committed (the Fetcher commits right after the document is stored)."""
    path = output / "state.sqlite"
    if not path.exists():
        return set()
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as conn:
        return {r[0] for r in conn.execute("SELECT url FROM fetch_state")}


def kill_at(proc, output: Path, point: str, site: OutletSoakSite, new_docs: int, rng: random.Random,  # type: ignore[no-untyped-def]
            max_wait: float) -> dict:
    """Watch the run and SIGKILL its process group at `point` of this run (`new_docs`: the
    articles this run has to store); returns what was seen."""
    t0 = time.monotonic()
    runs_before = set((output / "runs").glob("*/manifest.json")) if (output / "runs").is_dir() else set()
    docs_before = len({p.parent.parent.name for p in stored_versions(output)})
    target_docs = docs_before + rng.randint(1, max(1, new_docs - 1))
    discovery_requests = rng.randint(2, 8)  # robots.txt, sitemap index, sitemaps...
    seen = {"point": point, "docs": 0, "new_docs": new_docs, "finished_before_kill": 0}
    while time.monotonic() - t0 < max_wait and proc.poll() is None:
        docs = len({p.parent.parent.name for p in stored_versions(output)})
        seen["docs"] = docs - docs_before
        if point == "discovery" and docs == docs_before and len(site.requests()) >= discovery_requests:
            break
        if point == "mid-shard" and docs >= target_docs:
            break
        if point == "pairing" and docs >= docs_before + new_docs:
            break
        if point == "export" and set((output / "runs").glob("*/manifest.json")) - runs_before:
            break
        time.sleep(0.02)
    seen["finished_before_kill"] = int(proc.poll() is not None)
    seen["seconds"] = round(time.monotonic() - t0, 1)
    kill_group(proc)
    return seen


def check_outlet_output(output: Path, site: OutletSoakSite, refetched_unconditionally: list[str]) -> dict[str, int]:
    """The promises of a discovered night after kills and reruns (AssertionError names the first broken one)."""
    stored: dict[str, set[str]] = {}  # url -> source ids
    stories: dict[str, list[tuple[str, frozenset[str]]]] = {}
    latest = {}
    for pointer in (output / "docs").glob("*/latest.json"):
        rel = json.loads(pointer.read_text(encoding="utf-8"))["path"]
        rec = json.loads((output / rel).read_text(encoding="utf-8"))
        latest[pointer.parent.name] = rec
        stored.setdefault(rec["url"], set()).add(pointer.parent.name)
        story = rec.get("story") or {}
        if story.get("id"):
            stories.setdefault(story["id"], []).append((rec["url"], frozenset(v["url"] for v in story.get("versions", []))))
    want = site.in_window()
    missing = want - set(stored)
    assert not missing, f"{len(missing)} in-window articles not stored, e.g. {sorted(missing)[:3]}"
    doubled = {u: s for u, s in stored.items() if len(s) > 1}
    assert not doubled, f"articles stored under several sources: {list(doubled.items())[:3]}"
    old = set(site.old) & set(stored)
    assert not old, f"old articles stored: {sorted(old)[:3]}"
    # the frontier agrees with the stored documents
    with sqlite3.connect(output / "frontier.sqlite") as conn:
        rows = {r[0]: (r[1], r[2], r[3]) for r in conn.execute("SELECT url, status, source_id, document FROM frontier")}
    for url in want:
        status, sid, document = rows.get(url, (None, None, None))
        assert status == "stored", f"{url}: frontier status {status}"
        assert sid in stored[url], f"{url}: frontier source {sid}, stored as {stored[url]}"
        assert document and (output / document).exists(), f"{url}: frontier document {document} missing"
    for url in site.old:
        assert rows.get(url, ("skipped_old",))[0] == "skipped_old", f"{url}: frontier {rows.get(url)}"
    # every story paired once, with its three versions
    truth = set(site.stories())
    found: dict[frozenset[str], set[str]] = {}
    for sid, members in stories.items():
        versions = {v for _, v in members}
        assert len(versions) == 1, f"story {sid}: its documents disagree on the versions"
        (v,) = versions
        found.setdefault(v, set()).add(sid)
    for story in truth:
        assert story in found, f"story lost: {sorted(story)}"
        assert len(found[story]) == 1, f"story doubled: {sorted(story)} as {found[story]}"
    # files: valid JSON, no temp file
    n_json = 0
    for p in output.rglob("*.json"):
        json.loads(p.read_text(encoding="utf-8"))
        n_json += 1
    for p in output.rglob("*.jsonl"):
        for line in p.read_text(encoding="utf-8").splitlines():
            if line.strip():
                json.loads(line)
    temps = [p for p in output.rglob("*") if p.name.endswith(".tmp") or ".tmp." in p.name]
    assert not temps, f"temp files left: {temps[:5]}"
    assert not refetched_unconditionally, f"stored articles requested again without a condition: {refetched_unconditionally[:5]}"
    return {"in_window": len(want), "stored": len(stored), "stories": len(truth), "json_files": n_json,
            "versions": len(stored_versions(output))}


def soak_outlet(n: int, kills: int, seed: int, output: Path, env: dict[str, str], work: Path, *,
                max_wait: float = 1800.0, max_reruns: int = 5) -> dict[str, object]:
    """Serve the outlet, run `newsbridge run` `kills` times, each SIGKILLed at a kill point (every
    point in turn, in a random order), then rerun until a run completes; check everything.
    Returns the figures (raises AssertionError when a promise is broken)."""
    rng = random.Random(seed)
    points = [KILL_POINTS[i % len(KILL_POINTS)] for i in range(kills)]
    rng.shuffle(points)
    # New stories before every killed run (like successive nights), so each run has its own
    # discovery, shard, pairing and export to be killed in; the last wave before the reruns.
    site = build_outlet(n, seed, waves=kills)
    sources = work / "sources.yaml"
    sources.write_text(site.sources_yaml(), encoding="utf-8")
    want = site.in_window()
    refetched: list[str] = []
    seen: list[dict] = []
    peak_kib = 0
    t0 = time.monotonic()
    try:
        def one_run(point: str | None, log: Path, new_docs: int = 0) -> int | None:
            nonlocal peak_kib
            committed = committed_urls(output) & want
            site.clear()
            proc = start_run(sources, output, env, log)
            with TreeRSS(proc.pid) as rss:
                if point is None:
                    code = proc.wait(timeout=max_wait)
                else:
                    seen.append(kill_at(proc, output, point, site, new_docs, rng, max_wait))
                    code = None
            peak_kib = max(peak_kib, rss.peak_kib)
            refetched.extend(u for u, h in site.requests()
                             if u in committed and "if-none-match" not in h and "if-modified-since" not in h)
            requested_old = [u for u, _ in site.requests() if u in set(site.old)]
            assert not requested_old, f"old articles requested: {requested_old[:3]}"
            return code

        for k, point in enumerate(points):
            stored_now = len({p.parent.parent.name for p in stored_versions(output)})
            new_docs = 3 * site.publish(k) - stored_now
            one_run(point, work / f"run{k + 1}.log", new_docs)
        for r in range(max_reruns):
            code = one_run(None, work / f"rerun{r + 1}.log")
            if code == 0:
                break
        else:
            raise AssertionError(f"no rerun completed in {max_reruns}: see {work}")
        wall = time.monotonic() - t0
        counts = check_outlet_output(output, site, refetched)
    finally:
        site.close()
    return {"kills": seen, "reruns": r + 1, "wall_seconds": round(wall, 1), "peak_rss_mib": round(peak_kib / 1024),
            **counts}
