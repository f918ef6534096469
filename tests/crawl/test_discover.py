"""Discovery, frontier and pairing pieces: config, parsers on hostile input, bounds, the
frontier on SQLite, pairing evidence, and `newsbridge discover` (fast start, dry run)."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from faultserver import FaultServer, Route  # tests/ is on sys.path (rootdir-less import)

from tasks.crawl.discover import (
    DiscoveryParseError,
    canonical_url,
    discover_outlet,
    edition_for,
    looks_like_article,
    maybe_gunzip,
    merge_candidates,
    Candidate,
    parse_feed,
    parse_sitemap,
    source_id_for,
    url_date,
)
from tasks.models import FetchDefaults
from tasks.crawl.sources import ConfigError, parse_sources

ROOT = Path(__file__).resolve().parents[2]
DEFAULTS = FetchDefaults(min_delay_seconds=0.0, per_host_concurrency=4, timeout_seconds=5, max_bytes=2_000_000)


def _outlet_cfg(editions: dict[str, str], **extra: object) -> str:
    lines = ["outlets:", "  - id: site", "    editions:"] + [f"      {k}: {v}" for k, v in editions.items()]
    lines += [f"    {k}: {json.dumps(v)}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- config


def test_shipped_sources_file_has_the_seed_outlets():
    from tasks.crawl.sources import load_sources

    cfg = load_sources(ROOT / "sources.yaml")
    ids = {o.id for o in cfg.outlets}
    assert {"mic-gov-vn", "baovanhoa-vn"} <= ids
    mic = next(o for o in cfg.outlets if o.id == "mic-gov-vn")
    assert set(mic.editions) == {"vi", "en"}
    assert len(cfg.sources) == 2  # the two cited URLs stay


@pytest.mark.parametrize(
    "text, expected",
    [
        ("outlets:\n  - id: ok\n    editions:\n      vi: ftp://x.org/\n", "s.yaml:4: outlets[0].editions.vi (outlet 'ok')"),
        ("outlets:\n  - id: ok\n    editions:\n      fr: https://x.org/\n", "s.yaml:4: outlets[0].editions.fr"),
        ("outlets:\n  - id: ok\n    editions: {}\n", "s.yaml:3: outlets[0].editions (outlet 'ok')"),
        ("outlets:\n  - id: ok\n    editions:\n      vi: https://x.org/\n    follow: '('\n", "s.yaml:5: outlets[0].follow"),
        ("outlets:\n  - id: ok\n    editions:\n      vi: https://x.org/\n    max_age_days: -1\n", "s.yaml:5: outlets[0].max_age_days"),
        ("outlets:\n  - id: Bad\n    editions:\n      vi: https://x.org/\n", "s.yaml:2: outlets[0].id"),
        ("outlets:\n  - id: a\n    editions:\n      vi: https://x.org/\n  - id: a\n    editions:\n      en: https://y.org/\n",
         "s.yaml:5: outlets[1].id: duplicate id 'a'"),
    ],
)
def test_outlet_validation_names_file_line_and_field(text, expected):
    with pytest.raises(ConfigError) as exc:
        parse_sources(text, "s.yaml")
    assert any(p.startswith(expected) for p in exc.value.problems), exc.value.problems


def test_run_with_bad_outlet_exits_2_naming_the_line(tmp_path):
    bad = tmp_path / "s.yaml"
    bad.write_text("outlets:\n  - id: ok\n    editions:\n      vi: gopher://x.org/\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "flows.cli", "discover", "--sources", str(bad)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2
    assert f"{bad}:4: outlets[0].editions.vi (outlet 'ok')" in proc.stderr


# --------------------------------------------------------------------------- URLs


def test_canonical_urls_drop_tracking_and_fragments():
    assert canonical_url("HTTP://News.Example.VN/a/b-1.html?utm_source=x&id=3#top") == "http://news.example.vn/a/b-1.html?id=3"
    assert canonical_url("/x/y-2.html?fbclid=abc", "https://e.org/sec/") == "https://e.org/x/y-2.html"
    assert canonical_url("javascript:void(0)") is None and canonical_url("mailto:a@b") is None
    assert url_date("https://e.org/2026/11/30/story") == datetime(2026, 11, 30, tzinfo=timezone.utc)
    assert url_date("https://e.org/news-20261129-story.html").day == 29
    assert url_date("https://e.org/news/197250220160710784.htm") is None
    assert looks_like_article("https://e.org/the-gioi/mot-bai-bao-dai-123456.html", "https://e.org/")
    assert not looks_like_article("https://e.org/tag/abc-def-ghi-jkl", "https://e.org/")
    assert source_id_for("site", "vi", "https://e.org/a") == source_id_for("site", "vi", "https://e.org/a")


def test_editions_on_one_host_by_path_or_port():
    cfg = parse_sources(_outlet_cfg({"vi": "http://127.0.0.1:8000/vi/", "en": "http://127.0.0.1:8000/en/",
                                     "zh": "http://127.0.0.1:8001/"}), "s.yaml")
    o = cfg.outlets[0]
    assert edition_for("http://127.0.0.1:8000/en/world/x-1.html", o) == "en"
    assert edition_for("http://127.0.0.1:8000/vi/x-1.html", o) == "vi"
    assert edition_for("http://127.0.0.1:8001/a/b.html", o) == "zh"
    assert edition_for("http://127.0.0.1:8002/a/b.html", o) is None


def test_merge_prefers_feed_or_sitemap_dates_over_url_dates():
    t = datetime(2026, 11, 30, 8, tzinfo=timezone.utc)
    merged = merge_candidates([
        Candidate("u", "o", "vi", "page", "home", datetime(2026, 1, 1, tzinfo=timezone.utc), "url"),
        Candidate("u", "o", "vi", "sitemap", "sm", t, "sitemap"),
    ])
    assert len(merged) == 1 and merged[0].published == t and merged[0].via == "sitemap"


# --------------------------------------------------------------------------- hostile parsers


BILLION_LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<rss version="2.0"><channel><item><link>http://e.org/a-1.html</link><title>&lol2;</title></item></channel></rss>"""
XXE = b"""<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&x;</loc></url></urlset>"""


