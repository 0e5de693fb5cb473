"""Delivery against hostile servers on 127.0.0.1: every delivery ends by its deadline, and one
target's failure (drip, garbage answer, a config only invalid at send time) is that target's alone.

Each call under test runs in a thread joined with a generous bound, so a regression to "hangs for
ever" fails the test instead of hanging the suite.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import reports
from chihwatch.deadline import abort_all
from reports.deliver import DeliveryError
from tests.support.hostile import dripping_http, dripping_smtp, garbage_http

BEIJING = timezone(timedelta(hours=8))
SINCE = datetime(2024, 2, 5, tzinfo=BEIJING)
UNTIL = datetime(2024, 2, 12, tzinfo=BEIJING)
STEM = "chihwatch-report-20240205-20240212"
# A hung call is one still running after this long; each deadline under test is 2 s.
BOUND = 20.0


class SampleStore:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def report_data(self, since: datetime, until: datetime) -> dict[str, Any]:
        return self.data


def _publish(sample: dict[str, Any], targets: list[dict[str, Any]]) -> tuple[Any, float]:
    """reports.publish in a thread: (its result or exception, seconds); fails if it hangs."""
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(
                reports.publish(SampleStore(sample), SINCE, UNTIL, formats=["md"], targets=targets)
            )
        except Exception as exc:
            out.append(exc)

    t0 = time.monotonic()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(BOUND)
    assert not thread.is_alive(), f"delivery still running after {BOUND}s: no overall deadline"
    return out[0], time.monotonic() - t0


def _smtp(port: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": "smtp",
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "from": "chihwatch@example.test",
        "to": ["a@example.test"],
        **extra,
    }


def test_dripping_smtp_server_is_cut_at_the_deadline_and_the_directory_still_gets_it(
    sample: dict[str, Any], tmp_path: Path
) -> None:
    # One byte every 0.3 s: a per-read timeout of 1 s never fires; only an overall deadline ends it.
    with dripping_smtp(every=0.3) as server:
        result, secs = _publish(
            sample,
            [
                _smtp(server.port, timeout=1, deadline="2s"),
                {"type": "directory", "path": str(tmp_path / "out")},
            ],
        )
    assert isinstance(result, DeliveryError), result
    assert len(result.failures) == 1
    assert "e-mail via 127.0.0.1" in result.failures[0]
    assert "did not finish after 2s" in result.failures[0]
    assert result.delivered == [str(tmp_path / "out" / f"{STEM}.md")]
    assert 1.5 < secs < 6, secs


def test_dripping_webhook_is_cut_at_the_deadline(sample: dict[str, Any], tmp_path: Path) -> None:
    with dripping_http(every=0.3) as server:
        result, secs = _publish(
            sample,
            [
                {"type": "webhook", "url": f"{server.url}/hook/SECRET", "deadline": 2},
                {"type": "directory", "path": str(tmp_path / "out")},
            ],
        )
    assert isinstance(result, DeliveryError), result
    assert "webhook http://127.0.0.1:" in result.failures[0]
    assert "did not finish after 2s" in result.failures[0]
    assert "SECRET" not in str(result)
    assert result.delivered == [str(tmp_path / "out" / f"{STEM}.md")]
    assert secs < 6, secs
    assert b"POST /hook/SECRET" in server.bytes_received  # it did reach the server


@pytest.mark.parametrize(
    "answer",
    [
        b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n",  # BadStatusLine
        b"HTTP/1.1 200 OK\r\n" + b"X-Flood: y\r\n" * 200 + b"\r\n",  # more than 100 headers
        b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 100_000 + b"\r\n\r\n",  # LineTooLong
        b"",  # closed without a word: RemoteDisconnected
    ],
    ids=["not-http", "header-flood", "long-header", "silent-close"],
)
def test_garbage_webhook_answer_fails_that_target_only(
    sample: dict[str, Any], tmp_path: Path, answer: bytes
) -> None:
    with garbage_http(answer) as server:
        result, _ = _publish(
            sample,
            [
                {"type": "webhook", "url": f"{server.url}/hook", "deadline": 5},
                {"type": "directory", "path": str(tmp_path / "out")},
            ],
        )
    # Before: http.client's BadStatusLine escaped publish() and the directory never got the report.
    assert isinstance(result, DeliveryError), result
    assert result.failures[0].startswith("webhook http://127.0.0.1:")
    assert result.delivered == [str(tmp_path / "out" / f"{STEM}.md")]


def test_config_only_invalid_at_send_time_fails_that_target_only(
    sample: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The daemon checked the config at start-up; by report time the variable has gone.
    monkeypatch.delenv("CW_TEST_GONE_HOOK", raising=False)
    result, _ = _publish(
        sample,
        [
            {"type": "webhook", "url_env": "CW_TEST_GONE_HOOK"},
            {"type": "directory", "path": str(tmp_path / "out")},
        ],
    )
    assert isinstance(result, DeliveryError), result
    assert "CW_TEST_GONE_HOOK" in result.failures[0]
    assert result.delivered == [str(tmp_path / "out" / f"{STEM}.md")]
    assert [o.ok for o in result.outcomes] == [False, True]


def test_abort_all_ends_a_dripping_delivery_at_once(sample: dict[str, Any]) -> None:
    """What the daemon does on SIGTERM: a delivery with a long deadline stops within a second."""
    with dripping_smtp(every=0.3) as server:
        timer = threading.Timer(1.0, abort_all)
        timer.start()
        result, secs = _publish(sample, [_smtp(server.port, timeout=30, deadline="10m")])
    assert isinstance(result, DeliveryError), result
    assert "interrupted (daemon stopping)" in result.failures[0]
    assert secs < 4, secs
