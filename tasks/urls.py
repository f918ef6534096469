"""URL helpers, one definition of each, shared by every stage.

- `host_of`: the lower-cased host name, no port. Politeness (a host's gate and its
  Prefect limits) and shard planning go by it: http:// and https:// of one host, and
  every port of it, are one server.
- `host_port_of`: host[:port], lower-cased, the scheme's default port left out. An
  outlet's editions are told apart by it (two editions on one loopback address differ
  by port), and so are the hosts a redirect may stay on.
- `origin_of`: scheme://host[:port], what a robots.txt speaks for.
- `canonical_url` (and `classify_link`, which says why a link is none: `not_http:<scheme>`,
  `invalid_url`): the one form of an article URL (absolute, lower-cased scheme and host,
  no fragment or tracking parameters) that discovery, the frontier, extraction's link
  evidence and pairing compare.
"""

from __future__ import annotations

import re
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


_SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")


def classify_link(url: str, base: str | None = None) -> tuple[str | None, str | None]:
    """(canonical URL, None), or (None, why it is no URL we request): `not_http:<scheme>`
    (ftp:, mailto:, javascript:, data:...) or `invalid_url` (`http://[::1/x`, a bad port, no
    host). (None, None) for an empty link or a fragment of the same page. Never raises."""
    from courlan import normalize_url

    raw = (url or "").strip()
    if not raw or raw.startswith("#"):
        return None, None
    m = _SCHEME_RE.match(raw)
    if m and m.group(1).lower() not in ("http", "https"):
        return None, f"not_http:{m.group(1).lower()[:20]}"
    try:
        full = urljoin(base, raw) if base else raw
        parts = urlsplit(full)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError:
        return None, "invalid_url"
    if parts.scheme not in ("http", "https"):
        return None, f"not_http:{parts.scheme[:20]}" if parts.scheme else "invalid_url"
    if not host:
        return None, "invalid_url"
    try:
        return normalize_url(full, strict=True), None
    except Exception:  # noqa: BLE001 - courlan on a malformed URL: not a URL we use
        return None, "invalid_url"


def canonical_url(url: str, base: str | None = None) -> str | None:
    """Absolute, scheme and host lower-cased, fragment and tracking parameters dropped; None if
    not an http(s) URL we can request (`classify_link` says why). Never raises."""
    return classify_link(url, base)[0]
