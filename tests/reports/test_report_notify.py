"""Apprise notifications (through Apprise's real json:// plugin to a local HTTP endpoint),
`chihwatch notify --test` and `chihwatch report --deliver`, through the real console script."""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import reports
from chihwatch.errors import ConfigError
from reports.deliver import DeliveryError, target_from_config
from reports.notify import AppriseTarget, summary_text

BEIJING = timezone(timedelta(hours=8))
SINCE = datetime(2024, 2, 5, tzinfo=BEIJING)
UNTIL = datetime(2024, 2, 12, tzinfo=BEIJING)
STEM = "chihwatch-report-20240205-20240212"
TOKEN = "T0KEN-b0t-s3cret"


class _Endpoint(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, Any]]] = []
    status = 200

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length") or 0)
        type(self).received.append((self.path, json.loads(self.rfile.read(length) or b"{}")))
        self.send_response(type(self).status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[tuple[type[_Endpoint], int]]:
    handler = type("Endpoint", (_Endpoint,), {"received": [], "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handler, int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


class SampleStore:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def report_data(self, since: datetime, until: datetime) -> dict[str, Any]:
        return self.data


def test_apprise_json_endpoint_gets_the_summary_and_the_html_report(
    sample: dict[str, Any],
    endpoint: tuple[type[_Endpoint], int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    handler, port = endpoint
    monkeypatch.setenv("CW_TEST_APPRISE_URL", f"json://127.0.0.1:{port}/notify/{TOKEN}")
    # What the daemon's log handlers (on the root logger) receive, at the most verbose level.
    seen: list[logging.LogRecord] = []
    root_handler = logging.Handler(logging.DEBUG)
    root_handler.emit = seen.append  # type: ignore[method-assign]
    logging.getLogger().addHandler(root_handler)
    old_level = logging.getLogger().level
    logging.getLogger().setLevel(logging.DEBUG)
    try:
        where = _publish_to_endpoint(sample)
    finally:
        logging.getLogger().removeHandler(root_handler)
        logging.getLogger().setLevel(old_level)
    _check_endpoint(handler, port, sample, where)
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.args!r}" for r in seen)
    assert "notifying apprise json://127.0.0.1" in logged and TOKEN not in logged


def _publish_to_endpoint(sample: dict[str, Any]) -> list[str]:
    return reports.publish(
        SampleStore(sample),
        SINCE,
        UNTIL,
        formats=["html", "md"],
        targets=[
            {
                "type": "apprise",
                "url_env": "CW_TEST_APPRISE_URL",
                "link": "https://reports.example.test/chihwatch/",
            }
        ],
    )


def _check_endpoint(
    handler: type[_Endpoint], port: int, sample: dict[str, Any], where: list[str]
) -> None:
    assert where == [f"apprise json://127.0.0.1:{port}/…"]
    [(path, payload)] = handler.received
    assert path == f"/notify/{TOKEN}"
    assert (
        payload["title"]
        == "[chihwatch] 国家高新区密集部署周报 2024-02-05–2024-02-12：新增2期，修改2期，可疑页面2个"
    )
    message = payload["message"]
    # Counts from the hand-written sample: 2 new, 2 edited, 5 target changes (3 + 2 in its
    # sections' target_changes), 2 suspects, no crawl problems.
    assert "新增期次：2" in message and "被修改期次：2" in message
    assert "指标变化：5" in message and "可疑页面：2" in message
    assert "抓取：本期没有失败的抓取" in message
    assert "威海高新区" in message
    assert f"完整报告：https://reports.example.test/chihwatch/{STEM}.html" in message
    [attachment] = payload["attachments"]
    assert attachment["filename"] == f"{STEM}.html"
    assert base64.b64decode(attachment["base64"]).decode("utf-8") == reports.render(sample, "html")


def test_summary_counts_crawl_problems(sample: dict[str, Any]) -> None:
    sample["crawl_problems"] = [
        {"started": "2024-02-06T01:00:00+00:00", "status": "failed", "error": "HTTP 503"},
        {"started": "2024-02-07T01:00:00+00:00", "status": "interrupted", "error": "timed out"},
    ]
    text = summary_text(sample, SINCE, UNTIL)
    assert "抓取问题：2 次抓取失败或中断（最近：timed out）" in text
    assert "完整报告" not in text  # no link configured


def test_failing_apprise_endpoint_fails_that_target_only(
    sample: dict[str, Any], endpoint: tuple[type[_Endpoint], int], tmp_path: Path
) -> None:
    handler, port = endpoint
    handler.status = 500
    with pytest.raises(DeliveryError) as info:
        reports.publish(
            SampleStore(sample),
            SINCE,
            UNTIL,
            formats=["md"],
            targets=[
                {"type": "apprise", "url": f"json://127.0.0.1:{port}/n/{TOKEN}", "attach": "md"},
                {"type": "directory", "path": str(tmp_path)},
            ],
        )
    [failure] = info.value.failures
    assert failure.startswith(f"apprise json://127.0.0.1:{port}/… failed: ")
    assert TOKEN not in str(info.value)
    assert info.value.delivered == [str(tmp_path / f"{STEM}.md")]
    assert handler.received and handler.received[0][1]["attachments"][0]["filename"] == f"{STEM}.md"


@pytest.mark.parametrize(
    ("cfg", "message"),
    [
        ({"type": "apprise"}, "needs url or url_env"),
        ({"type": "apprise", "url_env": "CW_TEST_NOT_SET_APPRISE"}, "CW_TEST_NOT_SET_APPRISE"),
        ({"type": "apprise", "url": "nosuchservice://x/SECRET"}, "not a notification URL"),
        ({"type": "apprise", "url": "json://127.0.0.1/", "attach": "pdf"}, "attach"),
        ({"type": "apprise", "url": "json://127.0.0.1/", "colour": "red"}, "unknown key 'colour'"),
        ({"type": "apprise", "url": "json://127.0.0.1/", "deadline": "inf"}, "deadline"),
    ],
    ids=["no-url", "env-unset", "unknown-scheme", "attach", "unknown-key", "deadline"],
)
def test_bad_apprise_config_is_one_line(cfg: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        target_from_config(cfg)
    assert "SECRET" not in str(info.value) and "\n" not in str(info.value)


def test_apprise_target_type() -> None:
    t = target_from_config({"type": "apprise", "url": "json://127.0.0.1:9/x"})
    assert isinstance(t, AppriseTarget) and t.attach == "html" and "x" not in t.describe()[-3:]


# -- the console script ------------------------------------------------------------------------


def _run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **(env or {})}
    full.pop("CHIHWATCH_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "chihwatch", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=full,
    )


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_notify_test_prints_each_target_and_fails_if_one_failed(
    endpoint: tuple[type[_Endpoint], int], tmp_path: Path
) -> None:
    handler, port = endpoint
    dead = _free_port()
    cfg = tmp_path / "daemon.toml"
    cfg.write_text(
        f"""
[[report.targets]]
type = "apprise"
url_env = "CW_TEST_APPRISE_URL"

[[report.targets]]
type = "webhook"
url = "http://127.0.0.1:{dead}/hook"
deadline = "5s"

[[report.targets]]
type = "directory"
path = "out"
""",
        encoding="utf-8",
    )
    r = _run(
        ["notify", "--test", "--config", str(cfg)],
        {"CW_TEST_APPRISE_URL": f"json://127.0.0.1:{port}/n/{TOKEN}"},
    )
    assert r.returncode == 3, r
    lines = r.stdout.splitlines()
    assert lines[0] == f"ok      apprise json://127.0.0.1:{port}/…"
    assert lines[1].startswith(f"FAILED  webhook http://127.0.0.1:{dead}/… failed: Connection")
    assert (
        lines[2]
        == f"ok      directory {tmp_path / 'out'} -> {tmp_path / 'out' / 'chihwatch-test-message.txt'}"
    )
    assert r.stderr.strip() == "chihwatch: 1 of 3 delivery targets failed the test"
    assert handler.received[0][1]["title"] == "[chihwatch] test message"
    assert TOKEN not in r.stdout + r.stderr


def test_notify_without_targets_is_never_silent(tmp_path: Path) -> None:
    cfg = tmp_path / "daemon.toml"
    cfg.write_text('[crawl]\ninterval = "6h"\n', encoding="utf-8")
    r = _run(["notify", "--test", "--config", str(cfg)])
    assert r.returncode == 9 and r.stdout == ""
    assert r.stderr.strip() == (
        f"chihwatch: {cfg}: no delivery targets ([[report.targets]] or [report] dir): nothing to send to"
    )
    r = _run(["notify", "--test"])
    assert r.returncode == 9 and "no config file" in r.stderr


def test_report_deliver_sends_now_through_the_configured_targets(
    endpoint: tuple[type[_Endpoint], int], tmp_path: Path
) -> None:
    import storage

    handler, port = endpoint
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    storage.open_store(db).close()
    cfg = tmp_path / "daemon.toml"
    cfg.write_text(
        f"""
database = "{db}"
[report]
formats = ["md", "json"]
dir = "reports"
[[report.targets]]
type = "apprise"
url = "json://127.0.0.1:{port}/n/{TOKEN}"
attach = "none"
""",
        encoding="utf-8",
    )
    r = _run(
        [
            "report",
            "--config",
            str(cfg),
            "--deliver",
            "--since",
            "2024-02-05",
            "--until",
            "2024-02-11",
        ]
    )
    assert r.returncode == 0, r.stderr
    out = tmp_path / "reports"
    assert sorted(p.name for p in out.iterdir()) == [f"{STEM}.json", f"{STEM}.md"]
    [(_, payload)] = handler.received
    assert payload["attachments"] == []
    assert "新增期次：0" in payload["message"]
    assert f"ok      {out / (STEM + '.md')}" in r.stdout
    assert TOKEN not in r.stdout + r.stderr


def test_report_deliver_without_targets_exits_9(tmp_path: Path) -> None:
    cfg = tmp_path / "daemon.toml"
    cfg.write_text(f'database = "sqlite:///{tmp_path / "cw.db"}"\n', encoding="utf-8")
    r = _run(["report", "--config", str(cfg), "--deliver"])
    assert r.returncode == 9 and "no delivery targets" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
