"""Fetch stage against a real loopback server; assertions on both sides of the wire."""

from __future__ import annotations

import ipaddress
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.text.decode import decode_html
from tasks.crawl.fetch import REASONS, Fetcher, outcome_of, redirect_allowed, request_for, robots_token
from tasks.crawl.fetch.transport import Inflater, TooLarge
from tasks.models import FetchDefaults, Source
from tasks.settings import Settings
from tasks.store.files import read_raw
from faultserver import FAULT_REASONS, FaultServer, Route, encode_cp1258, gzip_bomb, html_page

ZH = "国务院新闻办公室今天举行新闻发布会，介绍前三季度国民经济运行情况。镕基同志的讲话引起关注。"
VI = "Bộ Thông tin và Truyền thông tổ chức hội nghị về chuyển đổi số quốc gia."


def _settings(**kw: object) -> Settings:
    base: dict[str, object] = dict(
        max_attempts=2,
        backoff_base_seconds=0.01,
        retry_after_cap_seconds=1.0,
        connect_timeout_seconds=1.0,
        global_fetch_concurrency=4,
        allow_private_redirects=True,
    )
    base.update(kw)
    return Settings(**base)  # type: ignore[arg-type]


def _defaults(**kw: object) -> FetchDefaults:
    base: dict[str, object] = dict(min_delay_seconds=0, per_host_concurrency=4, timeout_seconds=2.0, max_bytes=200_000)
    base.update(kw)
    return FetchDefaults(**base)  # type: ignore[arg-type]


def _src(url: str, sid: str = "s", **kw: object) -> Source:
    return Source(id=sid, url=url, **kw)  # type: ignore[arg-type]


@pytest.fixture()
def srv():
    with FaultServer() as s:
        s.robots("User-agent: *\nDisallow: /private\n")
        yield s


@pytest.fixture()
def fetcher(tmp_path: Path):
    with Fetcher(_defaults(), tmp_path / "out", settings=_settings()) as f:
        yield f


def test_reason_vocabulary_is_fixed_and_partitioned():
    assert {"robots_disallowed", "http_404", "http_4xx", "http_5xx", "http_429", "timeout", "too_large",
            "unsupported_content_type", "redirect_loop", "too_many_redirects", "empty_body", "connection_error",
            "unsafe_redirect", "invalid_url"} <= set(REASONS)
    assert outcome_of("http_404") == "rejected" and outcome_of("timeout") == "failed"
    assert {o for o, _ in REASONS.values()} == {"rejected", "failed", "not_modified"}


def test_fetch_ok_stores_raw_and_identifies_itself(srv: FaultServer, fetcher: Fetcher, tmp_path: Path):
    body = html_page("Tin", [VI], lang="vi").encode()
    url = srv.page("/a", body)
    r = fetcher.fetch(request_for(_src(url), fetcher.defaults))
    assert r.outcome == "fetched", r
    assert r.status == 200 and r.content == body and r.final_url == url and r.redirects == []
    assert r.robots == "allowed" and r.content_type == "text/html; charset=utf-8"
    assert r.raw_path and read_raw(tmp_path / "out", r.raw_path) == body
    assert len(r.sha256 or "") == 64
    req = srv.requests_for("/a")[0]
    assert req.headers["user-agent"].startswith("newsbridge/")
    assert srv.count("/robots.txt") == 1


def test_robots_disallowed_path_is_never_requested(srv: FaultServer, fetcher: Fetcher):
    srv.page("/private/secret", html_page("x", ["y"]))
    ok = srv.page("/public", html_page("x", ["y"]))
    r = fetcher.fetch(request_for(_src(srv.url("/private/secret")), fetcher.defaults))
    assert (r.outcome, r.reason, r.robots) == ("rejected", "robots_disallowed", "disallowed")
    assert fetcher.fetch(request_for(_src(ok), fetcher.defaults)).outcome == "fetched"
    assert srv.count("/private/secret") == 0
    assert srv.count("/robots.txt") == 1  # one fetch per host per run


def test_robots_fetched_once_per_host_under_threads(srv: FaultServer, fetcher: Fetcher):
    urls = [srv.page(f"/p{i}", html_page(f"t{i}", [f"para {i}"])) for i in range(12)]
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda u: fetcher.fetch(request_for(_src(u), fetcher.defaults)), urls))
    assert [r.outcome for r in results] == ["fetched"] * 12
    assert srv.count("/robots.txt") == 1


