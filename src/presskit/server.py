"""The preview's HTTP side: serves the last complete build from memory, safely, with live reload.

Only the files of the built site are served (a dictionary lookup, so no path can climb out),
only GET and HEAD, only to requests whose Host is the address listened on (a web page elsewhere
must not read embargoed releases through DNS rebinding).
"""

from __future__ import annotations

import contextlib
import html
import ipaddress
import json
import mimetypes
import re
import select
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from presskit.render import OutputFile

LIVE = "/__presskit__/"
LIVE_SCRIPT = resources.files("presskit").joinpath("live.js").read_bytes()
KEEPALIVE_SECONDS = 15.0
GONE_CHECK_SECONDS = 0.5  # how soon a closed tab's connection is noticed and freed
MAX_CONNECTIONS = 64  # open at once; more are answered "busy" and closed
IDLE_SECONDS = 30.0  # a connection that sends no request for this long is closed
WHOLE_SECONDS = 30.0  # the longest a request waits for a file its build makes after its pages
TEXT_TYPES = ("text/", "application/xml", "application/atom+xml", "application/json",
              "application/javascript", "image/svg+xml")


@dataclass(frozen=True)
class Snapshot:
    """One complete build as served: its files, its number, and the error after it, if any."""

    files: dict[str, OutputFile]
    build: int
    previous: int = 0
    error: str = ""  # what the last rebuild failed with; the files are the last good build
    css_only: bool = False  # this build changed only style sheets
    notice: str = ""  # something the preview says over the page (not an error)
    # Files of this build still being made (paths, or the folders they are in), served as the
    # build before had them until then: a request for one waits for them (see Site.whole).
    later: tuple[str, ...] = ()

    def made(self, path: str) -> bytes | None:
        """The bytes of a file presskit made (a page, a feed, a search index file), whether
        kept in memory or in the preview's part of the cache; None for one it does not have."""
        file = self.files.get(path)
        if file is None or file.data is not None:
            return file.data if file is not None else None
        try:
            return file.source.read_bytes() if file.source is not None else None
        except OSError:
            return None


