"""Fixtures of the storage tests: a Store on each backend, reading pages with the test parser."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from storage import Store, open_store
from tests.storage.storage_helpers import json_parse


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    st = open_store(db_url, parse=json_parse, parser_version="test-1")
    try:
        yield st
    finally:
        st.close()