def test_robots_4xx_allows_and_5xx_disallows_the_host(tmp_path: Path):
    with FaultServer() as s404, FaultServer() as s500:
        s404.fault("/robots.txt", "404")
        s500.fault("/robots.txt", "500")
        u1 = s404.page("/a", html_page("a", ["b"]))
        u2 = s500.page("/a", html_page("a", ["b"]))
        with Fetcher(_defaults(), tmp_path, settings=_settings()) as f:
            assert f.fetch(request_for(_src(u1), f.defaults)).outcome == "fetched"
            r = f.fetch(request_for(_src(u2), f.defaults))
            assert (r.outcome, r.reason, r.robots) == ("failed", "robots_unreachable", "unreachable")
            assert f.fetch(request_for(_src(u2), f.defaults)).reason == "robots_unreachable"
        assert s500.count("/a") == 0
        assert s500.count("/robots.txt") == 2  # one logical fetch: 2 attempts (max_attempts=2), not per page


def test_robots_redirects_are_followed(tmp_path: Path):
    with FaultServer() as s:
        s.add("/robots.txt", Route(status=301, content_type=None, headers={"Location": "/real-robots.txt"}))
        s.add("/real-robots.txt", Route(body=b"User-agent: newsbridge\nDisallow: /no\n", content_type="text/plain"))
        s.page("/no/x", html_page("a", ["b"]))
        with Fetcher(_defaults(), tmp_path, settings=_settings()) as f:
            assert f.fetch(request_for(_src(s.url("/no/x")), f.defaults)).reason == "robots_disallowed"
        assert s.count("/no/x") == 0


def test_gbk_page_without_charset_header(srv: FaultServer, fetcher: Fetcher):
    url = srv.page("/gbk", html_page("新闻", [ZH]), charset="gbk", content_type="text/html")
    r = fetcher.fetch(request_for(_src(url), fetcher.defaults))
    assert r.outcome == "fetched"
    d = decode_html(r.content or b"", r.headers)
    assert ZH in d.text and d.charset == "gb18030" and d.charset_source == "detector"


def test_utf8_page_declaring_gb2312(srv: FaultServer, fetcher: Fetcher):
    url = srv.page("/mislabel", html_page("新闻", [ZH], meta_charset="gb2312").encode("utf-8"),
                   content_type="text/html; charset=gb2312")
    r = fetcher.fetch(request_for(_src(url), fetcher.defaults))
    d = decode_html(r.content or b"", r.headers)
    assert ZH in d.text and (d.charset, d.charset_source) == ("utf-8", "utf-8")


def test_windows_1258_vietnamese_declared_in_meta(srv: FaultServer, fetcher: Fetcher):
    url = srv.page("/vi", encode_cp1258(html_page("Tin", [VI], meta_charset="windows-1258")), content_type="text/html")
    r = fetcher.fetch(request_for(_src(url), fetcher.defaults))
    d = decode_html(r.content or b"", r.headers)
    assert VI in unicodedata.normalize("NFC", d.text)
    assert (d.charset, d.charset_source) == ("windows-1258", "meta")


def test_etag_second_run_is_conditional_and_not_modified(srv: FaultServer, tmp_path: Path):
    url = srv.page("/etag", html_page("a", ["b"]), etag='"v1"')
    out = tmp_path / "out"
    with Fetcher(_defaults(), out, settings=_settings()) as f:
        r1 = f.fetch(request_for(_src(url), f.defaults))
        assert r1.outcome == "fetched" and r1.etag == '"v1"'
        f.commit(r1)
    with Fetcher(_defaults(), out, settings=_settings()) as f:
        r2 = f.fetch(request_for(_src(url), f.defaults))
        f.commit(r2)  # a 304 keeps the stored validators
    assert (r2.outcome, r2.reason, r2.status) == ("not_modified", "http_304", 304)
    assert r2.sha256 == r1.sha256 and r2.raw_path == r1.raw_path
    with Fetcher(_defaults(), out, settings=_settings()) as f:
        assert f.fetch(request_for(_src(url), f.defaults)).reason == "http_304"
    reqs = srv.requests_for("/etag")
    assert "if-none-match" not in reqs[0].headers
    assert reqs[1].headers["if-none-match"] == reqs[2].headers["if-none-match"] == '"v1"'
    # the page changes: new ETag, new body -> fetched again
    srv.page("/etag", html_page("a2", ["b2"]), etag='"v2"')
    with Fetcher(_defaults(), out, settings=_settings()) as f:
        r4 = f.fetch(request_for(_src(url), f.defaults))
    assert r4.outcome == "fetched" and r4.etag == '"v2"' and r4.sha256 != r1.sha256


def test_uncommitted_fetch_is_refetched_unconditionally(srv: FaultServer, tmp_path: Path):
    url = srv.page("/etag", html_page("a", ["b"]), etag='"v1"')
    for _ in range(2):
        with Fetcher(_defaults(), tmp_path, settings=_settings()) as f:
            assert f.fetch(request_for(_src(url), f.defaults)).outcome == "fetched"  # never committed: a crash before store
    assert all("if-none-match" not in r.headers for r in srv.requests_for("/etag"))


