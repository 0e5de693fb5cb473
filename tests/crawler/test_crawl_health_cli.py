"""Issue 15: crawls run from cron (`chihwatch crawl`) count in the report's crawl health too.

A real crawl of the mirror and one against a closed port, both through the console script; the
report of the period then says two crawls ran, one failed, and when the last good one started.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from chihwatch.demo.mirror import MirrorServer

CHIHWATCH = Path(sys.executable).with_name("chihwatch")


def _cli(*args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHIHWATCH_")}
    env["CHIHWATCH_HOME"] = str(tmp / "home")
    return subprocess.run(
        [str(CHIHWATCH), *args], capture_output=True, text=True, env=env, timeout=300
    )


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_cli_crawls_are_counted_in_the_report(mirror: MirrorServer, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    ok = _cli(
        "crawl",
        "--db",
        db,
        "--no-delay",
        "-q",
        "--start-url",
        mirror.url + "/html/hotnews/yaowen/",
        tmp=tmp_path,
    )
    assert ok.returncode == 0, ok.stderr
    bad = _cli(
        "crawl",
        "--db",
        db,
        "--no-delay",
        "-q",
        "--start-url",
        f"http://127.0.0.1:{_closed_port()}/html/hotnews/yaowen/",
        tmp=tmp_path,
    )
    assert bad.returncode == 7, bad.stderr

    data = json.loads(_cli("report", "--format", "json", "--db", db, tmp=tmp_path).stdout)
    health = data["crawls"]
    assert (health["crawls"], health["ok"], health["failed"], health["stopped"]) == (2, 1, 1, 0)
    assert health["last_success"] and health["last_success"] < health["last_crawl"]
    [problem] = data["crawl_problems"]
    assert problem["status"] == "failed" and "could not reach 127.0.0.1" in problem["error"]
    md = _cli("report", "--db", db, tmp=tmp_path).stdout
    assert "- 采集：本期 2 次，成功 1 次，失败 1 次；最近一次成功采集：" in md
    assert "## 采集异常" in md


def test_a_crawl_that_cannot_open_its_database_creates_none(tmp_path: Path) -> None:
    # Nothing to record the run in: the crawl fails as before and no database appears.
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out = _cli(
        "crawl",
        "--db",
        f"sqlite:///{blocker / 'sub' / 'c.db'}",
        "-q",
        "--no-delay",
        "--start-url",
        f"http://127.0.0.1:{_closed_port()}/",
        tmp=tmp_path,
    )
    assert out.returncode == 5, out.stderr
    assert not (blocker / "sub").exists()