def test_entities_and_dtds_are_refused_before_parsing():
    with pytest.raises(DiscoveryParseError) as exc:
        parse_feed(BILLION_LAUGHS, "http://e.org/rss")
    assert exc.value.reason == "xml_dtd"
    with pytest.raises(DiscoveryParseError) as exc:
        parse_sitemap(XXE, "http://e.org/sitemap.xml")
    assert exc.value.reason == "xml_dtd"


def test_gzip_sitemaps_are_read_and_bombs_are_bounded():
    body = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>http://e.org/a-12345.html</loc></url></urlset>'
    assert parse_sitemap(maybe_gunzip(gzip.compress(body), 10_000), "x")[1][0][0] == "http://e.org/a-12345.html"
    with pytest.raises(DiscoveryParseError) as exc:
        maybe_gunzip(gzip.compress(b"<" + b"a" * 5_000_000), 100_000)
    assert exc.value.reason == "too_large"
    with pytest.raises(DiscoveryParseError):
        maybe_gunzip(b"\x1f\x8b\x08garbage", 100)


def test_broken_feed_is_a_reason_not_a_crash():
    with pytest.raises(DiscoveryParseError) as exc:
        parse_feed(b"this is not a feed at all", "http://e.org/rss")
    assert exc.value.reason == "bad_feed"
    assert parse_feed(b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"url": "http://e.org/a-1.html", '
                      b'"date_published": "2026-11-30T01:00:00Z"}]}', "http://e.org/feed.json")[0][0] == "http://e.org/a-1.html"


