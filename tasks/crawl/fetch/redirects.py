"""Redirects and SSRF: which address a chain may reach and whether its next hop is followed.

The SSRF rule: the operator's own initial URL is trusted (it may be on an intranet or
loopback), but once a redirect chain has touched a public address it may not reach a
private, loopback, link-local or otherwise non-global one (unless
`settings.allow_private_redirects`). A discovered article or feed may only be redirected
within its outlet's editions.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urljoin, urlsplit, urlunsplit

from tasks.urls import host_port_of

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def addresses(host: str) -> list[Address]:
    """The addresses a host name resolves to (an IP literal is itself); [] when it does not resolve."""
    host = host.strip("[]")
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError):
        return []
    out = []
    for info in infos:
        try:
            out.append(ipaddress.ip_address(info[4][0].split("%", 1)[0]))
        except ValueError:
            continue
    return out


def is_public_address(addr: Address) -> bool:
    """True for a globally routable address (not private, loopback, link-local, reserved...)."""
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr.is_global and not addr.is_multicast


def redirect_allowed(chain_public: bool, target_addrs: list[Address], allow_private: bool) -> bool:
    """SSRF rule: once the chain has touched a public address, it may not reach a private one.

    The operator's own initial URL is trusted (it may be on an intranet or loopback).
    Unresolvable targets pass here and fail at connect time.
    """
    if allow_private or not chain_public:
        return True
    return all(is_public_address(a) for a in target_addrs)


class AddressGuard:
    """The SSRF rule of one Fetcher (settings.allow_private_redirects turns it off)."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    def is_public_host(self, url: str) -> bool:
        if self.allow_private:
            return False  # the SSRF rule is off: spare the DNS lookups
        return any(is_public_address(a) for a in addresses(urlsplit(url).hostname or ""))

    def redirect_safe(self, chain_public: bool, target: str) -> bool:
        if self.allow_private or not chain_public:
            return True
        return redirect_allowed(chain_public, addresses(urlsplit(target).hostname or ""), False)


def next_hop(
    current: str,
    location: str,
    chain: list[str],
    chain_public: bool,
    guard: AddressGuard,
    hosts: tuple[str, ...] | list[str],
    max_redirects: int,
) -> tuple[str, str | None, str]:
    """(next URL, reason code it is not followed or None, detail) for a page's redirect.

    `chain`: the URLs so far (the first one asked for first); `hosts`: the host[:port]s
    the chain may reach (an outlet's editions), empty for any."""
    nxt = urljoin(current, location.strip())
    nxt = urlunsplit(urlsplit(nxt)._replace(fragment=""))
    np = urlsplit(nxt)
    if np.scheme not in ("http", "https") or not np.hostname:
        return nxt, "unsafe_redirect", f"redirect to non-http(s) URL {nxt!r}"
    if not guard.redirect_safe(chain_public, nxt):
        return nxt, "unsafe_redirect", f"redirect from a public address to private/loopback/link-local {nxt}"
    if hosts and host_port_of(nxt) not in hosts:
        return nxt, "off_site_redirect", f"redirect to {nxt}, outside {', '.join(hosts)}"
    if nxt in chain:
        return nxt, "redirect_loop", " -> ".join(chain + [nxt])
    if len(chain) > max_redirects:
        return nxt, "too_many_redirects", f"more than {max_redirects} redirects"
    return nxt, None, ""