def test_last_modified_and_same_sha256_and_force(srv: FaultServer, tmp_path: Path):
    lm = "Tue, 24 Nov 2026 01:00:00 GMT"
    url_lm = srv.page("/lm", html_page("a", ["b"]), last_modified=lm)
    url_plain = srv.page("/plain", html_page("c", ["d"]))
    with Fetcher(_defaults(), tmp_path, settings=_settings()) as f:
        for u in (url_lm, url_plain):
            f.commit(f.fetch(request_for(_src(u), f.defaults)))
    with Fetcher(_defaults(), tmp_path, settings=_settings()) as f:
        assert f.fetch(request_for(_src(url_lm), f.defaults)).reason == "http_304"
        r = f.fetch(request_for(_src(url_plain), f.defaults))
        assert (r.outcome, r.reason, r.content) == ("not_modified", "same_sha256", None)
    assert srv.requests_for("/lm")[1].headers["if-modified-since"] == lm
    with Fetcher(_defaults(), tmp_path, settings=_settings(), force=True) as f:
        assert f.fetch(request_for(_src(url_lm), f.defaults)).outcome == "fetched"
        assert f.fetch(request_for(_src(url_plain), f.defaults)).outcome == "fetched"
    assert "if-modified-since" not in srv.requests_for("/lm")[2].headers


def test_503_once_then_ok_is_retried(srv: FaultServer, fetcher: Fetcher):
    url = srv.fault("/flaky", "once:503")
    r = fetcher.fetch(request_for(_src(url), fetcher.defaults))
    assert r.outcome == "fetched" and b"recovered" in (r.content or b"")
    assert srv.count("/flaky") == 2


@pytest.mark.parametrize(
    ("kind", "outcome", "reason", "requests"),
    [
        ("404", "rejected", "http_404", 1),
        ("410", "rejected", "http_410", 1),
        ("403", "rejected", "http_4xx", 1),
        ("500", "failed", "http_5xx", 2),
        ("429", "failed", "http_429", 2),
        ("pdf", "rejected", "unsupported_content_type", 1),
        ("empty", "rejected", "empty_body", 1),
        ("reset", "failed", "connection_error", 2),
    ],
)
def test_faults_map_to_reasons(srv: FaultServer, fetcher: Fetcher, kind: str, outcome: str, reason: str, requests: int):
    url = srv.fault("/f", kind)
    r = fetcher.fetch(request_for(_src(url), fetcher.defaults))
    assert (r.outcome, r.reason) == (outcome, reason), r.detail
    assert r.detail
    assert srv.count("/f") == requests


def test_retry_after_is_honoured(srv: FaultServer, fetcher: Fetcher):
    url = srv.add("/ra", Route(status=429, headers={"Retry-After": "1"}), Route(body=html_page("a", ["b"]).encode()))
    assert fetcher.fetch(request_for(_src(url), fetcher.defaults)).outcome == "fetched"
    first, second = srv.requests_for("/ra")
    assert second.at - first.at >= 0.9  # asked for 1 s (cap 1 s); backoff alone would be ~0.01 s


def test_retry_after_over_cap_is_not_retried(srv: FaultServer, fetcher: Fetcher):
    url = srv.add("/busy", Route(status=503, headers={"Retry-After": "3600"}))
    r = fetcher.fetch(request_for(_src(url), fetcher.defaults))
    assert (r.outcome, r.reason) == ("failed", "http_5xx") and "exceeds cap" in (r.detail or "")
    assert srv.count("/busy") == 1


def test_slow_page_times_out(srv: FaultServer, tmp_path: Path):
    url = srv.fault("/slow", "slow:3")
    with Fetcher(_defaults(timeout_seconds=0.3), tmp_path, settings=_settings()) as f:
        r = f.fetch(request_for(_src(url), f.defaults))
    assert (r.outcome, r.reason) == ("failed", "timeout")
    assert srv.count("/slow") == 2


def test_dripping_body_hits_total_timeout(srv: FaultServer, tmp_path: Path):
    # Each chunk arrives well within the read timeout; only a total deadline stops it.
    srv.add("/drip", Route(body=b"<html><body>" + b"x" * 2000 + b"</body></html>", drip=0.1, drip_size=50))
    with Fetcher(_defaults(timeout_seconds=0.5), tmp_path, settings=_settings(max_attempts=1)) as f:
        r = f.fetch(request_for(_src(srv.url("/drip")), f.defaults))
    assert (r.outcome, r.reason) == ("failed", "timeout")


