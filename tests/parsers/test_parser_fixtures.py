"""Every saved page in fixtures/pages against its expected JSON: body F1, exact zones and metadata."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chihwatch.cli.fixturecheck import F1_FLOOR, META_FIELDS, check_fixture, fixture_names
from parsers import parse

PAGES = Path(__file__).resolve().parents[2] / "fixtures" / "pages"
NAMES = fixture_names(PAGES)


def test_there_are_fixtures() -> None:
    assert len(NAMES) >= 12, f"expected at least 12 saved pages in {PAGES}, found {len(NAMES)}"


@pytest.mark.parametrize("name", NAMES)
def test_fixture(name: str) -> None:
    expected = json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))
    result = check_fixture(PAGES / f"{name}.html", expected)
    assert result.ok, "; ".join(result.problems)
    if "error" in expected:
        assert result.got_error == expected["error"]
        return
    assert result.body is not None and result.body.f1 >= F1_FLOOR
    got = parse((PAGES / f"{name}.html").read_bytes(), url=expected["url"]).to_dict()
    # Exact: zone names in order and every metadata field (the body is scored, not compared).
    assert [z["name"] for z in got["zones"]] == [z["name"] for z in expected["zones"]]
    assert {f: got[f] for f in META_FIELDS} == {f: expected.get(f) for f in META_FIELDS}
