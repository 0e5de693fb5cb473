"""Fixtures for the report tests: the hand-written sample report dict."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

SAMPLE = Path(__file__).parent / "data" / "sample_report.json"


@pytest.fixture(scope="session")
def _sample_frozen() -> dict[str, Any]:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


@pytest.fixture
def sample(_sample_frozen: dict[str, Any]) -> dict[str, Any]:
    """A realistic Store.report_data() dict (Chinese zones, targets, inline ops, hostile text)."""
    return copy.deepcopy(_sample_frozen)