def test_redirects_loop_limit_and_chain(srv: FaultServer, fetcher: Fetcher):
    r = fetcher.fetch(request_for(_src(srv.fault("/loop", "loop")), fetcher.defaults))
    assert (r.outcome, r.reason) == ("rejected", "redirect_loop")
    for i in range(7):
        srv.add(f"/r{i}", Route(status=302, content_type=None, headers={"Location": f"/r{i + 1}"}))
    srv.page("/r7", html_page("end", ["x"]))
    r = fetcher.fetch(request_for(_src(srv.url("/r2")), fetcher.defaults))  # 5 redirects: allowed
    assert r.outcome == "fetched" and r.final_url == srv.url("/r7") and len(r.redirects) == 5
    r = fetcher.fetch(request_for(_src(srv.url("/r1")), fetcher.defaults))  # 6 redirects: refused before the 6th is followed
    assert (r.outcome, r.reason) == ("rejected", "too_many_redirects")
    assert srv.count("/r7") == 1


def test_redirect_to_other_scheme_refused(srv: FaultServer, fetcher: Fetcher):
    url = srv.add("/ftp", Route(status=301, content_type=None, headers={"Location": "ftp://127.0.0.1/x"}))
    r = fetcher.fetch(request_for(_src(url), fetcher.defaults))
    assert (r.outcome, r.reason) == ("rejected", "unsafe_redirect")


def test_redirect_into_robots_disallowed_path_not_followed(srv: FaultServer, fetcher: Fetcher):
    url = srv.add("/go", Route(status=302, content_type=None, headers={"Location": "/private/x"}))
    r = fetcher.fetch(request_for(_src(url), fetcher.defaults))
    assert r.reason == "robots_disallowed"
    assert srv.count("/private/x") == 0


def test_ssrf_rule():
    pub = [ipaddress.ip_address("93.184.216.34")]
    for private in ("127.0.0.1", "10.1.2.3", "192.168.0.1", "169.254.169.254", "::1", "fe80::1", "::ffff:127.0.0.1"):
        addrs = [ipaddress.ip_address(private)]
        assert not redirect_allowed(True, addrs, allow_private=False), private
        assert redirect_allowed(True, addrs, allow_private=True)
        assert redirect_allowed(False, addrs, allow_private=False)  # operator's own private URL: trusted
    assert redirect_allowed(True, pub, allow_private=False)


def test_oversized_declared_and_streamed(srv: FaultServer, fetcher: Fetcher):
    r = fetcher.fetch(request_for(_src(srv.fault("/big", "big:300000")), fetcher.defaults))
    assert (r.outcome, r.reason) == ("rejected", "too_large") and "Content-Length" in (r.detail or "")
    srv.add("/big2", Route(body=b"<html>" + b"a" * 300_000, send_length=False))
    r = fetcher.fetch(request_for(_src(srv.url("/big2")), fetcher.defaults))
    assert (r.outcome, r.reason) == ("rejected", "too_large")


def test_gzip_bomb_is_stopped_at_max_bytes(srv: FaultServer, fetcher: Fetcher):
    url = srv.fault("/bomb", "bomb:20000000")
    r = fetcher.fetch(request_for(_src(url), fetcher.defaults))
    assert (r.outcome, r.reason) == ("rejected", "too_large") and "decompression" in (r.detail or "")


def test_gzip_page_is_decompressed(srv: FaultServer, fetcher: Fetcher):
    body = html_page("新闻", [ZH]).encode()
    r = fetcher.fetch(request_for(_src(srv.page("/gz", body, gzip=True)), fetcher.defaults))
    assert r.outcome == "fetched" and r.content == body


def test_raw_deflate_page_and_corrupt_gzip(srv: FaultServer, fetcher: Fetcher):
    import zlib

    body = html_page("新闻", [ZH]).encode()
    c = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    url = srv.add("/deflate", Route(body=c.compress(body) + c.flush(), content_encoding="deflate"))
    assert fetcher.fetch(request_for(_src(url), fetcher.defaults)).content == body
    url = srv.add("/corrupt", Route(body=b"\x1f\x8b\x08\x00" + b"\xff" * 64, content_encoding="gzip"))
    r = fetcher.fetch(request_for(_src(url), fetcher.defaults))
    assert (r.outcome, r.reason) == ("failed", "content_encoding_error")


def test_inflater_output_never_exceeds_budget():
    bomb = gzip_bomb(5_000_000)
    inf = Inflater("gzip")
    with pytest.raises(TooLarge):
        inf.feed(bomb, 100_000)
    assert Inflater("gzip").feed(gzip_bomb(1000), 1000) == b"\0" * 1000


def test_missing_content_type_is_sniffed(srv: FaultServer, fetcher: Fetcher):
    ok = srv.add("/nt", Route(body=html_page("a", ["b"]).encode(), content_type=None))
    bad = srv.add("/nt2", Route(body=b"%PDF-1.4 binary", content_type=None))
    assert fetcher.fetch(request_for(_src(ok), fetcher.defaults)).outcome == "fetched"
    assert fetcher.fetch(request_for(_src(bad), fetcher.defaults)).reason == "unsupported_content_type"


