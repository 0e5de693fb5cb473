"""One GET of a live page for `chihwatch parse URL` and `fixtures save URL`, with an overall deadline.

urllib's `timeout` bounds each socket read only: a server that drips a byte every few seconds
(slowloris, a never-ending header block) held `parse` for ever, and http.client's complaints about
garbage (`BadStatusLine`, more than 100 headers, an over-long line) escaped as exit 70. Here the
whole exchange, redirects included, ends by the deadline (`chihwatch.deadline.Deadline` shuts the
socket down); anything that is not a complete HTTP answer is an `InputError` (exit 3) with one
line, and a body cut short of its Content-Length (or a broken chunked body) is reported as such.
"""

from __future__ import annotations

import http.client
import ssl
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from chihwatch.deadline import Deadline
from chihwatch.errors import InputError

__all__ = ["Fetched", "fetch"]

MAX_REDIRECTS = 5
_CHUNK = 64 * 1024


@dataclass
class Fetched:
    """A page as served: body, headers, the URL after redirects, and whether it came whole."""

    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    url: str = ""
    complete: bool = True
    expected: int | None = None  # Content-Length, when the server gave one

    def shortfall(self) -> str:
        """`connection closed after 100 of 1000 bytes` (or of a chunked body), for messages."""
        of = f" of {self.expected}" if self.expected is not None else ""
        return f"connection closed after {len(self.body)}{of} bytes"


def fetch(
    url: str,
    *,
    deadline: float,
    user_agent: str,
    max_bytes: int,
    read_timeout: float = 15.0,
) -> Fetched:
    """GET `url` (following up to 5 redirects) within `deadline` seconds overall."""
    with Deadline(deadline, f"GET {url}") as dl:
        current: list[http.client.HTTPConnection] = []
        dl.watch(lambda: current[-1].sock if current else None)
        try:
            for _ in range(MAX_REDIRECTS + 1):
                parts = urlsplit(url)
                if parts.scheme not in ("http", "https") or not parts.hostname:
                    raise InputError(f"cannot fetch {url}: not an http(s) URL")
                timeout = dl.socket_timeout(read_timeout)
                if parts.scheme == "https":
                    conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                        parts.hostname,
                        parts.port,
                        timeout=timeout,
                        context=ssl.create_default_context(),
                    )
                else:
                    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
                current.append(conn)
                try:
                    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
                    conn.request(
                        "GET",
                        path,
                        headers={
                            "User-Agent": user_agent,
                            "Accept": "text/html,*/*;q=0.8",
                            "Connection": "close",
                        },
                    )
                    response = conn.getresponse()
                    location = response.getheader("Location")
                    if response.status in (301, 302, 303, 307, 308) and location:
                        url = urljoin(url, location.strip())
                        continue
                    if response.status >= 400:
                        raise InputError(
                            f"cannot fetch {url}: HTTP {response.status} {response.reason}".rstrip()
                        )
                    page = _read(response, url, max_bytes)
                    if dl.expired:  # the shut-down socket reads as EOF: that is the deadline
                        raise OSError("deadline")
                    return page
                finally:
                    conn.close()
            raise InputError(f"cannot fetch {url}: more than {MAX_REDIRECTS} redirects")
        except (http.client.HTTPException, OSError, ValueError, UnicodeError) as exc:
            if dl.expired:
                raise InputError(
                    f"cannot fetch {url}: no complete answer within {deadline:g}s"
                ) from None
            raise InputError(f"cannot fetch {url}: {_describe(exc)}") from None


def _read(response: http.client.HTTPResponse, url: str, max_bytes: int) -> Fetched:
    headers = {k: v for k, v in response.getheaders()}
    expected = response.length  # Content-Length, None when chunked or absent
    chunks: list[bytes] = []
    total = 0
    complete = True
    while True:
        try:
            chunk = response.read(_CHUNK)
        except http.client.IncompleteRead as exc:  # a chunked body cut short
            chunks.append(exc.partial)
            complete = False
            break
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if total > max_bytes:
            raise InputError(f"cannot fetch {url}: response larger than {max_bytes} bytes")
    body = b"".join(chunks)
    declared = headers.get("Content-Length") or headers.get("content-length")
    if declared is not None and declared.strip().isdigit():
        expected = int(declared)
        complete = complete and len(body) >= expected
    else:
        expected = None
    return Fetched(body=body, headers=headers, url=url, complete=complete, expected=expected)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the server closed the connection without an answer"
    if isinstance(exc, http.client.BadStatusLine | http.client.LineTooLong):
        return f"not an HTTP answer ({type(exc).__name__})"
    if isinstance(exc, http.client.HTTPException):
        text = " ".join(str(exc).split())[:200]
        return f"not a valid HTTP answer ({type(exc).__name__}{': ' + text if text else ''})"
    if isinstance(exc, OSError):
        return exc.strerror or " ".join(str(exc).split()) or type(exc).__name__
    return " ".join(str(exc).split())[:200] or type(exc).__name__
