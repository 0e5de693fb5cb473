"""A fault-injecting mode for the mirror server: the ways a live news site fails, on 127.0.0.1.

Each fault is a callable for `MirrorServer.faults` (see chihwatch.demo.mirror.Fault): it answers one
request in place of the normal file handler. `FaultPlan` installs faults on a running server for
chosen paths (optionally only for the first N requests), and `CATALOGUE` names every fault the
issue-7 tests inject, so the tests, bench/faults.py and `python -m tests.support.faults` share them:

    500 / 503, stall (timeout), trickle (very slow), drop (connection closed mid-body),
    truncated HTML, empty 200, wrong charset, missing charset, GBK bytes declared UTF-8,
    huge page (beyond DOWNLOAD_MAXSIZE), gzip bomb, redirect loop, redirect offsite (another
    host: 127.0.0.2 or a made-up name), redirect to file:// / ftp://, 404 for a known page,
    template change that hides the article body.

`Canary` listens on another loopback address (127.0.0.2) and records any connection: a redirect
offsite points there, and a test asserts nobody ever came.
"""

from __future__ import annotations

import argparse
import gzip
import logging
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import unquote, urlsplit

from chihwatch.demo.mirror import BUNDLED_SITE, Fault, MirrorServer

__all__ = [
    "CATALOGUE",
    "churn",
    "Canary",
    "FaultPlan",
    "FaultSpec",
    "delayed",
    "drop_mid_body",
    "extra_links",
    "empty_200",
    "gbk_declared_utf8",
    "gzip_bomb",
    "hidden_body",
    "huge_page",
    "recharset",
    "redirect",
    "redirect_loop",
    "stall",
    "status",
    "trickle",
    "truncated",
    "truncated_in_body",
    "unzoned",
]

log = logging.getLogger(__name__)

# A 404/5xx body as a real server sends it: HTML, but no article.
_ERROR_PAGE = (
    "<!DOCTYPE html><html><head><title>{code}</title></head>"
    "<body><h1>{code} {reason}</h1><p>nginx</p></body></html>"
)
_REASONS = {
    404: "Not Found",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
# Released when a plan is cleared or the server stops, so stalled handlers never outlive a test.
_STOP_POLL = 0.05


def _path(handler: BaseHTTPRequestHandler) -> str:
    return unquote(urlsplit(handler.path).path) or "/"


def _original(handler: BaseHTTPRequestHandler, server: MirrorServer) -> tuple[bytes, str]:
    """The body and Content-Type the mirror would have sent for this request (the page to damage)."""
    res = server.resource(server.state, _path(handler))
    if res is None:
        raise LookupError(f"fault on {_path(handler)}: the mirror has no such page to damage")
    return res.body, res.content_type


def _send(
    handler: BaseHTTPRequestHandler,
    code: int,
    body: bytes,
    ctype: str | None = "text/html; charset=utf-8",
    extra: dict[str, str] | None = None,
    *,
    length: int | None = None,
) -> tuple[int, int]:
    """Status line, headers, body; `length` overrides Content-Length (a lie, for drop faults)."""
    handler.send_response(code)
    if ctype is not None:
        handler.send_header("Content-Type", ctype)
    for name, value in (extra or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body) if length is None else length))
    handler.end_headers()
    sent = 0
    if handler.command != "HEAD" and body:
        try:
            handler.wfile.write(body)
            handler.wfile.flush()
            sent = len(body)
        except (
            OSError
        ):  # the client gave up (size limit, timeout): that is the point of some faults
            handler.close_connection = True
    return code, sent


def _hang_up(handler: BaseHTTPRequestHandler) -> None:
    """Close the TCP connection now, without finishing the response."""
    handler.close_connection = True
    try:
        handler.wfile.flush()
    except OSError:
        pass
    try:
        handler.connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


# -- the faults ---------------------------------------------------------------------------------