def test_connection_refused_and_invalid_url(tmp_path: Path):
    with FaultServer() as s:
        dead = s.url("/x")
    with Fetcher(_defaults(), tmp_path, settings=_settings(max_attempts=1)) as f:
        r = f.fetch(request_for(_src(dead), f.defaults))
        assert (r.outcome, r.reason) == ("failed", "robots_unreachable")  # robots.txt first, unreachable
        r = f.fetch(request_for(Source.model_construct(id="bad", url="file:///etc/passwd", min_delay_seconds=None,
                                           per_host_concurrency=None), f.defaults))
        assert (r.outcome, r.reason) == ("rejected", "invalid_url")


def test_per_host_concurrency_and_global_cap_really_throttle(srv: FaultServer, tmp_path: Path):
    urls = [srv.page(f"/c{i}", html_page("a", [str(i)]), delay=0.15) for i in range(6)]
    with Fetcher(_defaults(per_host_concurrency=1), tmp_path, settings=_settings()) as f:
        f.robots_decision(urls[0])
        srv.clear_log()
        with ThreadPoolExecutor(6) as pool:
            assert all(r.outcome == "fetched" for r in pool.map(lambda u: f.fetch(request_for(_src(u), f.defaults)), urls))
    assert srv.max_active == 1
    # per-source override wins over defaults
    with Fetcher(_defaults(per_host_concurrency=1), tmp_path, settings=_settings(global_fetch_concurrency=8)) as f:
        f.robots_decision(urls[0])
        srv.clear_log()
        with ThreadPoolExecutor(6) as pool:
            list(pool.map(lambda u: f.fetch(request_for(_src(u, per_host_concurrency=3), f.defaults)), urls))
    assert 1 < srv.max_active <= 3  # the override took effect, and still bounds
    # the global cap bounds everything
    with Fetcher(_defaults(per_host_concurrency=8), tmp_path, settings=_settings(global_fetch_concurrency=2)) as f:
        f.robots_decision(urls[0])
        srv.clear_log()
        with ThreadPoolExecutor(6) as pool:
            list(pool.map(lambda u: f.fetch(request_for(_src(u), f.defaults)), urls))
    assert 1 < srv.max_active <= 2


def test_min_delay_spaces_requests_to_one_host(srv: FaultServer, tmp_path: Path):
    urls = [srv.page(f"/d{i}", html_page("a", [str(i)])) for i in range(4)]
    with Fetcher(_defaults(min_delay_seconds=0.2), tmp_path, settings=_settings()) as f:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda u: f.fetch(request_for(_src(u), f.defaults)), urls))
    starts = sorted(r.at for r in srv.requests)
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    # 0.2 s asked between starts (robots.txt + 4 pages). Server-side arrival times jitter on a
    # loaded machine, so: every gap well above zero, and the whole span near 4 x 0.2 s.
    assert len(starts) == 5 and min(gaps) >= 0.1, gaps
    assert starts[-1] - starts[0] >= 0.7, gaps


def test_fetched_at_is_when_the_page_arrived_not_when_it_was_asked_for(srv: FaultServer, tmp_path: Path):
    # Four fetches asked for at once on a polite host wait their turns (0.25 s apart): each
    # page's fetched_at is the time its bytes came, after the server saw its request.
    import time

    urls = [srv.page(f"/t{i}", html_page("a", [str(i)])) for i in range(4)]
    wall_minus_mono = time.time() - time.monotonic()
    with Fetcher(_defaults(min_delay_seconds=0.25, per_host_concurrency=1), tmp_path, settings=_settings()) as f:
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda u: f.fetch(request_for(_src(u), f.defaults)), urls))
    arrived = {r.path: r.at + wall_minus_mono for r in srv.requests}
    for url, result in zip(urls, results):
        path = "/" + url.split("/", 3)[3]
        assert result.outcome == "fetched"
        assert result.fetched_at.timestamp() >= arrived[path] - 0.05, (path, result.fetched_at, arrived[path])
    stamps = sorted(r.fetched_at.timestamp() for r in results)
    assert stamps[-1] - stamps[0] >= 0.5  # spaced like the requests, not all at the moment they were asked for


def test_commit_ignores_rejections(srv: FaultServer, fetcher: Fetcher):
    r = fetcher.fetch(request_for(_src(srv.fault("/x", "404")), fetcher.defaults))
    fetcher.commit(r)
    assert fetcher.state.count() == 0