def _hostile_site(srv: FaultServer) -> None:
    # A circular sitemap index, a sitemap that is a gzip bomb, a billion-laughs feed, a
    # home page with 20,000 links, a redirect off the outlet, an off-site sitemap.
    srv.robots(f"User-agent: *\nSitemap: {srv.url('/idx-a.xml')}\nSitemap: {srv.url('/bomb.xml.gz')}\n"
               "Sitemap: http://elsewhere.invalid/sitemap.xml\n")
    idx = '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>{}</loc></sitemap></sitemapindex>'
    srv.add("/idx-a.xml", Route(body=idx.format(srv.url("/idx-b.xml")).encode(), content_type="application/xml"))
    srv.add("/idx-b.xml", Route(body=idx.format(srv.url("/idx-a.xml")).encode(), content_type="application/xml"))
    srv.add("/bomb.xml.gz", Route(body=gzip.compress(b"<urlset>" + b" " * 9_000_000), content_type="application/gzip"))
    srv.add("/feed.xml", Route(body=BILLION_LAUGHS, content_type="application/rss+xml"))
    srv.add("/moved-1234567.html", Route(status=302, content_type=None, headers={"Location": "http://127.0.0.2:9/x"}))
    links = "".join(f'<a href="/s/p-{i:06d}.html">{i}</a>' for i in range(20_000))
    srv.page("/", f'<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml"></head><body>'
                  f'<a href="/moved-1234567.html">m</a>{links}</body></html>')


def test_hostile_outlet_is_bounded_and_recorded(tmp_path):
    from tasks.crawl.fetch import Fetcher, request_for

    with FaultServer() as srv:
        _hostile_site(srv)
        cfg = parse_sources(_outlet_cfg({"vi": srv.url("/")}), "s.yaml")
        with Fetcher(DEFAULTS, tmp_path) as fetcher:
            found = discover_outlet(cfg.outlets[0], fetcher, DEFAULTS)
        asked = [r.path for r in srv.requests]
    by_url = {f.url: f for f in found.fetches}
    assert by_url[srv.url("/feed.xml")].reason == "xml_dtd"
    assert by_url[srv.url("/bomb.xml.gz")].reason in ("too_large", "bad_sitemap")
    assert asked.count("/idx-a.xml") == 1 and asked.count("/idx-b.xml") == 1  # the circle is read once
    assert by_url["http://elsewhere.invalid/sitemap.xml"].reason == "off_site"
    assert len(found.candidates) <= 5_000  # links read per page are bounded
    assert not any(h.startswith("127.0.0.2") for h in asked)


def test_redirect_off_the_outlet_is_refused(tmp_path):
    from tasks.crawl.discover import Decision, source_for
    from tasks.crawl.fetch import Fetcher, request_for
    from tasks.models import Discovery

    with FaultServer() as srv:
        srv.add("/moved-1234567.html", Route(status=302, content_type=None, headers={"Location": "http://127.0.0.2:9/x"}))
        cfg = parse_sources(_outlet_cfg({"vi": srv.url("/")}), "s.yaml")
        outlet = cfg.outlets[0]
        disc = Discovery(outlet="site", edition="vi", via="page", hosts=[f"127.0.0.1:{srv.port}"])
        src = source_for(outlet, Decision(srv.url("/moved-1234567.html"), "site-vi-x", "site", "vi", "fetch", None, disc))
        with Fetcher(DEFAULTS, tmp_path) as fetcher:
            res = fetcher.fetch(request_for(src, fetcher.defaults))
    assert res.outcome == "rejected" and res.reason == "off_site_redirect"


# --------------------------------------------------------------------------- frontier


