"""A hostile loopback outlet: good articles in three editions among resources built to break discovery.

Each edition (vi, en, zh) is its own loopback server (tests/faultserver.py) with `good`
articles published an hour ago (generated parallel text, tests/news_site.py), all linked
from the home page. With `hostile=True` every edition also serves, next to them:

- feeds: RSS with dates in year 1 and 2099 and ftp:/mailto:/malformed links, a JSON Feed
  whose dates overflow (9999-12-31T23:59:59-12:00, 0001-01-01T00:00:00+14:00) or are not
  dates, an Atom feed with a billion-laughs DTD, a feed that is a gzip bomb;
- sitemaps (named in robots.txt): an index that lists itself and a child that lists the
  index back (circular), <lastmod> years 9999/1 with offsets, a gzip sitemap, a sitemap
  gzip bomb served as application/gzip, one over max_bytes, one that is not XML, an
  entity-declaring one;
- pages: the home page with `http://[::1/x`, `http://[zz]/`, a port out of range, ftp:,
  mailto:, javascript:, data:, tel: and off-site links (to `elsewhere`, a server that must
  never be asked anything); a section with 6,000 links, one nested 5,000 <div>s deep, a
  slow one (past the timeout), one redirecting off the outlet;
- articles: gzip bytes labelled text/html (a good article: decompressed and stored), random
  bytes labelled text/html (rejected `binary_body`), an article dated 2099 in its URL and
  page (stored, its date recorded as suspect), one whose page says 1970 (stored).

`expected_reasons()` lists every hostile resource with the reason the run must record.
"""

from __future__ import annotations

import gzip
import html
import json
import os
from datetime import datetime, timedelta, timezone

from faultserver import FaultServer, Route, gzip_bomb
from news_site import story_text

LANGS = ("vi", "en", "zh")
SECTION = {"vi": "tin-tuc", "en": "news", "zh": "xinwen"}
MAX_BYTES = 2_000_000  # the outlet's sources.yaml max_bytes (bombs and huge files go past it)
TIMEOUT = 2  # seconds (the slow section answers after 30)

BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)


def _urlset(urls: list[tuple[str, str | None]]) -> bytes:
    body = "".join(f"<url><loc>{html.escape(u)}</loc>" + (f"<lastmod>{m}</lastmod>" if m else "") + "</url>" for u, m in urls)
    return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{body}</urlset>").encode()