def test_operator_loopback_url_is_trusted_without_the_flag(srv: FaultServer, tmp_path: Path):
    # The SSRF rule polices where redirects lead once a chain touched a public address; the
    # operator's own loopback/intranet URL (and its private redirects) are trusted.
    srv.page("/target", html_page("a", ["b"]))
    url = srv.add("/go", Route(status=302, content_type=None, headers={"Location": "/target"}))
    with Fetcher(_defaults(), tmp_path, settings=_settings(allow_private_redirects=False)) as f:
        r = f.fetch(request_for(_src(url), f.defaults))
    assert r.outcome == "fetched" and r.redirects == [srv.url("/target")]


def test_a_whole_faulty_site_each_source_one_outcome(srv: FaultServer, tmp_path: Path):
    kinds = ["ok", "once:503", "404", "410", "403", "500", "429", "pdf", "empty", "reset", "loop", "slow:2",
             "drip:0.2", "big:300000", "bomb:5000000"] * 2
    pages = srv.site(kinds)
    sources = [_src(url, sid=f"p{i}") for i, (url, _) in enumerate(pages)]
    with Fetcher(_defaults(timeout_seconds=0.4), tmp_path, settings=_settings()) as f:
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda s: f.fetch(request_for(s, f.defaults)), sources))
    assert [r.source_id for r in results] == [s.id for s in sources]
    for (url, kind), r in zip(pages, results):
        expected = FAULT_REASONS[kind.split(":")[0]]
        assert r.reason == expected, (kind, r.outcome, r.reason, r.detail)
        assert r.outcome == ("fetched" if expected is None else outcome_of(expected))
    assert srv.count("/robots.txt") == 1


def test_robots_groups_match_our_product_token_only(tmp_path: Path):
    assert robots_token("newsbridge/0.1 (+https://github.com/newsbridge/newsbridge)") == "newsbridge"
    with FaultServer() as s:
        # The contact URL contains "github": that group must not apply to us; ours must.
        s.robots("User-agent: github\nDisallow: /\n\nUser-agent: NewsBridge\nDisallow: /nb/\n\n"
                 "User-agent: *\nDisallow: /all/\n")
        for p in ("/a", "/nb/x", "/all/x"):
            s.page(p, html_page("a", ["b"]))
        ua = "newsbridge/0.1 (+https://github.com/newsbridge/newsbridge)"
        with Fetcher(_defaults(user_agent=ua), tmp_path, settings=_settings()) as f:
            got = {p: f.fetch(request_for(_src(s.url(p)), f.defaults)).outcome for p in ("/a", "/nb/x", "/all/x")}
    assert got == {"/a": "fetched", "/nb/x": "rejected", "/all/x": "fetched"}  # most specific group wins


def test_robots_crawl_delay_is_honoured(tmp_path: Path):
    with FaultServer() as s:
        s.robots("User-agent: *\nCrawl-delay: 0.3\n")
        urls = [s.page(f"/cd{i}", html_page("a", [str(i)])) for i in range(3)]
        with Fetcher(_defaults(min_delay_seconds=0), tmp_path, settings=_settings()) as f:
            for u in urls:
                assert f.fetch(request_for(_src(u), f.defaults)).outcome == "fetched"
        starts = [r.at for r in s.requests if r.path.startswith("/cd")]
    assert starts[-1] - starts[0] >= 0.5  # 2 gaps of 0.3 s asked by robots.txt, min_delay 0


def test_robots_shared_by_every_fetcher_of_one_run(srv: FaultServer, tmp_path: Path):
    # Several processes of one run (Dask workers) each build a Fetcher: with the run id they
    # share robots.txt decisions through the state store; a new run fetches it again.
    urls = [srv.page(f"/w{i}", html_page("a", [str(i)])) for i in range(4)]
    fetchers = [Fetcher(_defaults(), tmp_path, settings=_settings(), run_id="run-1") for _ in range(4)]
    try:
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda fu: fu[0].fetch(request_for(_src(fu[1]), fu[0].defaults)), zip(fetchers, urls)))
        assert [r.outcome for r in results] == ["fetched"] * 4
        assert fetchers[0].fetch(request_for(_src(srv.url("/private/x")), fetchers[0].defaults)).reason == "robots_disallowed"
        assert srv.count("/robots.txt") == 1
    finally:
        for f in fetchers:
            f.close()
    with Fetcher(_defaults(), tmp_path, settings=_settings(), run_id="run-2") as f:
        assert f.fetch(request_for(_src(urls[0]), f.defaults)).outcome == "fetched"
    assert srv.count("/robots.txt") == 2


# --------------------------------------------------------------------------- the whole run