def status(code: int) -> Fault:
    """An HTTP error status (500, 503, 404...) with a small HTML error page."""

    def fault(handler: BaseHTTPRequestHandler, server: MirrorServer) -> tuple[int, int]:
        body = _ERROR_PAGE.format(code=code, reason=_REASONS.get(code, "Error")).encode()
        extra = {"Retry-After": "1"} if code == 503 else None
        return _send(handler, code, body, extra=extra)

    return fault


def stall(seconds: float, stop: threading.Event | None = None) -> Fault:
    """Accept the request, send nothing for `seconds`, then hang up (a read timeout)."""

    def fault(handler: BaseHTTPRequestHandler, server: MirrorServer) -> tuple[int, int]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not (stop and stop.is_set()):
            time.sleep(_STOP_POLL)
        _hang_up(handler)
        return 0, 0

    return fault


def delayed(seconds: float, stop: threading.Event | None = None) -> Fault:
    """The normal answer (304s included), after `seconds`: a slow site, to spread a crawl out in time."""

    def fault(handler: BaseHTTPRequestHandler, server: MirrorServer) -> tuple[int, int]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not (stop and stop.is_set()):
            time.sleep(min(_STOP_POLL, seconds))
        headers = {k.lower(): v for k, v in handler.headers.items()}
        serve = handler._serve_file  # type: ignore[attr-defined]  # the mirror's own file handler
        return serve(server.state, _path(handler), headers, handler.command == "HEAD")

    return fault


