"""What discovery records about feeds, sitemaps and pages (issue 14, tester's findings 2-5).

Broken feeds recovered by feedparser keep their usable entries and a reason; every
feed / sitemap / page problem becomes a `discover` rejection and part of the manifest's
`discovery` section; off-site links are counted with a bounded sample; editions under
path prefixes of one host read each shared feed and sitemap once per run. All on a
loopback server through the project's Fetcher.
"""

from __future__ import annotations

import gzip
import json

import pytest
from faultserver import FaultServer, Route  # tests/ is on sys.path (rootdir-less import)

from tasks.crawl.discover import (
    DiscoveryParseError,
    Plan,
    discover_outlet,
    discovery_rejections,
    discovery_report,
    parse_feed,
    read_feed,
)
from tasks.models import FetchDefaults
from tasks.crawl.sources import parse_sources

DEFAULTS = FetchDefaults(min_delay_seconds=0.0, per_host_concurrency=4, timeout_seconds=5, max_bytes=2_000_000)

TRUNCATED_ONE_LINK = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>'
                      b"<item><title>a</title><link>http://e.org/tin/a-123456.html</link></item>"
                      b"<item><title>b</title><link>http://e.org/tin/b-2")
TRUNCATED_NO_LINK = b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>a</tit'
GOOD_RSS = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>'
            b"<item><title>a</title><link>http://e.org/tin/a-123456.html</link></item></channel></rss>")
