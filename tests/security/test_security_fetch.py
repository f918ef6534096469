"""SSRF through redirects, end to end on loopback: a "public" site that redirects inward.

A public address cannot be reached from CI, so the loopback fault server doubles as the
HTTP proxy the fetcher is configured with (httpx honours HTTP_PROXY like any client):
the fetcher believes it talks to 93.184.215.14 (a public address), the requests really
go to 127.0.0.1, and the server's log shows exactly what the fetcher asked for. Nothing
above the socket is faked. The rule under test (tasks.crawl.fetch): once a redirect chain has
touched a public address it may not go to a private, loopback, link-local or otherwise
non-global one, and never to a scheme other than http(s), unless
NEWSBRIDGE_ALLOW_PRIVATE_REDIRECTS is set.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from faultserver import FaultServer, Route, html_page
from tasks.crawl.fetch import Fetcher, request_for
from tasks.models import FetchDefaults, Source
from tasks.settings import Settings

PUBLIC = "http://93.184.215.14"  # a globally routable address; reached only through the proxy here


@pytest.fixture()
def proxy(monkeypatch):
    with FaultServer() as srv:
        for var in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy"):
            monkeypatch.delenv(var, raising=False)
        monkeypatch.setenv("HTTP_PROXY", srv.base_url)
        monkeypatch.setenv("http_proxy", srv.base_url)
        srv.add(f"{PUBLIC}/robots.txt", Route(status=404, body=b""))
        # Requests through a proxy name the absolute URL: serve both spellings.
        secret = Route(body=html_page("SECRET", ["internal"]).encode())
        srv.add("/secret", secret)
        srv.add(srv.url("/secret"), secret)
        srv.add(srv.url("/robots.txt"), Route(status=404, body=b""))
        yield srv


def _fetch(tmp_path: Path, url: str, allow_private: bool = False):
    defaults = FetchDefaults(min_delay_seconds=0, timeout_seconds=5)
    settings = Settings(allow_private_redirects=allow_private, max_attempts=1, backoff_base_seconds=0.01)
    with Fetcher(defaults, tmp_path / "out", settings=settings) as f:
        return f.fetch(request_for(Source(id="ssrf", url=url), f.defaults))


def _secret_requests(srv: FaultServer) -> list[str]:
    return [r.path for r in srv.requests if "secret" in r.path or "meta-data" in r.path]


def test_proxy_setup_really_reaches_the_public_page(tmp_path, proxy):
    """Control: without any redirect the public page is fetched through the proxy."""
    proxy.add(f"{PUBLIC}/news.html", Route(body=html_page("Tin", ["Một đoạn tin."]).encode()))
    r = _fetch(tmp_path, f"{PUBLIC}/news.html")
    assert r.outcome == "fetched", (r.reason, r.detail)
    assert f"{PUBLIC}/news.html" in [q.path for q in proxy.requests]


PRIVATE_TARGETS = [
    "http://127.0.0.1:{port}/secret",
    "http://localhost:{port}/secret",
    "http://[::1]:{port}/secret",
    "http://[::ffff:127.0.0.1]:{port}/secret",
    "http://2130706433:{port}/secret",  # 127.0.0.1 as one decimal number
    "http://0x7f000001:{port}/secret",  # ... as hex
    "http://127.1:{port}/secret",  # ... abbreviated
    "http://0.0.0.0:{port}/secret",  # reaches the local host on Linux
    "http://10.0.0.1/secret",
    "http://192.168.1.1/secret",
    "http://100.64.0.1/secret",  # carrier-grade NAT: not global
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://[fe80::1]/secret",
    "//127.0.0.1:{port}/secret",  # scheme-relative
]


@pytest.mark.parametrize("target", PRIVATE_TARGETS)
def test_public_to_private_redirect_is_refused_without_a_request(tmp_path, proxy, target):
    location = target.format(port=proxy.port)
    proxy.add(f"{PUBLIC}/go", Route(status=302, content_type=None, headers={"Location": location}))
    r = _fetch(tmp_path, f"{PUBLIC}/go")
    assert (r.outcome, r.reason) == ("rejected", "unsafe_redirect"), (r.outcome, r.reason, r.detail)
    assert _secret_requests(proxy) == []


def test_public_public_private_chain_is_refused_at_the_last_hop(tmp_path, proxy):
    proxy.add(f"{PUBLIC}/a", Route(status=301, content_type=None, headers={"Location": "http://93.184.215.15/b"}))
    proxy.add("http://93.184.215.15/robots.txt", Route(status=404, body=b""))
    proxy.add("http://93.184.215.15/b", Route(status=307, content_type=None, headers={"Location": f"http://127.0.0.1:{proxy.port}/secret"}))
    r = _fetch(tmp_path, f"{PUBLIC}/a")
    assert (r.outcome, r.reason) == ("rejected", "unsafe_redirect")
    assert "http://93.184.215.15/b" in [q.path for q in proxy.requests]  # the public hop was followed
    assert _secret_requests(proxy) == []


@pytest.mark.parametrize(
    "location",
    ["file:///etc/passwd", "ftp://93.184.215.14/x", "gopher://127.0.0.1:70/_x", "data:text/html,<p>x</p>",
     "javascript:alert(1)", "dict://127.0.0.1:11211/stat", "HTTP://127.0.0.1:{port}/secret"],
)
def test_scheme_changes_are_refused(tmp_path, proxy, location):
    proxy.add(f"{PUBLIC}/s", Route(status=302, content_type=None, headers={"Location": location.format(port=proxy.port)}))
    r = _fetch(tmp_path, f"{PUBLIC}/s")
    # data:/javascript: are not even URLs httpx can request: rejected as invalid, never followed.
    assert r.outcome == "rejected" and r.reason in ("unsafe_redirect", "invalid_url"), (r.reason, r.detail)
    assert _secret_requests(proxy) == []


def test_allow_private_redirects_is_an_explicit_opt_in(tmp_path, proxy):
    proxy.add(f"{PUBLIC}/go", Route(status=302, content_type=None, headers={"Location": f"http://127.0.0.1:{proxy.port}/secret"}))
    r = _fetch(tmp_path, f"{PUBLIC}/go", allow_private=True)
    assert r.outcome == "fetched" and r.final_url.endswith("/secret")
    assert _secret_requests(proxy)


def test_private_start_may_redirect_privately(tmp_path, proxy):
    """The operator's own URL is trusted (an intranet source); only public chains are restricted."""
    proxy.add(proxy.url("/start"), Route(status=302, content_type=None, headers={"Location": "/secret"}))
    r = _fetch(tmp_path, proxy.url("/start"))
    assert r.outcome == "fetched" and r.final_url.endswith("/secret")
