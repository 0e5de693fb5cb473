"""Running real `chihwatch daemon` processes in tests."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.scheduler.daemonproc import DaemonProc

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def daemon_env(tmp_path: Path) -> dict[str, str]:
    """Environment for daemon processes: the test's isolated home, fake crawl seam available."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(ROOT), env.get("PYTHONPATH", "")] if p)
    env["FAKECRAWL_PIDS"] = str(tmp_path / "crawl-children.txt")
    env.pop("CHIHWATCH_DAEMON_CRAWL_IMPL", None)
    return env


@pytest.fixture
def start_daemon(tmp_path: Path) -> Iterator[Callable[..., DaemonProc]]:
    """Start `chihwatch ARGS...`; every process started is killed at the end of the test."""
    procs: list[DaemonProc] = []

    def start(args: list[str], env: dict[str, str]) -> DaemonProc:
        d = DaemonProc(args, env, tmp_path / f"daemon-{len(procs)}.log")
        procs.append(d)
        return d

    yield start
    for d in procs:
        d.kill()
