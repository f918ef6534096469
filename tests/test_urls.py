"""tasks/urls.py: one host, one host[:port] and one origin for every stage."""

from __future__ import annotations

from tasks.urls import host_of, host_port_of, origin_of


def test_host_of_is_the_server_name() -> None:
    assert host_of("https://News.Example.vn:8443/a?b=1") == "news.example.vn"
    assert host_of("http://127.0.0.1:8001/x") == "127.0.0.1"
    assert host_of("not a url") == ""


def test_host_port_of_keeps_a_port_that_is_not_the_default() -> None:
    assert host_port_of("http://127.0.0.1:8001/a") == "127.0.0.1:8001"
    assert host_port_of("https://Example.vn:443/") == "example.vn"
    assert host_port_of("http://example.vn:80/") == "example.vn"
    assert host_port_of("http://example.vn:99999/") == "example.vn"  # an invalid port is no port


def test_origin_of() -> None:
    assert origin_of("https://Example.vn/a/b") == "https://example.vn"
    assert origin_of("http://127.0.0.1:8001/robots.txt") == "http://127.0.0.1:8001"