ZH_PARAS = [
    "11月20日，中越职业教育合作论坛在广西南宁开幕，来自两国职业院校和企业的二百余名代表出席。",
    "与会代表围绕人工智能、数字经济和跨境电商人才培养等议题进行了深入交流与讨论。",
    "广西壮族自治区教育厅负责人表示，将进一步深化与越南院校的合作，共同培养国际化技术技能人才。",
    "论坛期间，双方签署了十五项合作协议，涵盖联合办学、师资培训和学生交流等多个领域。",
]
ZH2_PARAS = [
    "国务院新闻办公室今天举行新闻发布会，介绍前三季度国民经济运行情况。",
    "国家统计局新闻发言人表示，前三季度国内生产总值同比增长，经济运行总体平稳。",
    "消费市场持续恢复，服务零售额增长较快，就业形势保持总体稳定。",
]
VI_PARAS = [
    "Bộ Thông tin và Truyền thông tổ chức hội nghị về chuyển đổi số quốc gia tại Hà Nội.",
    "Người dân và doanh nghiệp được hưởng lợi từ dịch vụ công trực tuyến ngày càng hoàn thiện.",
    "Các địa phương cam kết đẩy mạnh hạ tầng số và đào tạo nguồn nhân lực chất lượng cao.",
]
EN_PARAS = [
    "Vietnam and Guangxi signed new agreements on science and technology cooperation this week.",
    "Researchers from both sides will work together on agriculture, new materials and digital health.",
    "Officials said the projects would start next year and run for at least three years.",
]


def _latest_docs(out: Path) -> dict[str, dict]:
    import json

    found = {}
    for pointer in (out / "docs").glob("*/latest.json"):
        record = json.loads((out / json.loads(pointer.read_text())["path"]).read_text())
        found[record["source_id"]] = record
    return found


def _runs(out: Path) -> list[tuple[dict, dict]]:
    """[(manifest, stats)] of every run, oldest first."""
    import json

    runs = []
    for d in (out / "runs").iterdir():
        if (d / "manifest.json").exists():
            runs.append((json.loads((d / "manifest.json").read_text()), json.loads((d / "stats.json").read_text())))
    return sorted(runs, key=lambda r: r[0].get("started_at") or r[0].get("meta", {}).get("started_at") or "")


