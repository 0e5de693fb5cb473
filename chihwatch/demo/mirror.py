"""A small HTTP server for the mirror site: one state directory at a time, ETag/Last-Modified, 304s.

The mirror (fixtures/site/) holds the site in several states over time, one directory per state.
`MirrorServer` serves one of them on 127.0.0.1, answers conditional requests the way a well-behaved
web server does, and keeps a log of every request so tests can check what the crawler asked for.

A state directory holds files at their URL paths plus an optional `_manifest.json`:

    {"last_modified": {"/path.html": "2024-02-06T08:53:40+00:00", ...},
     "redirects": {"/old.html": {"status": 301, "location": "/new.html"}, ...},
     "content_type": {"/path.html": "text/html; charset=gb2312"}}

Paths ending in `/` are served from their `index.html`. The token `__MIRROR_PORT__` in a served
text file is replaced by the server's port: the mirror's "offsite" links point to
`http://localhost:__MIRROR_PORT__/...`, another host name for the same server, so a test can see in
the request log whether the crawler ever followed one (it must not).

Faults (issue 7) plug in through `MirrorServer.faults`: an ordered list of `(predicate, fault)`
pairs; the first fault whose predicate matches the request path answers the request instead of the
normal file handler (see `Fault`).
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import logging
import mimetypes
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from chihwatch.demo.bundled import mirror_site

__all__ = ["MirrorServer", "LoggedRequest", "Fault", "PORT_TOKEN", "BUNDLED_SITE"]

log = logging.getLogger(__name__)

# fixtures/site/ of a checkout, or its copy shipped as package data (chihwatch/demo/bundled.py).
BUNDLED_SITE = mirror_site()
PORT_TOKEN = b"__MIRROR_PORT__"
MANIFEST = "_manifest.json"
# Files whose bytes get the port substitution (never binary files).
_TEXT_SUFFIXES = {".html", ".htm", ".txt", ".xml", ".json"}
# Last-Modified when neither the manifest nor the file says better: fixed so that restarts agree.
_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class LoggedRequest:
    """One request the server answered (what tests read to see what the crawler did)."""

    method: str
    path: str  # path and query as sent
    host: str  # the Host header ("" when absent)
    headers: dict[str, str]
    status: int
    bytes: int  # body bytes sent
    state: str
    header_bytes: int = 0  # status line and headers sent
    at: float = field(default_factory=time.time)

    @property
    def conditional(self) -> bool:
        """Whether the request carried If-None-Match or If-Modified-Since."""
        names = {k.lower() for k in self.headers}
        return "if-none-match" in names or "if-modified-since" in names


class Fault(Protocol):
    """Answers a request instead of the file handler; returns the status and body bytes it sent.

    It may call `handler.record(status, nbytes)` before writing, so the request is in the log
    by the time the client has its answer; otherwise the server records it afterwards.
    """

    def __call__(
        self, handler: BaseHTTPRequestHandler, server: MirrorServer
    ) -> tuple[int, int]: ...


FaultPredicate = Callable[[str], bool]


@dataclass(frozen=True)
class _Resource:
    body: bytes
    content_type: str
    etag: str
    last_modified: datetime


class MirrorServer:
    """Serve a mirror state directory on 127.0.0.1 with ETag/Last-Modified and a request log."""

    def __init__(
        self, root: Path | str, host: str = "127.0.0.1", port: int = 0, *, state: str | None = None
    ):
        if host not in {"127.0.0.1", "localhost"}:
            raise ValueError("the mirror server binds 127.0.0.1 only")
        self.root = Path(root)
        self.host = "127.0.0.1"
        self._port = port
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], _Resource | None] = {}
        self._manifests: dict[str, dict] = {}
        self.request_log: list[LoggedRequest] = []
        self.faults: list[tuple[FaultPredicate, Fault]] = []
        states = self.states()
        self._state = state or (states[0] if states else ".")
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> MirrorServer:
        """Bind and serve in a background thread; returns self."""
        handler = _make_handler(self)
        self._httpd = ThreadingHTTPServer((self.host, self._port), handler)
        self._httpd.daemon_threads = True
        self._port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="mirror", daemon=True
        )
        self._thread.start()
        log.info("mirror serving %s (state %s) on %s", self.root, self._state, self.url)
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> MirrorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        """Base URL without trailing slash, e.g. http://127.0.0.1:8123."""
        return f"http://{self.host}:{self._port}"

    # -- states ------------------------------------------------------------------------------

    def states(self) -> list[str]:
        """State directory names under root, sorted (root itself when it has none)."""
        if not self.root.is_dir():
            raise FileNotFoundError(f"mirror root not found: {self.root}")
        names = sorted(
            p.name for p in self.root.iterdir() if p.is_dir() and p.name.startswith("state")
        )
        return names

    @property
    def state(self) -> str:
        return self._state

    def set_state(self, name: str) -> None:
        """Serve another state from now on (a name from `states()`, or "." for root itself)."""
        if name != "." and not (self.root / name).is_dir():
            raise FileNotFoundError(f"no mirror state {name!r} under {self.root}")
        with self._lock:
            self._state = name
        log.info("mirror state -> %s", name)

    def clear_log(self) -> None:
        """Forget logged requests (e.g. between two crawls of a test)."""
        with self._lock:
            self.request_log.clear()

    def log_since(self, index: int) -> list[LoggedRequest]:
        """Requests logged after the first `index` ones."""
        with self._lock:
            return list(self.request_log[index:])

    # -- serving -----------------------------------------------------------------------------

    def _manifest(self, state: str) -> dict:
        if state not in self._manifests:
            path = self.root / state / MANIFEST
            self._manifests[state] = json.loads(path.read_text("utf-8")) if path.exists() else {}
        return self._manifests[state]

    def _resolve(self, state: str, path: str) -> Path | None:
        base = (self.root / state).resolve()
        rel = path.lstrip("/")
        if rel == "" or rel.endswith("/"):
            rel += "index.html"
        target = (base / rel).resolve()
        # Never serve outside the state directory (../ in a path) nor the manifest itself.
        if base not in target.parents or target.name == MANIFEST:
            return None
        if target.is_dir():
            target = target / "index.html"
        return target if target.is_file() else None

    def resource(self, state: str, path: str) -> _Resource | None:
        """The file served at `path` in `state` (cached), or None for a 404."""
        key = (state, path)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        res = self._load(state, path)
        with self._lock:
            self._cache[key] = res
        return res

    def _load(self, state: str, path: str) -> _Resource | None:
        target = self._resolve(state, path)
        if target is None:
            return None
        body = target.read_bytes()
        if target.suffix in _TEXT_SUFFIXES:
            body = body.replace(PORT_TOKEN, str(self._port).encode())
        manifest = self._manifest(state)
        ctype = manifest.get("content_type", {}).get(path)
        if ctype is None:
            guessed = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            ctype = f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed
        lm_text = manifest.get("last_modified", {}).get(path)
        if lm_text:
            last_modified = datetime.fromisoformat(lm_text).astimezone(UTC)
        else:
            last_modified = _EPOCH
        etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
        return _Resource(body, ctype, etag, last_modified)

    def redirect_for(self, state: str, path: str) -> tuple[int, str] | None:
        """(status, location) when `path` is a redirect in `state`."""
        entry = self._manifest(state).get("redirects", {}).get(path)
        if entry is None:
            return None
        location = entry["location"].replace(PORT_TOKEN.decode(), str(self._port))
        return int(entry.get("status", 301)), location

    def fault_for(self, path: str) -> Fault | None:
        """The first injected fault whose predicate matches `path`."""
        for predicate, fault in list(self.faults):
            if predicate(path):
                return fault
        return None

    def _record(self, entry: LoggedRequest) -> None:
        with self._lock:
            self.request_log.append(entry)


