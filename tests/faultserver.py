"""A loopback HTTP server with configurable pages and faults, for tests and soak runs.

    with FaultServer() as srv:
        srv.page("/ok", html_page("Title", ["para"]))           # 200 text/html; charset=utf-8
        srv.fault("/gone", "404")                              # a named fault (see FAULTS)
        srv.add("/custom", Route(status=200, body=b"...", headers={"X": "1"}))
        srv.add("/flaky", Route(status=503), Route(status=200, body=b"<html>..."))  # sequence
        url = srv.url("/ok")
        ...
        assert srv.count("/flaky") == 2                        # the log is server-side
        srv.requests_for("/ok")[-1].headers["if-none-match"]

It binds 127.0.0.1 on an OS-chosen port, serves each request on its own daemon thread,
and keeps a log of every request (method, path, lower-cased headers, time) so tests can
assert what a client really sent. Routes can be replaced while it runs (thread-safe).
Unknown paths answer 404. `robots.txt` is an ordinary route.
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
import unicodedata
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Route:
    """One response. Routes given as a sequence are served in order; the last one repeats."""

    status: int = 200
    body: bytes | Callable[["RequestRecord"], bytes] = b""
    content_type: str | None = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the status line is sent (a slow server)
    drip: float = 0.0  # seconds between body chunks of `drip_size` bytes (a slow body)
    drip_size: int = 64
    etag: str | None = None  # answer 304 when the request's If-None-Match matches
    last_modified: str | None = None  # answer 304 when If-Modified-Since equals it
    gzip: bool = False  # gzip the body (Content-Encoding: gzip)
    content_encoding: str | None = None  # send this Content-Encoding with `body` as given
    content_length: int | None = None  # override Content-Length (lie about it)
    send_length: bool = True  # False: no Content-Length, close the connection to end the body
    reset: bool = False  # close the socket without answering (connection error)


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str  # path + query, as requested
    headers: dict[str, str]  # lower-cased names
    at: float  # time.monotonic() when the request line was read
    client: str


def html_page(title: str, paragraphs: Iterable[str], *, charset: str | None = "utf-8", lang: str | None = None,
              meta_charset: str | None = None) -> str:
    """A small article page as text; encode it yourself (any charset) to serve it."""
    meta = f'<meta charset="{meta_charset}">' if meta_charset else ""
    lang_attr = f' lang="{lang}"' if lang else ""
    paras = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html>\n<html{lang_attr}><head>{meta}<title>{title}</title></head>\n"
            f"<body><article><h1>{title}</h1>\n{paras}\n</article></body></html>\n")


def gzip_bomb(decompressed_bytes: int) -> bytes:
    """A gzip stream of zeros that inflates to `decompressed_bytes` (about 1000:1)."""
    c = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * (1 << 20)
    out = []
    left = decompressed_bytes
    while left > 0:
        n = min(left, len(block))
        out.append(c.compress(block[:n]))
        left -= n
    out.append(c.flush())
    return b"".join(out)


def encode_cp1258(text: str) -> bytes:
    """Encode Vietnamese as Windows-1258 does: precomposed base vowels + combining tone marks."""
    out = []
    for ch in text:
        try:
            out.append(ch.encode("cp1258"))
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", ch)
        base, marks = decomposed[0], list(decomposed[1:])
        for m in list(marks):
            c = unicodedata.normalize("NFC", base + m)
            if len(c) == 1:
                try:
                    c.encode("cp1258")
                except UnicodeEncodeError:
                    continue
                base = c
                marks.remove(m)
                break
        out.append((base + "".join(marks)).encode("cp1258"))
    return b"".join(out)



# Named faults: each returns the route sequence for a path. Soak tests can spray these.
FAULTS: dict[str, Callable[[], list[Route]]] = {
    "404": lambda: [Route(status=404, body=b"<html><body>not found</body></html>")],
    "410": lambda: [Route(status=410, body=b"<html><body>gone</body></html>")],
    "403": lambda: [Route(status=403, body=b"<html><body>forbidden</body></html>")],
    "500": lambda: [Route(status=500, body=b"<html><body>boom</body></html>")],
    "503": lambda: [Route(status=503, body=b"<html><body>busy</body></html>")],
    "429": lambda: [Route(status=429, headers={"Retry-After": "0"}, body=b"slow down")],
    "pdf": lambda: [Route(body=b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n",
                          content_type="application/pdf")],
    "empty": lambda: [Route(body=b"")],
    "reset": lambda: [Route(reset=True)],
}


# What newsbridge's fetcher records for each fault kind (None = fetched). Kinds with an
# argument are keyed by the part before ':'. Timing faults assume the client's timeout is
# shorter than the fault's delay; size faults assume max_bytes below the fault's size.
FAULT_REASONS: dict[str, str | None] = {
    "ok": None,
    "once": None,
    "404": "http_404",
    "410": "http_410",
    "403": "http_4xx",
    "500": "http_5xx",
    "503": "http_5xx",
    "429": "http_429",
    "pdf": "unsupported_content_type",
    "empty": "empty_body",
    "reset": "connection_error",
    "loop": "redirect_loop",
    "slow": "timeout",
    "drip": "timeout",
    "big": "too_large",
    "bomb": "too_large",
}


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def _serve(self, head: bool) -> None:
        owner = self.server.owner
        owner._enter()
        try:
            self._respond(head)
        finally:
            owner._leave()

    def _respond(self, head: bool) -> None:
        owner = self.server.owner
        rec = RequestRecord(
            method=self.command,
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            at=time.monotonic(),
            client=self.client_address[0],
        )
        route = owner._next_route(rec)
        if route is None:
            route = Route(status=404, body=b"<html><body>no such route</body></html>")
        if route.reset:
            try:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            except OSError:
                pass
            self.close_connection = True
            self.connection.close()
            return
        if route.delay:
            if owner._stopping.wait(route.delay):
                return
        body = route.body(rec) if callable(route.body) else route.body
        inm = rec.headers.get("if-none-match")
        ims = rec.headers.get("if-modified-since")
        not_modified = (route.etag is not None and inm is not None and route.etag in [t.strip() for t in inm.split(",")]) \
            or (route.last_modified is not None and ims == route.last_modified and inm is None)
        status = 304 if not_modified and 200 <= route.status < 300 else route.status
        if status == 304:
            body = b""
        elif route.gzip:
            body = gzip.compress(body, mtime=0)
        self.send_response(status)
        if route.content_type and status != 304:
            self.send_header("Content-Type", route.content_type)
        if route.etag:
            self.send_header("ETag", route.etag)
        if route.last_modified:
            self.send_header("Last-Modified", route.last_modified)
        if route.gzip and status != 304:
            self.send_header("Content-Encoding", "gzip")
        elif route.content_encoding:
            self.send_header("Content-Encoding", route.content_encoding)
        for k, v in route.headers.items():
            self.send_header(k, v)
        if route.send_length:
            self.send_header("Content-Length", str(route.content_length if route.content_length is not None else len(body)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if head or not body:
            return
        try:
            if route.drip:
                for i in range(0, len(body), route.drip_size):
                    if owner._stopping.wait(route.drip):
                        return
                    self.wfile.write(body[i : i + route.drip_size])
                    self.wfile.flush()
            else:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (too large, timeout): fine


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    owner: "FaultServer"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-response (too large, timeouts) are what faults look like.
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, OSError)):
            return
        super().handle_error(request, client_address)


class FaultServer:
    """Loopback HTTP server; see the module docstring."""

    def __init__(self, host: str = "127.0.0.1"):
        self._routes: dict[str, list[Route]] = {}
        self._served: dict[str, int] = {}
        self._log: list[RequestRecord] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._active = 0
        self.max_active = 0  # most requests in flight at once (server-side concurrency)
        self._httpd = _Server((host, 0), _Handler)
        self._httpd.owner = self
        self.host, self.port = self._httpd.server_address[:2]
        self._thread: threading.Thread | None = None

    # -- lifecycle
    def start(self) -> FaultServer:
        if self._thread is None:
            self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                            name=f"faultserver:{self.port}", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- routes
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def add(self, path: str, *routes: Route) -> str:
        """Serve `routes` at `path` in order (the last repeats); returns the full URL."""
        if not routes:
            raise ValueError("at least one Route")
        with self._lock:
            self._routes[path] = list(routes)
            self._served[path] = 0
        return self.url(path)

    def page(self, path: str, body: str | bytes, *, charset: str = "utf-8", content_type: str | None = None,
             **route_kw: Any) -> str:
        """A 200 HTML page. `body` str is encoded with `charset`; content_type defaults to
        'text/html; charset=<charset>' (pass content_type='text/html' to declare none)."""
        data = body.encode(charset) if isinstance(body, str) else body
        ctype = content_type if content_type is not None else f"text/html; charset={charset}"
        return self.add(path, Route(body=data, content_type=ctype, **route_kw))

    def fault(self, path: str, kind: str) -> str:
        """A named fault from FAULTS, or 'loop' (path -> path-b -> path), 'slow:<s>' (headers
        after s seconds), 'drip:<s>' (body chunks every s seconds), 'once:<code>' (code
        once, then a 200 page), 'bomb:<bytes>' (gzip bomb), 'big:<bytes>' (plain body)."""
        name, _, arg = kind.partition(":")
        if name == "loop":
            self.add(path, Route(status=302, content_type=None, headers={"Location": path + "-b"}))
            self.add(path + "-b", Route(status=302, content_type=None, headers={"Location": path}))
        elif name == "slow":
            self.add(path, Route(body=b"<html><body><p>slow</p></body></html>", delay=float(arg or 5)))
        elif name == "drip":
            self.add(path, Route(body=b"<html><body><p>" + b"x" * 4096 + b"</p></body></html>", drip=float(arg or 0.5)))
        elif name == "once":
            code = int(arg or 503)
            self.add(path, Route(status=code, body=b"busy", headers={"Retry-After": "0"}),
                     Route(body=b"<html><body><p>recovered</p></body></html>"))
        elif name == "bomb":
            self.add(path, Route(body=gzip_bomb(int(arg or 50_000_000)), content_encoding="gzip"))
        elif name == "big":
            n = int(arg or 20_000_000)
            self.add(path, Route(body=b"<html><body>" + b"a" * n + b"</body></html>"))
        elif name in FAULTS:
            self.add(path, *FAULTS[name]())
        else:
            raise ValueError(f"unknown fault {kind!r}; known: loop, slow, drip, once, bomb, big, {', '.join(FAULTS)}")
        return self.url(path)

    def site(self, kinds: Iterable[str], prefix: str = "/site", page_factory: Callable[[int], bytes] | None = None
             ) -> list[tuple[str, str]]:
        """Many pages at once: one path per entry of `kinds` ("ok" = a normal page, anything
        else = a fault for `fault()`); returns [(url, kind)] in order. Soak tests spray these
        and check outcomes with FAULT_REASONS[kind.split(':')[0]]."""
        out = []
        for i, kind in enumerate(kinds):
            path = f"{prefix}/{i}"
            if kind == "ok":
                body = page_factory(i) if page_factory else html_page(f"Page {i}", [f"Paragraph {i}."]).encode()
                url = self.page(path, body)
            else:
                url = self.fault(path, kind)
            out.append((url, kind))
        return out

    def robots(self, text: str, **route_kw: Any) -> None:
        self.add("/robots.txt", Route(body=text.encode("utf-8"), content_type="text/plain", **route_kw))

    def _next_route(self, rec: RequestRecord) -> Route | None:
        path = rec.path.split("?", 1)[0]
        with self._lock:
            self._log.append(rec)
            routes = self._routes.get(rec.path) or self._routes.get(path)
            key = rec.path if rec.path in self._routes else path
            if not routes:
                return None
            i = self._served[key]
            self._served[key] = i + 1
            return routes[min(i, len(routes) - 1)]

    def _enter(self) -> None:
        with self._lock:
            self._active += 1
            self.max_active = max(self.max_active, self._active)

    def _leave(self) -> None:
        with self._lock:
            self._active -= 1

    # -- the server-side log
    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._log)

    def requests_for(self, path: str) -> list[RequestRecord]:
        return [r for r in self.requests if r.path == path or r.path.split("?", 1)[0] == path]

    def count(self, path: str) -> int:
        return len(self.requests_for(path))

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()
            self.max_active = self._active