def test_frontier_remembers_and_never_replans_stored(tmp_path):
    from tasks.crawl.discover import decide
    from tasks.crawl.frontier import open_frontier

    cfg = parse_sources(_outlet_cfg({"vi": "https://e.org/"}, max_new_per_run=1), "s.yaml")
    outlet = cfg.outlets[0]
    now = datetime(2026, 11, 30, 12, tzinfo=timezone.utc)
    cands = [Candidate(f"https://e.org/a-{i}0000.html", "site", "vi", "feed", "https://e.org/rss", now - timedelta(hours=i), "feed")
             for i in range(3)]
    cands.append(Candidate("https://e.org/old-10000.html", "site", "vi", "feed", "f", now - timedelta(days=9), "feed"))
    fr = open_frontier(tmp_path)
    d1 = decide(outlet, cands, fr.get_many([c.url for c in cands]), now=now)
    assert [d.outcome for d in d1].count("fetch") == 1 and [d.outcome for d in d1].count("skipped_cap") == 2
    assert [d.outcome for d in d1].count("skipped_old") == 1
    fr.record(d1, "r1")
    fetched = next(d for d in d1 if d.outcome == "fetch")
    fr.mark_stored(fetched.source_id, "docs/x/y/z.json", "r1")
    assert [r["url"] for r in fr.pending("site")] and fetched.url not in {r["url"] for r in fr.pending("site")}
    d2 = decide(outlet, cands, fr.get_many([c.url for c in cands]), now=now)
    again = {d.url: d.outcome for d in d2}
    assert again[fetched.url] == "skipped_seen"
    assert list(again.values()).count("fetch") == 1  # the next capped one, tonight
    assert decide(outlet, cands, fr.get_many([c.url for c in cands]), now=now, force=True)[0].outcome != "skipped_seen"
    fr.mark_rejected("unknown-id", "http_404", "r1")  # unknown ids are no-ops
    assert fr.count("stored") == 1


# --------------------------------------------------------------------------- pairing


def _doc(key, lang, url, text, **kw):
    from tasks.align.pairing import DocInfo, content_features

    d = DocInfo(key=key, outlet="o", lang=lang, url=url, urls={url}, text=text, **kw)
    d.features = content_features(text, lang)
    return d


def test_pairing_methods_in_order_and_one_to_one():
    from tasks.align.pairing import candidate_pairs, group_stories

    en = "Maria Schmidt of UNESCO said 4,500 visitors came to Hanoi in 2024, up 17 percent."
    vi = "Bà Maria Schmidt của UNESCO cho biết 4.500 du khách đã đến Hà Nội năm 2024, tăng 17 phần trăm."
    zh = "UNESCO的Maria Schmidt表示，2024年有4500名游客到访河内，增长17%。"
    other_en = "John Carter of ASEAN said 93 projects would start in Kunming before March 8."
    docs = [
        _doc("vi1", "vi", "http://v/a-1", vi, alternates={"en": "http://e/b-2"}),
        _doc("en1", "en", "http://e/b-2", en, alternates={"vi": "http://v/a-1"}),
        _doc("zh1", "zh", "http://z/c-3", zh),
        _doc("en2", "en", "http://e/d-4", other_en, links=["http://z/c-3"], switch_links={"http://z/c-3"}),
    ]
    pairs = candidate_pairs(docs)
    methods = {frozenset((p.a, p.b)): p.method for p in pairs}
    assert methods[frozenset(("vi1", "en1"))] == "hreflang"
    assert methods[frozenset(("en2", "zh1"))] == "link"
    stories = group_stories(docs, pairs)
    # zh1 is linked from en2, so it cannot also join the vi1/en1 story (one version per language).
    members = sorted(sorted(s.members.values()) for s in stories)
    assert members == [["en1", "vi1"], ["en2", "zh1"]]


def test_content_pairing_needs_no_mt_and_refuses_a_lone_distractor():
    from tasks.align.pairing import candidate_pairs

    en = ("Maria Schmidt, director of UNESCO, said Hanoi received 48,213 visitors in 2019. "
          "Officials plan to invest 3,400,000 dollars in education over the next 7 years.")
    vi = ("Bà Maria Schmidt, giám đốc UNESCO, cho biết Hà Nội đã đón 48.213 lượt khách trong năm 2019. "
          "Các quan chức dự kiến đầu tư 3.400.000 đô la vào giáo dục trong 7 năm tới.")
    lone = ("Ahmed Karim of the WTO said 61 partners signed an agreement in Kunming, "
            "while experts warned about costs of 820,000 dollars.")
    docs = [_doc("vi", "vi", "http://v/1", vi), _doc("en", "en", "http://e/1", en), _doc("en-lone", "en", "http://e/2", lone)]
    pairs = candidate_pairs(docs)
    assert [(p.a, p.b, p.method) for p in pairs] == [("en", "vi", "content")]
    assert 0 < pairs[0].score <= 1


