"""One daemon per database: the lock, its holder record, and its release when the holder dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from chihwatch.errors import AlreadyRunning
from scheduler import lock

HOLD = """
import sys, time
from scheduler import lock
lk = lock.acquire(sys.argv[1])
print("locked", flush=True)
time.sleep(60)
"""


def _holder_process(db_url: str) -> subprocess.Popen[str]:
    p = subprocess.Popen([sys.executable, "-c", HOLD, db_url], stdout=subprocess.PIPE, text=True)
    assert p.stdout is not None
    assert p.stdout.readline().strip() == "locked"
    return p


def test_second_acquire_is_refused_and_names_holder(db_url: str) -> None:
    first = lock.acquire(db_url)
    try:
        with pytest.raises(AlreadyRunning) as info:
            lock.acquire(db_url)
        msg = str(info.value)
        assert (
            f"pid {os.getpid()}" in msg and first.holder.host in msg and first.holder.started in msg
        )
        assert lock.current_holder(db_url) == first.holder
    finally:
        first.release()
    assert lock.current_holder(db_url) is None
    again = lock.acquire(db_url)  # released means free
    again.release()


def test_lock_is_released_when_holder_process_dies(db_url: str) -> None:
    p = _holder_process(db_url)
    try:
        holder = lock.current_holder(db_url)
        assert holder is not None and holder.pid == p.pid
        with pytest.raises(AlreadyRunning, match=f"pid {p.pid} "):
            lock.acquire(db_url)
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait()
    # The kernel (SQLite) or the server noticing the closed connection (PostgreSQL) frees it.
    deadline = time.monotonic() + 10
    while True:
        try:
            lk = lock.acquire(db_url)
            break
        except AlreadyRunning:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    assert lk.holder.pid == os.getpid()
    lk.release()


def test_password_is_not_in_the_refusal() -> None:
    refusal = lock._refusal("postgresql+psycopg://u:secret@127.0.0.1/db", None)
    assert "secret" not in refusal and "127.0.0.1/db" in refusal


def test_sqlite_lock_file_sits_next_to_the_database(sqlite_url: str) -> None:
    path = lock.lock_path_for(sqlite_url)
    assert path.name == "test.db.daemon.lock"
    assert str(path.parent) in sqlite_url
