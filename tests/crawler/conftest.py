"""Fixtures of the crawler tests: the mirror site served on 127.0.0.1 and a fast real crawl."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chihwatch.mirror import MirrorServer

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "fixtures" / "site"
LAYOUT: dict[str, Any] = json.loads((SITE / "layout.json").read_text("utf-8"))


@pytest.fixture
def mirror() -> Iterator[MirrorServer]:
    """The bundled mirror, state1, on a free port of 127.0.0.1."""
    server = MirrorServer(SITE, state="state1").start()
    try:
        yield server
    finally:
        server.stop()


def fast_settings(**extra: Any) -> dict[str, Any]:
    """Politeness delays off (local server only); robots.txt, scope and conditional GETs stay on."""
    from crawler.settings import POLITE_OFF

    return {**POLITE_OFF, "DOWNLOAD_TIMEOUT": 5, **extra}


def start_urls(server: MirrorServer) -> list[str]:
    return [server.url + p for p in LAYOUT["start_paths"]]


def crawl(db_url: str, server: MirrorServer, urls: list[str] | None = None, **settings: Any) -> Any:
    """One real Scrapy crawl of the mirror in a child process."""
    from crawler.run import crawl_in_subprocess

    return crawl_in_subprocess(
        db_url, urls or start_urls(server), timeout=120, settings=fast_settings(**settings)
    )