def not_modified(res: _Resource, headers: dict[str, str]) -> bool:
    """RFC 9110 §13.2.2: If-None-Match decides when present, else If-Modified-Since."""
    inm = headers.get("if-none-match")
    if inm is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return "*" in tags or res.etag in tags
    ims = headers.get("if-modified-since")
    if ims:
        try:
            since = email.utils.parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return res.last_modified.replace(microsecond=0) <= since
    return False


class MirrorHandler(BaseHTTPRequestHandler):
    """Answers one request from `mirror` (set on the subclass _make_handler makes per server):
    a fault when one matches the path, else the state's file, redirect or 404, with validators."""

    mirror: MirrorServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without this, Nagle + delayed ACK add ~40 ms.
    disable_nagle_algorithm = True
    server_version = "chihwatch-mirror/1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        log.debug("mirror: " + format, *args)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def _serve(self, head: bool) -> None:
        self._state = self.mirror.state
        self._logged = False
        path = unquote(urlsplit(self.path).path) or "/"
        headers = {k.lower(): v for k, v in self.headers.items()}
        fault = self.mirror.fault_for(path)
        if fault is not None:
            status, nbytes = fault(self, self.mirror)
        else:
            status, nbytes = self._serve_file(self._state, path, headers, head)
        self.record(status, nbytes)

    def record(self, status: int, nbytes: int) -> None:
        """Log this request (once); called before the response is flushed so a client that has
        read its response always finds it in the log. Faults may call it themselves."""
        if self._logged:
            return
        self._logged = True
        self.mirror._record(
            LoggedRequest(
                method=self.command,
                path=self.path,
                host=self.headers.get("Host", ""),
                headers=dict(self.headers.items()),
                status=status,
                bytes=nbytes,
                state=self._state,
                header_bytes=sum(len(b) for b in getattr(self, "_headers_buffer", ())) + 2,
            )
        )

    def _serve_file(
        self, state: str, path: str, headers: dict[str, str], head: bool
    ) -> tuple[int, int]:
        redirect = self.mirror.redirect_for(state, path)
        if redirect is not None:
            status, location = redirect
            return self._send(status, b"", "text/html; charset=utf-8", head, {"Location": location})
        res = self.mirror.resource(state, path)
        if res is None:
            body = b"<!DOCTYPE html><html><head><title>404</title></head><body><h1>404 Not Found</h1></body></html>"
            return self._send(404, body, "text/html; charset=utf-8", head)
        validators = {
            "ETag": res.etag,
            "Last-Modified": email.utils.format_datetime(res.last_modified, usegmt=True),
            "Cache-Control": "max-age=0",
        }
        if not_modified(res, headers):
            return self._send(304, b"", None, head, validators)
        return self._send(200, res.body, res.content_type, head, validators)

    def _send(
        self,
        status: int,
        body: bytes,
        ctype: str | None,
        head: bool,
        extra: dict[str, str] | None = None,
    ) -> tuple[int, int]:
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        sent = len(body) if not head and status != 304 else 0
        self.record(status, sent)
        self.end_headers()
        if sent:
            self.wfile.write(body)
        return status, sent


def _make_handler(server: MirrorServer) -> type[BaseHTTPRequestHandler]:
    return type("Handler", (MirrorHandler,), {"mirror": server})