@pytest.mark.slow
def test_cli_run_twice_on_a_faulty_site(prefect_harness, argos_test_models, tmp_path: Path, monkeypatch):
    """The issue's acceptance check: `newsbridge run` twice on loopback pages with faults."""
    from typer.testing import CliRunner

    from flows.cli.main import app
    from tasks.settings import get_settings

    monkeypatch.setenv("NEWSBRIDGE_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("NEWSBRIDGE_BACKOFF_BASE_SECONDS", "0.01")
    monkeypatch.setenv("NEWSBRIDGE_RETRY_AFTER_CAP_SECONDS", "1")
    get_settings.cache_clear()
    out = tmp_path / "out"
    with FaultServer() as s:
        s.robots("User-agent: *\nDisallow: /private/\n")
        s.page("/zh-gbk.html", html_page("中越职业教育合作论坛在南宁举行", ZH_PARAS, lang="zh-CN"), charset="gbk",
               content_type="text/html")  # GBK, no charset anywhere
        s.page("/zh-mislabel.html", html_page("前三季度国民经济运行情况", ZH2_PARAS, meta_charset="gb2312").encode(),
               content_type="text/html; charset=gb2312", etag='"zh2-v1"')  # UTF-8 declared gb2312
        s.page("/vi.html", html_page("Hội nghị chuyển đổi số", VI_PARAS, lang="vi"),
               last_modified="Mon, 23 Nov 2026 10:00:00 GMT")
        s.page("/en.html", html_page("Science cooperation", EN_PARAS, lang="en"))  # no validators: sha256
        s.page("/private/secret.html", html_page("secret", EN_PARAS))
        s.add("/flaky.html", Route(status=503, headers={"Retry-After": "0"}),
              Route(body=html_page("Recovered page", EN_PARAS, lang="en").encode()))
        faults = {"gone": ("404", "http_404"), "boom": ("500", "http_5xx"), "slow": ("slow:4", "timeout"),
                  "loop": ("loop", "redirect_loop"), "big": ("big:400000", "too_large"),
                  "bomb": ("bomb:20000000", "too_large"), "pdf": ("pdf", "unsupported_content_type"),
                  "empty": ("empty", "empty_body")}
        lines = ["defaults:", "  min_delay_seconds: 0", "  timeout_seconds: 1", "  max_bytes: 300000", "sources:"]
        good = {"zh-gbk": "/zh-gbk.html", "zh-mislabel": "/zh-mislabel.html", "vi": "/vi.html", "en": "/en.html",
                "flaky": "/flaky.html", "private": "/private/secret.html"}
        for sid, path in good.items():
            lines += [f"  - id: {sid}", f"    url: {s.url(path)}"]
        for sid, (kind, _) in faults.items():
            lines += [f"  - id: {sid}", f"    url: {s.fault('/' + sid, kind)}"]
        sources = tmp_path / "sources.yaml"
        sources.write_text("\n".join(lines) + "\n", encoding="utf-8")

        runner = CliRunner()
        first = runner.invoke(app, ["run", "--sources", str(sources), "--output", str(out)])
        second = runner.invoke(app, ["run", "--sources", str(sources), "--output", str(out)])
        log = s.requests
    get_settings.cache_clear()

    (m1, st1), (m2, st2) = _runs(out)
    o1 = {o["id"]: o for o in m1["sources"]}
    o2 = {o["id"]: o for o in m2["sources"]}
    any_failed = any(o["status"] == "failed" for o in o1.values())
    assert first.exit_code == (1 if any_failed else 0), first.output
    assert set(o1) == set(good) | set(faults)  # exactly one outcome per source
    for sid in ("zh-gbk", "zh-mislabel", "vi", "en", "flaky"):
        assert o1[sid]["status"] == "new", o1[sid]
    assert (o1["private"]["status"], o1["private"]["reason"]) == ("rejected", "robots_disallowed")
    for sid, (_, reason) in faults.items():
        assert o1[sid]["reason"] == reason and o1[sid]["status"] in ("rejected", "failed"), o1[sid]
    assert st1["reasons"].get("too_large") == 2 and st1["translated_fresh"] > 0

    # robots obeyed, once per run; the 503 page asked twice; Chinese stored right.
    assert not [r for r in log if r.path.startswith("/private/")]
    assert sum(r.path == "/robots.txt" for r in log) == 2
    assert sum(r.path == "/flaky.html" for r in log) == 3  # 503 + 200 in run 1, one conditional GET in run 2
    docs = _latest_docs(out)
    zh_text = " ".join(seg["text"] for seg in docs["zh-gbk"]["segments"])
    assert "中越职业教育合作论坛在广西南宁开幕" in zh_text
    assert docs["zh-gbk"]["fetch"]["charset"] == "gb18030"
    zh2_text = " ".join(seg["text"] for seg in docs["zh-mislabel"]["segments"])
    assert "国家统计局新闻发言人表示" in zh2_text and docs["zh-mislabel"]["fetch"]["charset"] == "utf-8"
    vi_text = " ".join(seg["text"] for seg in docs["vi"]["segments"])
    assert "Người dân và doanh nghiệp" in vi_text

    # second run: conditional requests, nothing changed, nothing translated fresh
    def second_run_requests(path: str) -> list:
        return [r for r in log if r.path == path][-1:]

    assert second_run_requests("/zh-mislabel.html")[0].headers.get("if-none-match") == '"zh2-v1"'
    assert second_run_requests("/vi.html")[0].headers.get("if-modified-since") == "Mon, 23 Nov 2026 10:00:00 GMT"
    for sid in ("zh-gbk", "zh-mislabel", "vi", "en", "flaky"):
        assert o2[sid]["status"] == "unchanged", o2[sid]
    for sid, (_, reason) in faults.items():
        assert o2[sid]["reason"] == reason
    assert st2["translated_fresh"] == 0 and st2["unchanged"] == 5


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=20_000), st.lists(st.integers(1, 5000), max_size=12),
       st.sampled_from(["gzip", "deflate-zlib", "deflate-raw", "gzip-2-members", "gzip-trailing-zeros"]))
def test_inflater_matches_zlib_for_any_chunking(data: bytes, cuts: list[int], kind: str):
    import gzip as gz
    import zlib

    if kind == "gzip":
        wire, enc = gz.compress(data), "gzip"
    elif kind == "gzip-2-members":
        wire, enc = gz.compress(data[: len(data) // 2]) + gz.compress(data[len(data) // 2 :]), "gzip"
    elif kind == "gzip-trailing-zeros":
        wire, enc = gz.compress(data) + b"\0" * 8, "gzip"
    elif kind == "deflate-zlib":
        wire, enc = zlib.compress(data), "deflate"
    else:
        c = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        wire, enc = c.compress(data) + c.flush(), "deflate"
    inf, out, pos = Inflater(enc), bytearray(), 0
    for n in cuts + [len(wire)]:
        out += inf.feed(wire[pos : pos + n], len(data) + 10 - len(out))
        pos += n
        if pos >= len(wire):
            break
    assert bytes(out) == data


@pytest.mark.parametrize("kind", ["gzip", "deflate-zlib", "deflate-raw"])
def test_inflater_one_byte_at_a_time(kind: str):
    import gzip as gz
    import zlib

    data = html_page("新闻", [ZH] * 20).encode()
    if kind == "gzip":
        wire, enc = gz.compress(data), "gzip"
    elif kind == "deflate-zlib":
        wire, enc = zlib.compress(data), "deflate"
    else:
        c = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        wire, enc = c.compress(data) + c.flush(), "deflate"
    inf = Inflater(enc)
    out = b"".join(inf.feed(wire[i : i + 1], 10**6) for i in range(len(wire)))
    assert out == data
