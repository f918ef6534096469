"""Discovery of an outlet's articles (tasks/crawl/discover.py, discover_parse.py): URLs and
editions, parsers on hostile input, bounds, redirects, sitemap dates."""

from __future__ import annotations

import gzip
from datetime import datetime, timezone

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
from tasks.crawl.sources import parse_sources

DEFAULTS = FetchDefaults(min_delay_seconds=0.0, per_host_concurrency=4, timeout_seconds=5, max_bytes=2_000_000)


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


def test_editions_on_one_host_by_path_or_port(outlet_yaml):
    cfg = parse_sources(outlet_yaml({"vi": "http://127.0.0.1:8000/vi/", "en": "http://127.0.0.1:8000/en/",
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


def test_hostile_outlet_is_bounded_and_recorded(tmp_path, outlet_yaml):
    from tasks.crawl.fetch import Fetcher

    with FaultServer() as srv:
        _hostile_site(srv)
        cfg = parse_sources(outlet_yaml({"vi": srv.url("/")}), "s.yaml")
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


def test_redirect_off_the_outlet_is_refused(tmp_path, outlet_yaml):
    from tasks.crawl.discover import Decision, source_for
    from tasks.crawl.fetch import Fetcher, request_for
    from tasks.models import Discovery

    with FaultServer() as srv:
        srv.add("/moved-1234567.html", Route(status=302, content_type=None, headers={"Location": "http://127.0.0.2:9/x"}))
        cfg = parse_sources(outlet_yaml({"vi": srv.url("/")}), "s.yaml")
        outlet = cfg.outlets[0]
        disc = Discovery(outlet="site", edition="vi", via="page", hosts=[f"127.0.0.1:{srv.port}"])
        src = source_for(outlet, Decision(srv.url("/moved-1234567.html"), "site-vi-x", "site", "vi", "fetch", None, disc))
        with Fetcher(DEFAULTS, tmp_path) as fetcher:
            res = fetcher.fetch(request_for(src, fetcher.defaults))
    assert res.outcome == "rejected" and res.reason == "off_site_redirect"


def test_undated_entries_of_an_old_sitemap_take_the_index_lastmod(tmp_path, outlet_yaml):
    from tasks.crawl.discover import _EditionCrawler, OutletDiscovery
    from tasks.crawl.fetch import Fetcher

    with FaultServer() as srv:
        srv.robots(f"User-agent: *\nSitemap: {srv.url('/index.xml')}\n")
        srv.add("/index.xml", Route(body=(
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{srv.url('/old.xml')}</loc><lastmod>2020-01-31</lastmod></sitemap></sitemapindex>").encode(),
            content_type="application/xml"))
        srv.add("/old.xml", Route(body=(
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{srv.url('/a/story-123456.html')}</loc></url></urlset>").encode(), content_type="application/xml"))
        cfg = parse_sources(outlet_yaml({"vi": srv.url("/")}), "s.yaml")
        result = OutletDiscovery(cfg.outlets[0])
        with Fetcher(DEFAULTS, tmp_path) as fetcher:
            _EditionCrawler(cfg.outlets[0], "vi", srv.url("/"), fetcher, result, DEFAULTS.max_bytes).run()
    c = next(c for c in result.candidates if c.url.endswith("story-123456.html"))
    assert c.published == datetime(2020, 1, 31, tzinfo=timezone.utc) and c.date_source == "sitemap-index"
