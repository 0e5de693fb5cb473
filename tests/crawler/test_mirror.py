"""The mirror server: validators, 304s, redirects, 404s, the request log (plain urllib client)."""

from __future__ import annotations

import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler

import pytest

from chihwatch.demo.mirror import MirrorServer
from tests.support.crawlkit import LAYOUT, SITE


def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:  # follows redirects
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_binds_loopback_only() -> None:
    with pytest.raises(ValueError):
        MirrorServer(SITE, host="0.0.0.0")


def test_etag_and_last_modified_answer_304(mirror: MirrorServer) -> None:
    url = mirror.url + LAYOUT["states"]["state1"]["installments"]["2025-1"]
    status, headers, body = get(url)
    assert status == 200 and body.startswith(b"<!DOCTYPE") and len(body) > 10_000
    etag, modified = headers["ETag"], headers["Last-Modified"]
    assert get(url, **{"If-None-Match": etag})[0] == 304
    assert get(url, **{"If-Modified-Since": modified})[0] == 304
    # RFC 9110: a failing If-None-Match decides, whatever If-Modified-Since says.
    assert get(url, **{"If-None-Match": '"other"', "If-Modified-Since": modified})[0] == 200
    assert get(url, **{"If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"})[0] == 200
    log = mirror.request_log
    assert [e.status for e in log] == [200, 304, 304, 200, 200]
    assert [e.conditional for e in log] == [False, True, True, True, True]
    assert log[0].bytes == len(body) and log[1].bytes == 0


def test_unchanged_page_keeps_its_validators_across_states(mirror: MirrorServer) -> None:
    path = LAYOUT["states"]["state1"]["installments"]["2025-1"]
    edited = LAYOUT["states"]["state1"]["installments"]["2024-2"]
    _, h1, _ = get(mirror.url + path)
    _, e1, _ = get(mirror.url + edited)
    mirror.set_state("state2")
    _, h2, _ = get(mirror.url + path)
    _, e2, _ = get(mirror.url + edited)
    assert (h1["ETag"], h1["Last-Modified"]) == (h2["ETag"], h2["Last-Modified"])
    assert e1["ETag"] != e2["ETag"] and e1["Last-Modified"] != e2["Last-Modified"]


def test_gbk_page_served_without_charset_header(mirror: MirrorServer) -> None:
    status, headers, body = get(mirror.url + LAYOUT["states"]["state1"]["installments"]["2024-5"])
    assert status == 200 and headers["Content-Type"] == "text/html"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert "国家高新区密集部署" in body.decode("gbk")


def test_state3_removes_and_redirects(mirror: MirrorServer) -> None:
    mirror.set_state("state3")
    s3 = LAYOUT["states"]["state3"]
    removed = LAYOUT["states"]["state2"]["installments"]["2023-3"]
    assert get(mirror.url + removed)[0] == 404
    old, new = next(iter(s3["redirects"].items()))
    status, _, body = get(mirror.url + old)
    assert status == 200 and b"detail-tit" in body  # the newer design, reached through the 301
    assert [(e.path, e.status) for e in mirror.request_log[-2:]] == [(old, 301), (new, 200)]
    assert get(mirror.url + "/html/hotnews/yaowen/")[0] == 200  # older list -> newer list


def test_robots_traversal_and_port_token(mirror: MirrorServer) -> None:
    status, _, robots = get(mirror.url + "/robots.txt")
    assert status == 200 and b"Disallow: /preview/" in robots
    assert get(mirror.url + "/../state2/robots.txt")[0] == 404
    assert get(mirror.url + "/_manifest.json")[0] == 404
    _, _, listing = get(mirror.url + "/yaowen/node_479.html")
    assert (
        f"http://localhost:{mirror.port}/".encode() in listing and b"__MIRROR_PORT__" not in listing
    )


def test_fault_hook_answers_instead_of_the_file(mirror: MirrorServer) -> None:
    def unavailable(handler: BaseHTTPRequestHandler, server: MirrorServer) -> tuple[int, int]:
        handler.send_response(503)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return 503, 0

    mirror.faults.append((lambda path: path.endswith("node_479.html"), unavailable))
    assert get(mirror.url + "/yaowen/node_479.html")[0] == 503
    assert get(mirror.url + "/robots.txt")[0] == 200
    # The server logs a request after its handler returns, so two quick requests may be logged in
    # either order (seen under load): compare by path, not by position.
    assert sorted((e.path, e.status) for e in mirror.request_log) == [
        ("/robots.txt", 200),
        ("/yaowen/node_479.html", 503),
    ]