class Site(Protocol):
    """What the server needs from the preview: the current snapshot, and a way to wait."""

    def snapshot(self) -> Snapshot: ...

    def wait_for_change(self, build: int, error: str, notice: str, timeout: float) -> Snapshot: ...

    def whole(self, build: int, timeout: float) -> Snapshot: ...

    def told(self, stream: int, build: int | None) -> None: ...

    def allowed_roots(self) -> tuple[Path, ...]: ...

    def status(self) -> dict[str, object]: ...

    def progress(self) -> str: ...


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], site: Site) -> None:
        self.site = site
        self.stopping = threading.Event()
        self.slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.address_family = family
        super().__init__(address, _Handler)
        self.allowed_hosts = _allowed_hosts(address[0], self.server_address[1])

    def handle_error(self, request: object, client_address: object) -> None:
        """A request that failed outside its answer: a browser that went away half-way (a
        reload, a closed tab, a connection reset) is no error, and nothing else is said as a
        traceback (socketserver printed one, in the terminal of the person writing); the
        preview goes on."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)) or self.stopping.is_set():
            return
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.write(f"presskit: a request to the preview failed ({type(error).__name__}: "
                             f"{error}); the preview goes on.\n")

    def process_request(self, request: socket.socket, client_address: object) -> None:
        """A thread per connection, up to MAX_CONNECTIONS; past that a short "busy" answer."""
        if not self.slots.acquire(blocking=False):
            with contextlib.suppress(OSError):
                request.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                                b"Retry-After: 1\r\nConnection: close\r\n\r\n")
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request: socket.socket, client_address: object) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def shutdown(self) -> None:
        self.stopping.set()
        super().shutdown()


def _allowed_hosts(host: str, port: int) -> Callable[[str], bool]:
    """Which Host headers to answer: the listening address, by name or number, and its port."""
    loopback = host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")
    names = {"localhost", "127.0.0.1", "[::1]"} if loopback else {host.lower(), f"[{host.lower()}]"}

    def allowed(header: str) -> bool:
        match = re.fullmatch(r"(\[[0-9a-fA-F:.]+\]|[^:\[\]]+)(?::(\d+))?", header.strip())
        if not match:
            return False
        name, given_port = match.group(1).lower(), match.group(2)
        if int(given_port or 80) != port:
            return False
        if name in names:
            return True
        if host in ("0.0.0.0", "::"):  # listening everywhere: numeric addresses cannot be rebound
            try:
                ipaddress.ip_address(name.strip("[]"))
                return True
            except ValueError:
                return False
        return False

    return allowed


class _Handler(BaseHTTPRequestHandler):
    server: PreviewServer
    protocol_version = "HTTP/1.1"
    server_version = "presskit-preview"
    sys_version = ""
    timeout = IDLE_SECONDS  # a connection left idle (or half-sent) does not keep its thread

    def log_message(self, format: str, *args: object) -> None:
        pass  # the terminal is for build messages, not for every request

    def do_HEAD(self) -> None:
        self.answer(head=True)

    def do_GET(self) -> None:
        self.answer(head=False)

    def refuse_method(self) -> None:
        self.send_plain(HTTPStatus.METHOD_NOT_ALLOWED, "Only GET and HEAD.\n", {"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = refuse_method

    def answer(self, head: bool) -> None:
        try:
            if not self.server.allowed_hosts(self.headers.get("Host", "")):
                self.send_plain(HTTPStatus.MISDIRECTED_REQUEST,
                                "This preview answers only at the address it printed.\n")
                return
            path = _site_path(self.path)
            if path is None:
                self.send_plain(HTTPStatus.BAD_REQUEST, "Bad path.\n")
                return
            if path.startswith(LIVE):
                self.live(path[len(LIVE):], head)
                return
            self.file(path, head)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def file(self, path: str, head: bool) -> None:
        snapshot = self.server.site.snapshot()
        if not snapshot.files:  # no build has succeeded yet: its progress, or the error
            progress = self.server.site.progress()
            text, refresh = "The site could not be built yet.", ""
            if progress and not snapshot.error:
                text = (f"Building the preview: {html.escape(progress)}. This page shows the site "
                        "as soon as it is ready.")
                refresh = '<meta http-equiv="refresh" content="1">'  # the count moves on
            page = (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8>{refresh}<title>presskit "
                    f"preview</title></head><body><p role=status>{text}</p></body></html>").encode()
            self.send_bytes(HTTPStatus.SERVICE_UNAVAILABLE, _inject(page, snapshot.build),
                            "text/html; charset=utf-8", head, {"Retry-After": "1"})
            return
        key = path.lstrip("/")
        if key == "" or key.endswith("/"):
            key += "index.html"
        if snapshot.later and key.startswith(snapshot.later):
            # Made after the pages (a search index whose numbers moved): never half of each build.
            snapshot = self.server.site.whole(snapshot.build, WHOLE_SECONDS)
        found = snapshot.files.get(key)
        if found is None and f"{key}/index.html" in snapshot.files:
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", path + "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status = HTTPStatus.OK
        if found is None:
            status, found = HTTPStatus.NOT_FOUND, snapshot.files.get("404.html")
            if found is None:
                self.send_plain(status, "Not found.\n")
                return
            key = "404.html"
        data = self.read(found)
        if data is None:
            self.send_plain(HTTPStatus.NOT_FOUND, "Not found.\n")
            return
        kind = _content_type(key)
        if kind.startswith("text/html"):
            data = _inject(data, snapshot.build)
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def read(self, file: OutputFile) -> bytes | None:
        if file.data is not None:
            return file.data
        if file.source is None:
            return None
        real = file.source.resolve()
        if not any(real.is_relative_to(root) for root in self.server.site.allowed_roots()):
            return None  # a symbolic link that leads out of the site
        try:
            return real.read_bytes()
        except OSError:
            return None

    def live(self, name: str, head: bool) -> None:
        if name == "live.js":
            self.send_bytes(HTTPStatus.OK, LIVE_SCRIPT, "application/javascript; charset=utf-8", head)
        elif name == "status":
            body = json.dumps(self.server.site.status()).encode()
            self.send_bytes(HTTPStatus.OK, body, "application/json", head)
        elif name == "events" and not head:
            self.events()
        else:
            self.send_plain(HTTPStatus.NOT_FOUND, "Not found.\n")

    def events(self) -> None:
        """Server-Sent Events: the state now, then after every rebuild, until the tab goes."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        site = self.server.site
        snapshot = site.snapshot()
        try:
            self.send_state(snapshot)
            site.told(id(self), snapshot.build)
            quiet_since = time.monotonic()
            while not self.server.stopping.is_set():
                latest = site.wait_for_change(snapshot.build, snapshot.error, snapshot.notice,
                                              GONE_CHECK_SECONDS)
                if self.client_gone():
                    return  # the tab was closed: its thread and connection are freed now
                if (latest.build, latest.error, latest.notice) == (snapshot.build, snapshot.error,
                                                                   snapshot.notice):
                    if time.monotonic() - quiet_since >= KEEPALIVE_SECONDS:
                        self.wfile.write(b": keep-alive\n\n")
                        self.wfile.flush()
                        quiet_since = time.monotonic()
                    continue
                snapshot = latest
                self.send_state(snapshot)
                site.told(id(self), snapshot.build)  # a move's rest waits for this (serve.Preview)
                quiet_since = time.monotonic()
        finally:
            site.told(id(self), None)

    def client_gone(self) -> bool:
        """Whether the other end closed the connection (an event stream's tab sends nothing)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def send_state(self, snapshot: Snapshot) -> None:
        state = {"build": snapshot.build, "previous": snapshot.previous, "error": snapshot.error,
                 "css_only": snapshot.css_only, "notice": snapshot.notice}
        self.wfile.write(f"event: state\ndata: {json.dumps(state)}\n\n".encode())
        self.wfile.flush()

    def send_plain(self, status: HTTPStatus, text: str, headers: dict[str, str] | None = None) -> None:
        self.send_bytes(status, text.encode(), "text/plain; charset=utf-8", False, headers)

    def send_bytes(self, status: HTTPStatus, data: bytes, kind: str, head: bool,
                   headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(data)


def _site_path(raw: str) -> str | None:
    """The decoded path of a request target, or None if it tries anything but a plain path."""
    if not raw.startswith("/") or raw.startswith("//"):
        return None
    try:
        path = unquote(urlsplit(raw).path, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return None
    if "\x00" in path or "\\" in path:
        return None
    if any(segment in (".", "..") for segment in path.split("/")):
        return None
    return path


def _content_type(key: str) -> str:
    if key.endswith(".xml"):
        kind = "application/atom+xml" if key.endswith("feed.xml") else "application/xml"
    else:
        kind = mimetypes.guess_type(key)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith(TEXT_TYPES) else kind


def _inject(html: bytes, build: int) -> bytes:
    """The live-reload script, put into served pages only."""
    tag = f'<script src="{LIVE}live.js" data-build="{build}"></script>'.encode()
    at = html.rfind(b"</body>")
    return html[:at] + tag + html[at:] if at >= 0 else html + tag