def test_a_page_naming_its_absent_counterpart_is_not_content_paired_with_another():
    """vi names en URL X (never stored) by hreflang or a switch link: no content pair with en Y, no story through zh."""
    from tasks.align.pairing import candidate_pairs, pair_documents

    en = ("Maria Schmidt, director of UNESCO, said Hanoi received 48,213 visitors in 2019. "
          "Officials plan to invest 3,400,000 dollars in education over the next 7 years.")
    vi = ("Bà Maria Schmidt, giám đốc UNESCO, cho biết Hà Nội đã đón 48.213 lượt khách trong năm 2019. "
          "Các quan chức dự kiến đầu tư 3.400.000 đô la vào giáo dục trong 7 năm tới.")
    zh = "UNESCO主任Maria Schmidt表示，河内2019年接待了48213名游客。官员计划在未来7年向教育投资3400000美元。"

    def docs(**vi_kw):
        return [_doc("vi", "vi", "http://s/vi/tin/1", vi, **vi_kw), _doc("en", "en", "http://s/en/news/7", en),
                _doc("zh", "zh", "http://s/zh/xinwen/9", zh)]

    def pairs(ds):
        return {frozenset((p.a, p.b)): p.method for p in candidate_pairs(ds)}

    # Control: nothing named, the content pair forms and the three versions make one story.
    assert pairs(docs())[frozenset(("en", "vi"))] == "content"
    assert [sorted(s.members) for s in pair_documents(docs())] == [["en", "vi", "zh"]]
    for kw in ({"alternates": {"en": "http://s/en/news/8"}},  # hreflang to an en page that was never stored
               {"links": ["http://s/en/news/8"], "switch_links": {"http://s/en/news/8"}}):  # "English" switch link
        ds = docs(**kw)
        assert frozenset(("en", "vi")) not in pairs(ds)
        stories = pair_documents(ds)
        # vi may still pair with zh, but never joins en Y's story (not through zh's content pair either).
        assert not any({"vi", "en"} <= set(s.members) for s in stories), [s.members for s in stories]
    # A named URL that is the stored doc still pairs, by hreflang; compared canonicalised (fragment dropped).
    assert pairs(docs(alternates={"en": "http://s/en/news/7"}))[frozenset(("en", "vi"))] == "hreflang"
    assert pairs(docs(links=["http://s/en/news/7#top"], switch_links={"http://s/en/news/7#top"}))[frozenset(("en", "vi"))] == "content"


# --------------------------------------------------------------------------- the command


