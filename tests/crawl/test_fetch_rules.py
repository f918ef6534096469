"""The fetch package's pure rules, one seam each: the request a source becomes, what a
final HTTP status means, the next hop of a redirect chain, and the one host-gate protocol
(tasks/crawl/fetch/: request.py, reasons.py, redirects.py, gates.py). The same rules run
end to end against loopback servers in test_fetch.py and tests/security/test_security_fetch.py."""

from __future__ import annotations

import inspect

import pytest

from tasks.crawl.fetch.gates import HostGate, HostGates, LocalHostGate
from tasks.crawl.fetch.reasons import FEED_TYPES, HTML_TYPES, REASONS, outcome_of, status_reason
from tasks.crawl.fetch.redirects import AddressGuard, next_hop
from tasks.crawl.fetch.request import request_for
from tasks.models import Discovery, FetchDefaults, Source


def test_a_source_becomes_a_request_with_its_overrides_and_outlet_hosts():
    defaults = FetchDefaults(min_delay_seconds=1.0, per_host_concurrency=2)
    listed = request_for(Source(id="a", url="http://x.test/a.html"), defaults)
    assert (listed.key, listed.url, listed.min_delay, listed.concurrency, listed.hosts, listed.accept) == (
        "a", "http://x.test/a.html", 1.0, 2, (), HTML_TYPES)
    found = Source(id="b", url="http://x.test/b.html", min_delay_seconds=3.0, per_host_concurrency=1,
                   discovery=Discovery(outlet="o", edition="vi", via="feed", hosts=["x.test", "y.test:8080"]))
    feed = request_for(found, defaults, FEED_TYPES)
    assert (feed.min_delay, feed.concurrency, feed.hosts, feed.accept) == (3.0, 1, ("x.test", "y.test:8080"), FEED_TYPES)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, None), (204, None),
        (301, ("rejected", "http_3xx")), (300, ("rejected", "http_3xx")),
        (404, ("rejected", "http_404")), (410, ("rejected", "http_410")), (403, ("rejected", "http_4xx")),
        (429, ("failed", "http_429")), (503, ("failed", "http_5xx")), (101, ("failed", "connection_error")),
    ],
)
def test_what_a_final_status_means(status, expected):
    got = status_reason(status)
    assert (got if got is None else got[:2]) == expected
    if got is not None:
        assert outcome_of(got[1]) == got[0] and got[1] in REASONS


def test_next_hop_resolves_drops_the_fragment_and_keeps_the_chain_rules():
    guard = AddressGuard(allow_private=True)
    chain = ["http://a.test/x"]
    assert next_hop("http://a.test/x", " /y#top ", chain, False, guard, (), 5) == ("http://a.test/y", None, "")
    assert next_hop("http://a.test/x", "ftp://a.test/f", chain, False, guard, (), 5)[1] == "unsafe_redirect"
    assert next_hop("http://a.test/x", "http://b.test/y", chain, False, guard, ("a.test",), 5)[1] == "off_site_redirect"
    assert next_hop("http://a.test/x", "http://a.test:8080/y", chain, False, guard, ("a.test:8080",), 5)[1] is None
    assert next_hop("http://a.test/y", "/x", ["http://a.test/x", "http://a.test/y"], False, guard, (), 5)[1] == "redirect_loop"
    long_chain = [f"http://a.test/{i}" for i in range(3)]
    assert next_hop(long_chain[-1], "/next", long_chain, False, guard, (), 2)[1] == "too_many_redirects"


def test_a_public_chain_may_not_reach_a_private_address():
    guard = AddressGuard(allow_private=False)
    assert guard.is_public_host("http://93.184.215.14/") and not guard.is_public_host("http://127.0.0.1/")
    assert next_hop("http://93.184.215.14/a", "http://127.0.0.1/secret", ["http://93.184.215.14/a"], True, guard, (), 5)[1] == "unsafe_redirect"
    # The operator's own (private) start is trusted: a private chain may stay private.
    assert next_hop("http://127.0.0.1/a", "http://10.0.0.1/b", ["http://127.0.0.1/a"], False, guard, (), 5)[1] is None
    assert AddressGuard(allow_private=True).redirect_safe(True, "http://127.0.0.1/secret")


def test_one_gate_protocol_for_the_local_and_the_shared_gate():
    from flows.limits import SharedHostGate

    wanted = {name for name, member in inspect.getmembers(HostGate, inspect.isfunction) if not name.startswith("_")}
    assert wanted == {"acquire", "wait_turn", "push_back", "release"}
    for gate in (LocalHostGate, SharedHostGate):
        assert wanted <= {name for name, _ in inspect.getmembers(gate, inspect.isfunction)}
    assert HostGate in SharedHostGate.__mro__  # declared, not only shaped alike


def test_gates_are_per_server_name_and_made_by_the_factory():
    made: list[str] = []

    def factory(host: str) -> HostGate:
        made.append(host)
        return LocalHostGate()

    gates = HostGates(factory)
    a = gates.for_url("http://News.test/a")
    assert gates.for_url("https://news.test:8443/b") is a  # http and https of one server share it
    assert gates.for_url("http://other.test/") is not a
    assert made == ["news.test", "other.test"]
    assert isinstance(HostGates().for_url("http://x.test/"), LocalHostGate)
