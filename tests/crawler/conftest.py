"""Fixtures of the crawler tests: the mirror site served on 127.0.0.1 (helpers in tests/support/crawlkit.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chihwatch.demo.mirror import MirrorServer
from tests.support.crawlkit import SITE


@pytest.fixture
def mirror() -> Iterator[MirrorServer]:
    """The bundled mirror, state1, on a free port of 127.0.0.1."""
    server = MirrorServer(SITE, state="state1").start()
    try:
        yield server
    finally:
        server.stop()