def trickle(total_seconds: float, chunks: int = 20, stop: threading.Event | None = None) -> Fault:
    """The real page, but sent in `chunks` pieces spread over `total_seconds` (a very slow server)."""

    def fault(handler: BaseHTTPRequestHandler, server: MirrorServer) -> tuple[int, int]:
        body, ctype = _original(handler, server)
        handler.send_response(200)
        handler.send_header("Content-Type", ctype)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        step = max(1, -(-len(body) // chunks))
        sent = 0
        try:
            for i in range(0, len(body), step):
                if stop and stop.is_set():
                    break
                handler.wfile.write(body[i : i + step])
                handler.wfile.flush()
                sent += len(body[i : i + step])
                time.sleep(total_seconds / chunks)
        except OSError:
            handler.close_connection = True
        if sent < len(body):
            _hang_up(handler)
        return 200, sent

    return fault


def drop_mid_body(fraction: float = 0.5) -> Fault:
    """Headers promise the whole page (Content-Length), then the connection closes part-way."""

    def fault(handler: BaseHTTPRequestHandler, server: MirrorServer) -> tuple[int, int]:
        body, ctype = _original(handler, server)
        part = body[: int(len(body) * fraction)]
        code, sent = _send(handler, 200, part, ctype, length=len(body))
        _hang_up(handler)
        return code, sent

    return fault


def truncated(fraction: float = 0.35) -> Fault:
    """A complete HTTP response whose HTML stops part-way (a CMS that died while rendering)."""

    def fault(handler: BaseHTTPRequestHandler, server: MirrorServer) -> tuple[int, int]:
        body, ctype = _original(handler, server)
        cut = body[: int(len(body) * fraction)]
        # Never cut inside a UTF-8 sequence: the fault is missing HTML, not a decoding error.
        cut = cut.decode("utf-8", "ignore").encode("utf-8") if "utf-8" in ctype.lower() else cut
        return _send(handler, 200, cut, ctype)

    return fault


def truncated_in_body(keep: float = 0.7) -> Fault:
    """A complete HTTP response whose HTML stops inside the article, after `keep` of its paragraphs."""

    def fault(handler: BaseHTTPRequestHandler, server: MirrorServer) -> tuple[int, int]:
        body, ctype = _original(handler, server)
        # Article paragraphs are the long ones; footers and sidebars hold short <p>s.
        ends = [
            m.end()
            for m in re.finditer(rb"<p\b[^>]*>(.*?)</p>", body, re.IGNORECASE | re.DOTALL)
            if len(re.sub(rb"<[^>]+>", b"", m.group(1))) > 60
        ]
        cut = ends[max(0, int(len(ends) * keep) - 1)] if ends else len(body) // 2
        return _send(handler, 200, body[:cut], ctype)

    return fault


def empty_200() -> Fault:
    """200 OK with an empty body."""

    def fault(handler: BaseHTTPRequestHandler, server: MirrorServer) -> tuple[int, int]:
        return _send(handler, 200, b"", "text/html; charset=utf-8")

    return fault


_META_CHARSET_RE = r"<meta[^>]*charset\s*=\s*[\"']?[\w-]+[\"']?[^>]*>"
_META_CHARSET = re.compile(_META_CHARSET_RE, re.IGNORECASE)
_META_CHARSET_B = re.compile(_META_CHARSET_RE.encode(), re.IGNORECASE)


def recharset(header_charset: str | None, *, strip_meta: bool = False) -> Fault:
    """The real bytes with another charset in the header (None: no charset at all)."""

    def fault(handler: BaseHTTPRequestHandler, server: MirrorServer) -> tuple[int, int]:
        body, _ctype = _original(handler, server)
        if strip_meta:
            body = _META_CHARSET_B.sub(b"", body)
        ctype = "text/html" + (f"; charset={header_charset}" if header_charset else "")
        return _send(handler, 200, body, ctype)

    return fault


def gbk_declared_utf8() -> Fault:
    """The page re-encoded as GBK, while the header and the <meta> both still say UTF-8."""

    def fault(handler: BaseHTTPRequestHandler, server: MirrorServer) -> tuple[int, int]:
        body, ctype = _original(handler, server)
        text = _decode(body, ctype)
        text = _META_CHARSET.sub('<meta charset="utf-8">', text)
        return _send(
            handler, 200, text.encode("gbk", "xmlcharrefreplace"), "text/html; charset=utf-8"
        )

    return fault


def _decode(body: bytes, ctype: str) -> str:
    """The page's text: declared charset, else UTF-8, else GB18030 (what the mirror's pages use)."""
    m = re.search(r"charset=([\w-]+)", ctype, re.IGNORECASE)
    for codec in ([m.group(1)] if m else []) + ["utf-8", "gb18030"]:
        try:
            return body.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    return body.decode("gb18030", "replace")


def huge_page(size: int) -> Fault:
    """A page of `size` bytes (the real page padded with comments): beyond the size limit."""

    def fault(handler: BaseHTTPRequestHandler, server: MirrorServer) -> tuple[int, int]:
        body, ctype = _original(handler, server)
        pad = b"<!-- " + b"x" * 1018 + b" -->\n"
        need = max(0, size - len(body))
        filler = pad * (need // len(pad) + 1)
        page = body.replace(b"</body>", filler[:need] + b"</body>", 1)
        return _send(handler, 200, page, ctype)

    return fault


def gzip_bomb(expanded: int) -> Fault:
    """Content-Encoding: gzip of a tiny body that inflates to `expanded` bytes."""
    # Built once per fault: ~expanded/1000 bytes on the wire.
    payload = gzip.compress(b"<html><body><p>" + b"\0" * expanded + b"</p></body></html>", 9)

    def fault(handler: BaseHTTPRequestHandler, server: MirrorServer) -> tuple[int, int]:
        return _send(
            handler, 200, payload, "text/html; charset=utf-8", {"Content-Encoding": "gzip"}
        )

    return fault


def redirect(location: str, code: int = 302) -> Fault:
    """A redirect to `location` (`{port}` is replaced by the mirror's port)."""

    def fault(handler: BaseHTTPRequestHandler, server: MirrorServer) -> tuple[int, int]:
        return _send(
            handler, code, b"", extra={"Location": location.replace("{port}", str(server.port))}
        )

    return fault


def redirect_loop(code: int = 302) -> Fault:
    """Each request redirects to the same path with one more `?hop=N`: a loop that never settles."""

    def fault(handler: BaseHTTPRequestHandler, server: MirrorServer) -> tuple[int, int]:
        parts = urlsplit(handler.path)
        m = re.search(r"hop=(\d+)", parts.query or "")
        hop = int(m.group(1)) + 1 if m else 1
        # Alternates between two URLs too, so neither a "same URL" check nor a counter alone stops it.
        return _send(handler, code, b"", extra={"Location": f"{parts.path}?hop={hop}"})

    return fault


_BODY_CONTAINERS = re.compile(
    rb'(<div[^>]*(?:class="[^"]*(?:content|detail-content|article)[^"]*"|id="(?:detailContent|content|article)")[^>]*>)',
    re.IGNORECASE,
)


def hidden_body() -> Fault:
    """A template change: the article text is gone from the HTML (loaded by a script instead)."""

    def fault(handler: BaseHTTPRequestHandler, server: MirrorServer) -> tuple[int, int]:
        body, ctype = _original(handler, server)
        page = _hide_paragraphs(body)
        return _send(handler, 200, page, ctype)

    return fault


def _hide_paragraphs(body: bytes) -> bytes:
    """Drop every <p>…</p> and put a script-loaded placeholder where the body was."""
    page = re.sub(rb"<p\b[^>]*>.*?</p>", b"", body, flags=re.IGNORECASE | re.DOTALL)
    holder = (
        b'<div id="app-article" data-src="/api/article.json"></div>'
        b"<script>/* rendered client-side since the redesign */</script>"
    )
    return _BODY_CONTAINERS.sub(lambda m: m.group(1) + holder, page, count=1)


def churn() -> Fault:
    """Boilerplate churn: a new ad banner, a footer with a visit counter, re-indented paragraphs."""

    def fault(handler: BaseHTTPRequestHandler, server: MirrorServer) -> tuple[int, int]:
        body, ctype = _original(handler, server)
        enc = _charset_of(ctype) or "utf-8"
        text = _decode(body, ctype)
        ad = (
            '<div class="ad-top"><a href="/ad/1.html"><img src="/ad.gif" alt="广告"></a>'
            f"高新区招商引资 限时推介 {time.time_ns() % 9973}</div>"
        )
        text = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + ad, text, count=1)
        text = text.replace(
            "</body>",
            f'<div class="footer"><p>访问量：{time.time_ns() % 100003} '
            "Copyright © 2026 中国高新网</p></div></body>",
            1,
        )
        # The CMS re-saves the article: NBSP indents become full-width spaces, line breaks move.
        text = text.replace("&nbsp;&nbsp;&nbsp;&nbsp;", "\u3000\u3000").replace(
            "</p>\n<p", "</p><p"
        )
        text = text.replace("<p>", "<p>\n  ")
        return _send(handler, 200, text.encode(enc, "xmlcharrefreplace"), ctype)

    return fault


_HEADING_BLOCKS = re.compile(
    r"<h[2-4][^>]*>.*?</h[2-4]>"
    r"|<p[^>]*>\s*<(?:strong|b)>[^<]{2,20}</(?:strong|b)>\s*</p>"
    r"|<p[^>]*>(?:\s|&nbsp;|\u3000|\xa0)*[^<，。]{2,14}(?:高新区|园区|科技城)(?:\s|&nbsp;|\u3000|\xa0)*</p>",
    re.IGNORECASE | re.DOTALL,
)


def unzoned() -> Fault:
    """The zone headings are gone (a template that drops them): same text, no zones."""

    def fault(handler: BaseHTTPRequestHandler, server: MirrorServer) -> tuple[int, int]:
        body, ctype = _original(handler, server)
        text = _HEADING_BLOCKS.sub("", _decode(body, ctype))
        return _send(
            handler, 200, text.encode(_charset_of(ctype) or "utf-8", "xmlcharrefreplace"), ctype
        )

    return fault


_LIST_AREA = re.compile(
    rb'<(?:div|ul)[^>]*(?:id="index-gz"|class="[^"]*\b(?:list-a|list-main)\b[^"]*")[^>]*>',
    re.IGNORECASE,
)


def extra_links(snippet: str) -> Fault:
    """The real list page with `snippet` (links; `{port}` = the mirror's port) at the top of its item list."""

    def fault(handler: BaseHTTPRequestHandler, server: MirrorServer) -> tuple[int, int]:
        body, ctype = _original(handler, server)
        extra = snippet.replace("{port}", str(server.port)).encode(
            _charset_of(ctype) or "utf-8", "xmlcharrefreplace"
        )
        m = _LIST_AREA.search(body) or re.search(rb"<body[^>]*>", body, re.IGNORECASE)
        at = m.end() if m else 0
        return _send(handler, 200, body[:at] + extra + body[at:], ctype)

    return fault


def _charset_of(ctype: str) -> str | None:
    m = re.search(r"charset=([\w-]+)", ctype, re.IGNORECASE)
    return m.group(1) if m else None


# -- catalogue and plan ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FaultSpec:
    """A named fault: how to build it, and what it is (for docs and the figures table)."""

    name: str
    description: str
    build: Callable[[threading.Event], Fault]


def _catalogue() -> dict[str, FaultSpec]:
    specs = [
        FaultSpec("http500", "500 Internal Server Error", lambda stop: status(500)),
        FaultSpec("http503", "503 Service Unavailable (Retry-After: 1)", lambda stop: status(503)),
        FaultSpec(
            "timeout", "request accepted, nothing sent for 30 s", lambda stop: stall(30.0, stop)
        ),
        FaultSpec(
            "slow",
            "the real page trickled out over 1 s (within the timeout)",
            lambda stop: trickle(1.0, 20, stop),
        ),
        FaultSpec(
            "very_slow",
            "the real page trickled out over 30 s (beyond the timeout)",
            lambda stop: trickle(30.0, 60, stop),
        ),
        FaultSpec(
            "drop",
            "connection closed after half the promised body",
            lambda stop: drop_mid_body(0.5),
        ),
        FaultSpec(
            "truncated", "complete response, HTML cut after 35 %", lambda stop: truncated(0.35)
        ),
        FaultSpec(
            "truncated_tail",
            "complete response, HTML cut inside the article after 70 % of its paragraphs",
            lambda stop: truncated_in_body(0.7),
        ),
        FaultSpec("empty", "200 OK with an empty body", lambda stop: empty_200()),
        FaultSpec(
            "wrong_charset", "UTF-8 page declared as charset=gbk", lambda stop: recharset("gbk")
        ),
        FaultSpec(
            "no_charset",
            "no charset in the header nor in <meta>",
            lambda stop: recharset(None, strip_meta=True),
        ),
        FaultSpec(
            "gbk_as_utf8",
            "GBK bytes, header and <meta> say UTF-8",
            lambda stop: gbk_declared_utf8(),
        ),
        FaultSpec(
            "huge", "8 MiB page (beyond DOWNLOAD_MAXSIZE)", lambda stop: huge_page(8 * 1024 * 1024)
        ),
        FaultSpec(
            "gzip_bomb",
            "Content-Encoding: gzip, ~60 KB inflating to 64 MiB",
            lambda stop: gzip_bomb(64 * 1024 * 1024),
        ),
        FaultSpec(
            "redirect_loop",
            "302 to itself with a growing query, forever",
            lambda stop: redirect_loop(),
        ),
        FaultSpec(
            "redirect_offsite_ip",
            "302 to http://127.0.0.2:PORT/ (another host)",
            lambda stop: redirect("http://127.0.0.2:{port}/stolen.html"),
        ),
        FaultSpec(
            "redirect_offsite_name",
            "302 to a made-up host name",
            lambda stop: redirect("http://evil.chihwatch-fault.invalid/x.html"),
        ),
        FaultSpec(
            "redirect_file",
            "302 to file:///etc/passwd",
            lambda stop: redirect("file:///etc/passwd"),
        ),
        FaultSpec(
            "redirect_ftp",
            "301 to ftp://127.0.0.1/pub/x.html",
            lambda stop: redirect("ftp://127.0.0.1/pub/x.html", 301),
        ),
        FaultSpec("gone404", "404 for a known installment", lambda stop: status(404)),
        FaultSpec(
            "template_change",
            "template change: article text no longer in the HTML",
            lambda stop: hidden_body(),
        ),
        FaultSpec(
            "zones_lost", "template change: zone headings gone, text kept", lambda stop: unzoned()
        ),
        FaultSpec(
            "boilerplate_churn",
            "new ad banner, footer counter, re-indented paragraphs",
            lambda stop: churn(),
        ),
    ]
    return {s.name: s for s in specs}


CATALOGUE: dict[str, FaultSpec] = _catalogue()


@dataclass
class FaultPlan:
    """Faults installed on one MirrorServer; `clear()` removes them and releases stalled handlers."""

    server: MirrorServer
    stop: threading.Event = field(default_factory=threading.Event)
    hits: dict[str, int] = field(default_factory=dict)  # fault name -> requests it answered
    _entries: list[tuple[Callable[[str], bool], Fault]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def inject(self, name: str, path: str, *, times: int | None = None) -> FaultPlan:
        """Answer requests for `path` (exact, query ignored) with fault `name`; `times`: only the first N."""
        spec = CATALOGUE[name]
        return self.add(name, spec.build(self.stop), lambda p, want=path: p == want, times=times)

    def add(
        self, name: str, fault: Fault, predicate: Callable[[str], bool], *, times: int | None = None
    ) -> FaultPlan:
        """Install any fault under a name (for the counts) with a path predicate."""
        left = [times]

        def pred(path: str) -> bool:
            if not predicate(path):
                return False
            with self._lock:
                if left[0] is not None:
                    if left[0] <= 0:
                        return False
                    left[0] -= 1
                self.hits[name] = self.hits.get(name, 0) + 1
            return True

        entry = (pred, fault)
        self._entries.append(entry)
        self.server.faults.append(entry)
        log.info("fault %s installed", name)
        return self

    def clear(self) -> None:
        """Remove this plan's faults (the site is healthy again)."""
        self.stop.set()
        for entry in self._entries:
            if entry in self.server.faults:
                self.server.faults.remove(entry)
        self._entries.clear()
        self.stop = threading.Event()

    def __enter__(self) -> FaultPlan:
        return self

    def __exit__(self, *exc: object) -> None:
        self.clear()


class Canary:
    """A TCP listener on another loopback address that records every connection (it must get none)."""

    def __init__(self, host: str = "127.0.0.2", port: int = 0) -> None:
        self.host = host
        self.connections: list[tuple[str, int]] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self._sock.listen(16)
        self._sock.settimeout(_STOP_POLL)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="canary", daemon=True)

    def start(self) -> Canary:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, addr = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(addr)
            log.warning("canary %s:%d contacted by %s", self.host, self.port, addr)
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()

    def __enter__(self) -> Canary:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """`python -m tests.support.faults --fault NAME=PATH ...`: serve the mirror with faults, by hand."""
    ap = argparse.ArgumentParser(prog="python -m tests.support.faults", description=main.__doc__)
    ap.add_argument("--root", default=str(BUNDLED_SITE))
    ap.add_argument("--state", default=None)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="inject fault NAME on PATH (repeatable); NAME from: " + ", ".join(CATALOGUE),
    )
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    server = MirrorServer(args.root, port=args.port, state=args.state)
    plan = FaultPlan(server)
    for item in args.fault:
        name, _, path = item.partition("=")
        if name not in CATALOGUE or not path.startswith("/"):
            ap.error(f"--fault {item!r}: want NAME=/path with NAME one of {', '.join(CATALOGUE)}")
        plan.inject(name, path)
    server.start()
    print(f"mirror with {len(args.fault)} fault(s) on {server.url} (Ctrl-C to stop)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        plan.clear()
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
