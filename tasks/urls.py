"""URL helpers, one definition of each, shared by every stage.

- `host_of`: the lower-cased host name, no port. Politeness (a host's gate and its
  Prefect limits) and shard planning go by it: http:// and https:// of one host, and
  every port of it, are one server.
- `host_port_of`: host[:port], lower-cased, the scheme's default port left out. An
  outlet's editions are told apart by it (two editions on one loopback address differ
  by port), and so are the hosts a redirect may stay on.
- `origin_of`: scheme://host[:port], what a robots.txt speaks for.
- `canonical_url`: the one form of an article URL (absolute, lower-cased scheme and host,
  no fragment or tracking parameters) that discovery, the frontier, extraction's link
  evidence and pairing compare.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def host_of(url: str) -> str:
    """'https://News.Example.vn:8443/a' -> 'news.example.vn'."""
    return (urlsplit(url).hostname or "").lower()


def host_port_of(url: str) -> str:
    """'http://127.0.0.1:8001/a' -> '127.0.0.1:8001'; 'https://example.vn:443/' -> 'example.vn'."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{host}:{port}" if port is not None and port != _DEFAULT_PORTS.get(parts.scheme) else host


def origin_of(url: str) -> str:
    """'https://Example.vn/a/b' -> 'https://example.vn': the origin a robots.txt speaks for."""
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc.lower()}"


def canonical_url(url: str, base: str | None = None) -> str | None:
    """Absolute, scheme and host lower-cased, fragment and tracking parameters dropped; None if not http(s)."""
    from courlan import normalize_url

    url = (url or "").strip()
    if not url or url.startswith(("javascript:", "mailto:", "tel:", "data:")):
        return None
    if base:
        url = urljoin(base, url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    try:
        return normalize_url(url, strict=True)
    except Exception:  # noqa: BLE001 - courlan on a malformed URL: not a URL we use
        return None
