"""Fixtures of the workbench tests: a real store filled from fixture pages, served read-only."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from storage import open_store
from tests.web.web_helpers import fill


@pytest.fixture
def filled_url(db_url: str) -> str:
    """A store on each backend, written once with the real parser, then only read."""
    st = open_store(db_url)
    try:
        fill(st)
    finally:
        st.close()
    return db_url


@pytest.fixture
def client(filled_url: str) -> Iterator[Any]:
    from starlette.testclient import TestClient

    from web.app import create_app
    from web.readonly import open_readonly

    store = open_readonly(filled_url)
    try:
        with TestClient(create_app(store, check_every=0)) as c:
            yield c
    finally:
        store.close()


class LiveServer:
    """The app under a real uvicorn on 127.0.0.1 in a thread (what `chihwatch serve` runs)."""

    def __init__(self, db_url: str) -> None:
        import uvicorn

        from web.app import create_app
        from web.readonly import open_readonly

        self.store = open_readonly(db_url)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(
            create_app(self.store), log_level="warning", lifespan="on", access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()
        self.store.close()


@pytest.fixture
def live(filled_url: str) -> Iterator[LiveServer]:
    with LiveServer(filled_url) as srv:
        yield srv