BILLION_LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>
<rss><channel><item><link>&lol2;</link></item></channel></rss>"""


def _cfg(editions: dict[str, str], **extra: object) -> str:
    lines = ["outlets:", "  - id: site", "    editions:"] + [f"      {k}: {v}" for k, v in editions.items()]
    lines += [f"    {k}: {json.dumps(v)}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def _urlset(*urls: str) -> bytes:
    locs = "".join(f"<url><loc>{u}</loc><lastmod>2026-11-30</lastmod></url>" for u in urls)
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'.encode()


# --------------------------------------------------------------------------- finding 3: broken feeds


def test_truncated_feed_keeps_linked_entries_and_says_why():
    entries, problem = read_feed(TRUNCATED_ONE_LINK, "http://e.org/rss")
    assert [link for link, _ in entries] == ["http://e.org/tin/a-123456.html"]  # the cut entry is dropped
    assert problem and "SAXParseException" in problem


def test_truncated_feed_with_no_usable_entry_is_rejected():
    # feedparser returns bozo=1 and one entry without a link: that is not an accepted feed.
    with pytest.raises(DiscoveryParseError) as exc:
        parse_feed(TRUNCATED_NO_LINK, "http://e.org/rss")
    assert exc.value.reason == "bad_feed" and "unclosed token" in exc.value.detail


def test_well_formed_feed_without_content_type_is_no_problem():
    # feedparser flags bozo (NonXMLContentType) on bytes given without a Content-Type.
    entries, problem = read_feed(GOOD_RSS, "http://e.org/rss")
    assert len(entries) == 1 and problem is None


# --------------------------------------------------------------------------- findings 2 and 4: what is recorded


def test_every_feed_sitemap_and_page_problem_is_a_recorded_rejection(tmp_path):
    from tasks.crawl.fetch import Fetcher

    with FaultServer() as srv:
        srv.robots(f"User-agent: *\nSitemap: {srv.url('/idx-a.xml')}\nSitemap: {srv.url('/bomb.xml.gz')}\n"
                   f"Sitemap: {srv.url('/gone.xml')}\nSitemap: http://elsewhere.invalid/sitemap.xml\n")
        idx = '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>{}</loc></sitemap></sitemapindex>'
        srv.add("/idx-a.xml", Route(body=idx.format(srv.url("/idx-b.xml")).encode(), content_type="application/xml"))
        srv.add("/idx-b.xml", Route(body=idx.format(srv.url("/idx-a.xml")).encode(), content_type="application/xml"))
        srv.add("/bomb.xml.gz", Route(body=gzip.compress(b"<urlset>" + b" " * 9_000_000), content_type="application/gzip"))
        srv.add("/gone.xml", Route(status=404, body=b"no", content_type="text/plain"))
        srv.add("/laughs.xml", Route(body=BILLION_LAUGHS, content_type="application/rss+xml"))
        srv.add("/cut.xml", Route(body=TRUNCATED_ONE_LINK.replace(b"http://e.org", srv.url("").rstrip("/").encode()),
                                  content_type="application/rss+xml"))
        srv.add("/away.xml", Route(status=302, content_type=None, headers={"Location": "http://127.0.0.2:9/rss"}))
        links = "".join(f'<a href="/s/p-{i:06d}.html">{i}</a>' for i in range(6_000))
        off = "".join(f'<a href="http://other-{i}.invalid/story-{i}.html">x</a>' for i in range(40))
        srv.page("/", '<html><head><link rel="alternate" type="application/rss+xml" href="/laughs.xml">'
                      '<link rel="alternate" type="application/rss+xml" href="/cut.xml">'
                      '<link rel="alternate" type="application/rss+xml" href="/away.xml"></head>'
                      f"<body>{off}{links}</body></html>")
        cfg = parse_sources(_cfg({"vi": srv.url("/")}), "s.yaml")
        with Fetcher(DEFAULTS, tmp_path) as fetcher:
            found = discover_outlet(cfg.outlets[0], fetcher, DEFAULTS)
        asked = [r.path for r in srv.requests]
    plan = Plan(fetches=found.fetches, off_site=found.off_site)
    report = discovery_report(plan)
    reasons = {p["url"].replace(srv.url(""), "/"): p["reason"] for p in report["rejected"]}
    assert reasons["/laughs.xml"] == "xml_dtd"
    assert reasons["/bomb.xml.gz"] in ("too_large", "bad_sitemap")
    assert reasons["/gone.xml"] == "http_404"
    assert reasons["/away.xml"] == "off_site_redirect"
    assert reasons["/cut.xml"] == "bad_feed"  # kept, but recorded
    assert reasons["/"] == "too_many_links"  # the home page's links were read up to the bound
    assert reasons["http://elsewhere.invalid/sitemap.xml"] == "off_site"
    cut = next(p for p in report["rejected"] if p["url"].endswith("/cut.xml"))
    assert cut["outcome"] == "partial" and cut["entries"] == 1
    assert any(c.url.endswith("/tin/a-123456.html") for c in found.candidates)
    assert asked.count("/idx-a.xml") == 1 and asked.count("/idx-b.xml") == 1  # the circle is read once
    # rejected.jsonl lines: stage discover, the URL, a reason; one per problem.
    rej = discovery_rejections(plan)
    assert len(rej) == len(report["rejected"]) and {r.stage for r in rej} == {"discover"}
    assert all(r.url and r.reason and r.source_id.startswith("site-vi-") for r in rej)
    assert report["rejected_reasons"]["xml_dtd"] == 1
    # Off-site links: all counted, a bounded sample named.
    # 40 links on the home page and the robots.txt sitemap on elsewhere.invalid
    assert report["off_site"]["urls"] == 41 and len(report["off_site"]["sample"]) == 20
    assert {"url": "http://other-0.invalid/story-0.html", "found_on": srv.url("/")} in report["off_site"]["sample"]
    assert len(report["off_site"]["hosts"]) == 20 and set(report["off_site"]["hosts"].values()) == {1}
    assert report["requests"]["home partial"] == 1 and report["requests"]["feed rejected"] >= 2
    json.dumps(report)  # the manifest section is plain JSON


# --------------------------------------------------------------------------- finding 5: one request per shared feed / sitemap


def test_editions_under_path_prefixes_read_each_sitemap_and_feed_once(tmp_path):
    from tasks.crawl.fetch import Fetcher

    with FaultServer() as srv:
        maps = {lang: srv.url(f"/{lang}/sitemap.xml") for lang in ("vi", "zh", "en")}
        srv.robots("User-agent: *\n" + "".join(f"Sitemap: {u}\n" for u in maps.values()))
        for lang in maps:
            srv.add(f"/{lang}/sitemap.xml", Route(body=_urlset(srv.url(f"/{lang}/news/story-{lang}-123456.html")),
                                                 content_type="application/xml"))
            srv.page(f"/{lang}/", "<html><body><p>home</p></body></html>")
        # One extra feed named in sources.yaml (outlet-wide), listing articles of two editions.
        srv.add("/all.rss", Route(body=(
            '<?xml version="1.0"?><rss version="2.0"><channel><title>all</title>'
            f"<item><link>{srv.url('/vi/news/feed-vi-654321.html')}</link></item>"
            f"<item><link>{srv.url('/en/news/feed-en-654321.html')}</link></item></channel></rss>").encode(),
            content_type="application/rss+xml"))
        cfg = parse_sources(_cfg({lang: srv.url(f"/{lang}/") for lang in maps}, feeds=[srv.url("/all.rss")]), "s.yaml")
        with Fetcher(DEFAULTS, tmp_path) as fetcher:
            found = discover_outlet(cfg.outlets[0], fetcher, DEFAULTS)
        asked = [r.path for r in srv.requests]
    for lang in maps:
        assert asked.count(f"/{lang}/sitemap.xml") == 1, asked
    assert asked.count("/all.rss") == 1
    # Entries go to the edition whose prefix they are under, whichever edition read the file.
    editions = {c.url.rsplit("/", 1)[1]: c.edition for c in found.candidates}
    assert editions == {"story-vi-123456.html": "vi", "story-zh-123456.html": "zh", "story-en-123456.html": "en",
                        "feed-vi-654321.html": "vi", "feed-en-654321.html": "en"}
    # The fetch log names the sitemap's own edition.
    logs = {f.url: f.edition for f in found.fetches if f.kind == "sitemap"}
    assert logs == {maps["vi"]: "vi", maps["zh"]: "zh", maps["en"]: "en"}



def _bounded_sitemaps(tmp_path, root: str) -> tuple[list[dict], list[str], str]:
    from tasks.crawl.discover import MAX_SITEMAP_DEPTH, MAX_SITEMAPS_PER_EDITION
    from tasks.crawl.fetch import Fetcher

    idx = '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{}</sitemapindex>'
    with FaultServer() as srv:
        srv.robots(f"User-agent: *\nSitemap: {srv.url(root)}\n")
        for i in range(MAX_SITEMAP_DEPTH + 2):  # an index chain one level deeper than read
            srv.add(f"/deep-{i}.xml", Route(body=idx.format(f"<sitemap><loc>{srv.url(f'/deep-{i + 1}.xml')}</loc></sitemap>").encode(),
                                           content_type="application/xml"))
        children = "".join(f"<sitemap><loc>{srv.url(f'/part-{i}.xml')}</loc></sitemap>" for i in range(MAX_SITEMAPS_PER_EDITION + 10))
        srv.add("/wide.xml", Route(body=idx.format(children).encode(), content_type="application/xml"))
        for i in range(MAX_SITEMAPS_PER_EDITION + 10):
            srv.add(f"/part-{i}.xml", Route(body=_urlset(srv.url(f"/news/story-{i}-123456.html")), content_type="application/xml"))
        srv.page("/", "<html><body></body></html>")
        cfg = parse_sources(_cfg({"vi": srv.url("/")}), "s.yaml")
        with Fetcher(DEFAULTS, tmp_path) as fetcher:
            found = discover_outlet(cfg.outlets[0], fetcher, DEFAULTS)
        return discovery_report(Plan(fetches=found.fetches))["rejected"], [r.path for r in srv.requests], srv.url("")


def test_sitemap_index_depth_bound_is_recorded(tmp_path):
    from tasks.crawl.discover import MAX_SITEMAP_DEPTH

    rejected, asked, base = _bounded_sitemaps(tmp_path, "/deep-0.xml")
    deep = [p for p in rejected if p["reason"] == "sitemap_depth"]
    assert [p["url"] for p in deep] == [f"{base}deep-{MAX_SITEMAP_DEPTH}.xml"] and deep[0]["outcome"] == "skipped"
    assert f"/deep-{MAX_SITEMAP_DEPTH + 1}.xml" not in asked


def test_sitemap_count_bound_is_recorded(tmp_path):
    from tasks.crawl.discover import MAX_SITEMAPS_PER_EDITION

    rejected, asked, _ = _bounded_sitemaps(tmp_path, "/wide.xml")
    cap = [p for p in rejected if p["reason"] == "sitemap_cap"]
    assert len(cap) == 1 and cap[0]["outcome"] == "skipped" and cap[0]["detail"].startswith("11 sitemap(s) over the cap")
    assert sum(1 for p in asked if p.startswith(("/part-", "/wide"))) == MAX_SITEMAPS_PER_EDITION