def _index(urls: list[tuple[str, str | None]]) -> bytes:
    body = "".join(f"<sitemap><loc>{html.escape(u)}</loc>" + (f"<lastmod>{m}</lastmod>" if m else "") + "</sitemap>"
                   for u, m in urls)
    return ('<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{body}</sitemapindex>").encode()


class HostileOutlet:
    """Three loopback editions of outlet `name`; see the module docstring."""

    def __init__(self, name: str = "hostile", *, good: int = 4, hostile: bool = True, seed: int = 0,
                 elsewhere: FaultServer | None = None) -> None:
        self.name, self.hostile = name, hostile
        self.servers = {lang: FaultServer().start() for lang in LANGS}
        self.elsewhere = elsewhere or FaultServer().start()
        self._own_elsewhere = elsewhere is None
        self.now = datetime.now(timezone.utc)
        self.good: dict[str, str] = {}  # url -> lang: articles that must be stored exactly once
        self.suspect: set[str] = set()  # stored articles whose date must be recorded as suspect
        self.expected: dict[str, set[str]] = {}  # hostile resource url -> reasons any one of which is right
        self.unusable_kinds = {"not_http:ftp", "not_http:mailto", "not_http:javascript", "not_http:data",
                               "not_http:tel", "invalid_url"}
        for lang in LANGS:
            self._edition(lang, good, seed)

    # -- lifecycle
    def close(self) -> None:
        for srv in self.servers.values():
            srv.stop()
        if self._own_elsewhere:
            self.elsewhere.stop()

    def home(self, lang: str) -> str:
        return self.servers[lang].url("/")

    def sources_yaml(self, extra_outlets: str = "") -> str:
        return (
            f"defaults:\n  min_delay_seconds: 0.0\n  per_host_concurrency: 4\n  timeout_seconds: {TIMEOUT}\n"
            f"  max_bytes: {MAX_BYTES}\n"
            f"outlets:\n{self.outlet_yaml()}{extra_outlets}"
        )

    def outlet_yaml(self) -> str:
        editions = "".join(f"      {lang}: {self.home(lang)}\n" for lang in LANGS)
        return f"  - id: {self.name}\n    editions:\n{editions}    max_age_days: 2\n    max_new_per_run: 500\n"

    def hosts(self) -> set[str]:
        return {f"{s.host}:{s.port}" for s in self.servers.values()}

    # -- pages
    def _article(self, lang: str, seed: int, published: datetime, date_text: str | None = None) -> str:
        title, paragraphs = story_text(seed)[lang]
        paras = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        date = date_text or published.strftime("%Y-%m-%dT%H:%M:%S+00:00")
        return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
                f'<meta property="article:published_time" content="{date}"></head><body>'
                f"<article><h1>{html.escape(title)}</h1>{paras}</article></body></html>")

    def _edition(self, lang: str, good: int, seed: int) -> None:
        srv = self.servers[lang]
        sec = SECTION[lang]
        published = self.now - timedelta(hours=1)
        links: list[str] = []
        for i in range(good):
            path = f"/{sec}/{self.name}-bai-viet-so-{i}-{lang}.html"
            srv.page(path, self._article(lang, seed * 100 + i, published))
            self.good[srv.url(path)] = lang
            links.append(path)
        robots = "User-agent: *\nAllow: /\n"
        if not self.hostile:
            srv.page("/", "<html><body><main>" + "".join(f'<a href="{p}">{p}</a>' for p in links) + "</main></body></html>")
            srv.robots(robots)
            return
        hostile_links = {"articles": self._hostile_articles(lang, seed, published), "sections": self._hostile_sections(lang)}
        self._hostile_feeds(lang, links)
        maps = self._hostile_sitemaps(lang, links)
        other = self.elsewhere.url(f"/{lang}/tin/tin-noi-bat-ngoai-trang-{lang}-12345.html")
        bad = ["http://[::1/x", "http://[zz]/", f"http://127.0.0.1:99999/{sec}/port-qua-lon-1234.html",
               "ftp://files.example/archive-2026-12345.html", "mailto:toasoan@example.org", "javascript:alert(1)",
               "data:text/html,<p>x</p>", "tel:+84123456789", other]
        feeds = ('<link rel="alternate" type="application/rss+xml" href="/rss.xml">'
                 '<link rel="alternate" type="application/feed+json" href="/feed.json">'
                 '<link rel="alternate" type="application/atom+xml" href="/atom-lol.xml">'
                 '<link rel="alternate" type="application/rss+xml" href="/rss-bomb.xml">'
                 '<link rel="alternate" hreflang="xx" href="http://[::1/alt">')
        nav = "".join(f'<a href="{p}">{p}</a>' for p in hostile_links["sections"])
        body = "".join(f'<a href="{html.escape(p)}">{html.escape(p)}</a>' for p in links + hostile_links["articles"] + bad)
        srv.page("/", f"<html><head>{feeds}</head><body><nav>{nav}</nav><main>{body}</main></body></html>")
        srv.robots(robots + "".join(f"Sitemap: {srv.url(m)}\n" for m in maps))

    def _hostile_articles(self, lang: str, seed: int, published: datetime) -> list[str]:
        srv, sec = self.servers[lang], SECTION[lang]
        out: list[str] = []
        # gzip bytes labelled text/html, no Content-Encoding: a good article once decompressed
        path = f"/{sec}/{self.name}-nen-gzip-sai-nhan-{lang}.html"
        srv.add(path, Route(body=gzip.compress(self._article(lang, seed * 100 + 50, published).encode()),
                            content_type="text/html; charset=utf-8"))
        self.good[srv.url(path)] = lang
        out.append(path)
        # random bytes labelled text/html
        path = f"/{sec}/{self.name}-rac-nhi-phan-ngau-nhien-{lang}.html"
        srv.add(path, Route(body=os.urandom(6000), content_type="text/html"))
        self.expected[srv.url(path)] = {"binary_body"}
        out.append(path)
        # dated 2099 in its URL and in the page; dated 1970 in the page
        path = f"/{sec}/2099/01/01/{self.name}-tin-tuong-lai-{lang}.html"
        srv.page(path, self._article(lang, seed * 100 + 51, published, "2099-01-01T00:00:00+00:00"))
        self.good[srv.url(path)] = lang
        self.suspect.add(srv.url(path))
        out.append(path)
        path = f"/{sec}/{self.name}-tin-ngay-co-xua-{lang}-19700.html"  # the extractor ignores a 1970 page date
        srv.page(path, self._article(lang, seed * 100 + 52, published, "1970-01-01T00:00:00+00:00"))
        self.good[srv.url(path)] = lang
        out.append(path)
        return out

    def _hostile_sections(self, lang: str) -> list[str]:
        srv = self.servers[lang]
        out = []
        flood = "".join(f'<a href="/tag/{i}/">{i}</a>' for i in range(6000))
        srv.page("/lu-lien-ket/", f"<html><body><main>{flood}</main></body></html>")
        self.expected[srv.url("/lu-lien-ket/")] = {"too_many_links"}
        srv.page("/long-sau/", "<html><body>" + "<div>" * 5000 + "<a href='/x'>x</a>" + "</div>" * 5000 + "</body></html>")
        srv.add("/cham/", Route(body=b"<html><body>slow</body></html>", delay=30))
        self.expected[srv.url("/cham/")] = {"timeout"}
        srv.add("/chuyen-huong/", Route(status=302, content_type=None, headers={"Location": self.elsewhere.url("/trap/")}))
        self.expected[srv.url("/chuyen-huong/")] = {"off_site_redirect", "unsafe_redirect"}
        out += ["/lu-lien-ket/", "/long-sau/", "/cham/", "/chuyen-huong/"]
        return out

    def _hostile_feeds(self, lang: str, links: list[str]) -> None:
        srv = self.servers[lang]
        self.suspect.add(srv.url(links[0]))  # dated 9999 / year 1 by the feeds and sitemaps below
        items = [("0001-01-01", "Mon, 01 Jan 0001 00:00:00 +0000"), ("2099", "Thu, 01 Jan 2099 00:00:00 +0000"),
                 ("neg", "Sat, 31 Dec 9999 23:59:59 -1200")]
        rss = "".join(f"<item><title>{k}</title><link>{srv.url(links[i % len(links)])}</link><pubDate>{d}</pubDate></item>"
                      for i, (k, d) in enumerate(items))
        rss += "<item><title>ftp</title><link>ftp://files.example/x.html</link></item>"
        rss += "<item><title>v6</title><link>http://[::1/feed</link></item>"
        srv.add("/rss.xml", Route(body=f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{rss}</channel></rss>'
                                  .encode(), content_type="application/rss+xml"))
        dates = ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "not a date", 12345, None, "2099-01-01T00:00:00Z"]
        feed = {"version": "https://jsonfeed.org/version/1.1", "title": "t",
                "items": [{"id": str(i), "url": srv.url(links[i % len(links)]), "date_published": d} for i, d in enumerate(dates)]
                + [{"id": "m", "url": "mailto:x@example.org"}, {"id": "v6", "url": "http://[zz]/"}, {"id": "n", "url": 7}]}
        srv.add("/feed.json", Route(body=json.dumps(feed).encode(), content_type="application/feed+json"))
        srv.add("/atom-lol.xml", Route(body=BILLION_LAUGHS + b'<feed xmlns="http://www.w3.org/2005/Atom">&lol3;</feed>',
                                       content_type="application/atom+xml"))
        self.expected[srv.url("/atom-lol.xml")] = {"xml_dtd"}
        srv.add("/rss-bomb.xml", Route(body=gzip_bomb(60_000_000), content_type="application/gzip"))
        self.expected[srv.url("/rss-bomb.xml")] = {"too_large"}

    def _hostile_sitemaps(self, lang: str, links: list[str]) -> list[str]:
        srv = self.servers[lang]
        u = srv.url
        # an index listing itself and a child that lists the index back; dates that overflow
        srv.add("/sitemap-index.xml", Route(body=_index([
            (u("/sitemap-index.xml"), None), (u("/sitemap-loop.xml"), "9999-12-31T23:59:59-12:00"),
            (u("/sitemap-a.xml"), "0001-01-01T00:00:00+14:00"), (u("/sitemap-a.xml.gz"), None),
            (u("/sitemap-bomb.xml.gz"), None), (u("/sitemap-huge.xml"), None), (u("/sitemap-junk.xml"), None),
            (u("/sitemap-dtd.xml"), None), ("ftp://files.example/sitemap.xml", None),
        ]), content_type="application/xml"))
        self.expected[u("/sitemap-index.xml")] = {"sitemap_cycle"}
        srv.add("/sitemap-loop.xml", Route(body=_index([(u("/sitemap-index.xml"), None), (u("/sitemap-loop.xml"), None)]),
                                           content_type="application/xml"))
        self.expected[u("/sitemap-loop.xml")] = {"sitemap_cycle"}
        srv.add("/sitemap-a.xml", Route(body=_urlset([(u(links[0]), "9999-12-31T23:59:59-12:00"),
                                                      (u(links[-1]), "0001-01-01T00:00:00+14:00"),
                                                      ("http://[::1/sm", None), ("mailto:a@b.c", None)]),
                                        content_type="application/xml"))
        srv.add("/sitemap-a.xml.gz", Route(body=gzip.compress(_urlset([(u(p), "2099-12-31") for p in links])),
                                           content_type="application/gzip"))
        srv.add("/sitemap-bomb.xml.gz", Route(body=gzip_bomb(60_000_000), content_type="application/gzip"))
        self.expected[u("/sitemap-bomb.xml.gz")] = {"too_large"}
        srv.add("/sitemap-huge.xml", Route(body=_urlset([(u(f"/x/{i}-a-b-c.html"), None) for i in range(60_000)]),
                                           content_type="application/xml"))
        self.expected[u("/sitemap-huge.xml")] = {"too_large"}
        srv.add("/sitemap-junk.xml", Route(body=b"<html><body>not a sitemap</body></html>", content_type="application/xml"))
        self.expected[u("/sitemap-junk.xml")] = {"bad_sitemap", "unsupported_content_type"}
        srv.add("/sitemap-dtd.xml", Route(body=BILLION_LAUGHS + b"<urlset>&lol3;</urlset>", content_type="application/xml"))
        self.expected[u("/sitemap-dtd.xml")] = {"xml_dtd"}
        return ["/sitemap-index.xml"]