def test_discover_command_is_fast_and_a_dry_run(tmp_path):
    from news_site import NewsSite

    site = NewsSite()
    site.build()
    site.night(1)
    try:
        sources = tmp_path / "s.yaml"
        sources.write_text(site.sources_yaml(), encoding="utf-8")
        code = (
            "import sys, runpy; sys.argv = ['newsbridge', 'discover', '--sources', sys.argv[1], '--output', sys.argv[2], '--json'];\n"
            "try:\n    runpy.run_module('flows.cli.main', run_name='__main__')\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('prefect', 'argostranslate', 'torch', 'ctranslate2'))\n"
            "print('HEAVY', bad, file=sys.stderr)\n"
        )
        proc = subprocess.run([sys.executable, "-c", code, str(sources), str(tmp_path / "out")],
                              capture_output=True, text=True, cwd=ROOT, timeout=300)
        asked = sorted(site.requested_urls())
    finally:
        site.close()
    assert proc.returncode == 0, proc.stderr
    assert "HEAVY []" in proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    rows = [r for r in lines if r["record"] == "article"]
    off_site = [r for r in lines if r["record"] == "off_site"]
    assert len(off_site) == 1 and "elsewhere.invalid" in off_site[0]["hosts"]  # the nav's ad link: named, not followed
    assert not [r for r in lines if r["record"] == "rejected"], [r for r in lines if r["record"] == "rejected"]
    assert {r["edition"] for r in rows} == {"vi", "zh", "en"}
    assert {r["via"] for r in rows} >= {"feed", "sitemap"}
    assert all(r["decision"] == "fetch" for r in rows)
    # No article page was requested (feeds, sitemaps, home and section pages only), nothing written.
    assert not any(p.endswith(".html") for p in asked), [p for p in asked if p.endswith(".html")]
    assert not any("/search" in p or "/tag/" in p for p in asked)  # navigation pages are not sections
    assert not (tmp_path / "out").exists()


def test_frontier_on_postgresql(pg_dsn):
    """The same frontier rules on a real PostgreSQL (the TM tests' throwaway cluster)."""
    import psycopg

    from tasks.crawl.discover import decide
    from tasks.crawl.frontier import open_frontier

    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS frontier")
    cfg = parse_sources(_outlet_cfg({"vi": "https://e.org/", "en": "https://en.e.org/"}), "s.yaml")
    now = datetime(2026, 11, 30, 12, tzinfo=timezone.utc)
    cands = [Candidate(f"https://e.org/a-{i}0000.html", "site", "vi", "sitemap", "https://e.org/s.xml", now, "sitemap")
             for i in range(600)]  # more than one IN (...) chunk
    fr = open_frontier("/nonexistent", pg_dsn)
    d1 = decide(cfg.outlets[0], cands, fr.get_many([c.url for c in cands]), now=now)
    fr.record(d1, "r1")
    fr.mark_stored(d1[0].source_id, "docs/a/b/c.json", "r1")
    fr.mark_rejected(d1[1].source_id, "http_404", "r1")
    fr.record(d1, "r2")  # seen again: final statuses stay
    assert fr.count() == 600 and fr.count("stored") == 1 and fr.count("rejected") == 1
    assert len(fr.get_many([c.url for c in cands])) == 600
    assert fr.by_source(d1[0].source_id)["document"] == "docs/a/b/c.json"
    assert len(fr.pending("site")) == 598
    again = decide(cfg.outlets[0], cands, fr.get_many([c.url for c in cands]), now=now)
    assert [d.outcome for d in again[:2]] == ["skipped_seen", "skipped_seen"]


def test_undated_entries_of_an_old_sitemap_take_the_index_lastmod(tmp_path):
    from tasks.crawl.discover import _EditionCrawler, OutletDiscovery
    from tasks.crawl.fetch import Fetcher, request_for

    with FaultServer() as srv:
        srv.robots(f"User-agent: *\nSitemap: {srv.url('/index.xml')}\n")
        srv.add("/index.xml", Route(body=(
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{srv.url('/old.xml')}</loc><lastmod>2020-01-31</lastmod></sitemap></sitemapindex>").encode(),
            content_type="application/xml"))
        srv.add("/old.xml", Route(body=(
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{srv.url('/a/story-123456.html')}</loc></url></urlset>").encode(), content_type="application/xml"))
        cfg = parse_sources(_outlet_cfg({"vi": srv.url("/")}), "s.yaml")
        result = OutletDiscovery(cfg.outlets[0])
        with Fetcher(DEFAULTS, tmp_path) as fetcher:
            _EditionCrawler(cfg.outlets[0], "vi", srv.url("/"), fetcher, result, DEFAULTS.max_bytes).run()
    c = next(c for c in result.candidates if c.url.endswith("story-123456.html"))
    assert c.published == datetime(2020, 1, 31, tzinfo=timezone.utc) and c.date_source == "sitemap-index"
