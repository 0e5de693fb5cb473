"""`chihwatch parse URL` and `fixtures save URL` against hostile servers on 127.0.0.1: an overall
deadline (slowloris, drip, never-ending headers), non-HTTP answers and header floods are exit 3
with one line, never 70 and never a hang; a body cut short of its Content-Length is refused by
`fixtures save` unless --force. Through the real console script."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.hostile import HostileServer

ROOT = Path(__file__).resolve().parents[2]
PAGE = next(iter(sorted((ROOT / "fixtures" / "pages").glob("*.html"))))


def _run(args: list[str], timeout: float = 60) -> tuple[subprocess.CompletedProcess[str], float]:
    t0 = time.monotonic()
    r = subprocess.run(
        [sys.executable, "-m", "chihwatch", *args], capture_output=True, text=True, timeout=timeout
    )
    return r, time.monotonic() - t0


def _slowloris(s: HostileServer, c: socket.socket) -> None:
    s.read_some(c)
    time.sleep(30)


def _drip_headers(s: HostileServer, c: socket.socket) -> None:
    s.read_some(c)
    s.drip(c, b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Slow: ", 0.3)


def _drip_body(s: HostileServer, c: socket.socket) -> None:
    s.read_some(c)
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n")
    s.drip(c, b"<html><body><p>", 0.3)


def _header_flood(s: HostileServer, c: socket.socket) -> None:
    s.read_some(c)
    c.sendall(b"HTTP/1.1 200 OK\r\n")
    for i in range(100_000):
        c.sendall(b"X-Flood-%d: y\r\n" % i)


def _not_http(s: HostileServer, c: socket.socket) -> None:
    s.read_some(c, 0.2)
    c.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")


def _silent(s: HostileServer, c: socket.socket) -> None:
    s.read_some(c, 0.2)


def _short_body(s: HostileServer, c: socket.socket) -> None:
    s.read_some(c, 0.2)
    body = PAGE.read_bytes()
    c.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(body)
        + body[:2000]
    )


def _whole_page(s: HostileServer, c: socket.socket) -> None:
    s.read_some(c, 0.2)
    body = PAGE.read_bytes()
    c.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(body)
        + body
    )


HOSTILE = [
    ("slowloris", _slowloris, "no complete answer within 2s"),
    ("drip-headers", _drip_headers, "no complete answer within 2s"),
    ("drip-body", _drip_body, "no complete answer within 2s"),
    (
        "header-flood",
        _header_flood,
        "not a valid HTTP answer (HTTPException: got more than 100 headers)",
    ),
    ("not-http", _not_http, "not an HTTP answer (BadStatusLine)"),
    ("silent-close", _silent, "the server closed the connection without an answer"),
]


@pytest.mark.parametrize("command", ["parse", "fixtures-save"])
@pytest.mark.parametrize(
    ("script", "message"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE]
)
def test_hostile_server_is_exit_3_with_one_line_within_the_deadline(
    tmp_path: Path,
    command: str,
    script,
    message: str,  # type: ignore[no-untyped-def]
) -> None:
    with HostileServer(script) as server:
        url = f"{server.url}/article.html"
        if command == "parse":
            args = ["parse", url, "--timeout", "2"]
        else:
            args = ["fixtures", "save", url, "hostile", "--dir", str(tmp_path), "--timeout", "2"]
        r, secs = _run(args)
    assert r.returncode == 3, r
    assert r.stderr.strip() == f"chihwatch: cannot fetch {url}: {message}"
    assert r.stdout == ""
    assert secs < 10, secs  # 2 s deadline plus interpreter start
    assert list(tmp_path.iterdir()) == []


def test_parse_refuses_a_short_body(tmp_path: Path) -> None:
    with HostileServer(_short_body) as server:
        url = f"{server.url}/a.html"
        r, _ = _run(["parse", url, "--timeout", "5"])
    size = PAGE.stat().st_size
    assert r.returncode == 3
    assert r.stderr.strip() == (
        f"chihwatch: cannot fetch {url}: connection closed after 2000 of {size} bytes "
        "(the answer is incomplete)"
    )


def test_fixtures_save_refuses_a_short_body_unless_forced(tmp_path: Path) -> None:
    size = PAGE.stat().st_size
    with HostileServer(_short_body) as server:
        url = f"{server.url}/a.html"
        r, _ = _run(["fixtures", "save", url, "short", "--dir", str(tmp_path), "--timeout", "5"])
        assert r.returncode == 3
        assert r.stderr.strip() == (
            f"chihwatch: cannot save {url}: connection closed after 2000 of {size} bytes; "
            "a short copy is not a fixture (use --force to keep it anyway)"
        )
        assert list(tmp_path.iterdir()) == []
        r, _ = _run(["fixtures", "save", url, "short", "--dir", str(tmp_path), "--force"])
    assert r.returncode == 0, r.stderr
    assert f"warning: connection closed after 2000 of {size} bytes" in r.stdout
    assert (tmp_path / "short.html").read_bytes() == PAGE.read_bytes()[:2000]


def test_a_whole_page_is_still_saved(tmp_path: Path) -> None:
    with HostileServer(_whole_page) as server:
        r, _ = _run(["fixtures", "save", f"{server.url}/a.html", "whole", "--dir", str(tmp_path)])
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "whole.html").read_bytes() == PAGE.read_bytes()
    assert "warning" not in r.stdout


@pytest.mark.parametrize("value", ["inf", "nan", "-1", "0"])
def test_bad_timeout_is_usage(value: str) -> None:
    r, _ = _run(["parse", "http://127.0.0.1:9/", "--timeout", value])
    assert r.returncode == 2 and "--timeout" in r.stderr
