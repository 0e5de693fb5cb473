"""The report dict's shape is written once (storage/report_shape.py): storage gives every key, and a
partial dict handed to the renderers gets the same keys and counts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import get_type_hints

from storage import Store
from storage.report_shape import ReportData, Summary, complete

REQUIRED = {
    "since",
    "until",
    "summary",
    "new_installments",
    "revisions",
    "suspects",
    "availability",
    "moves",
    "crawl_problems",
    "crawls",
    "series",
    "target_changes",
}


def test_the_typed_dict_names_the_report_keys() -> None:
    # Besides the keys storage always gives, the two that reports/baseline.py and callers add.
    assert set(get_type_hints(ReportData)) == REQUIRED | {"baseline", "generated_at"}
    assert set(get_type_hints(Summary)) == {
        "new_installments",
        "edited_installments",
        "zones_covered",
        "new_zones",
        "suspects",
        "crawl_problems",
        "baseline_installments",
    }


def test_an_empty_store_reports_every_key(store: Store) -> None:
    data = store.report_data(datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 3, 8, tzinfo=UTC))
    assert set(data) == REQUIRED
    assert data["summary"] == {
        "new_installments": 0,
        "edited_installments": 0,
        "zones_covered": 0,
        "new_zones": 0,
        "suspects": 0,
        "crawl_problems": 0,
    }
    assert data["since"] == "2024-03-01T00:00:00+00:00"


def test_a_partial_report_is_completed_with_counts_from_its_lists() -> None:
    partial = {
        "since": "2024-03-01T00:00:00+08:00",
        "until": "2024-03-08T00:00:00+08:00",
        "new_installments": [
            {"year": 2025, "installment": 1, "zones": ["甲", "乙"], "new_zones": ["乙"]},
            {"year": 2025, "installment": 2, "zones": ["甲"], "new_zones": []},
        ],
        # Two edits of one installment: one edited installment.
        "revisions": [
            {"url": "http://x/3.html", "year": 2025, "installment": 3},
            {"url": "http://x/3.html", "year": 2025, "installment": 3},
        ],
        "suspects": [{"url": "http://x/4.html"}],
    }
    full = complete(partial)
    assert set(full) == REQUIRED
    assert full["summary"] == {
        "new_installments": 2,
        "edited_installments": 1,
        "zones_covered": 2,
        "new_zones": 1,
        "suspects": 1,
        "crawl_problems": 0,
    }
    assert full["moves"] == [] and full["crawls"] == {} and full["target_changes"] == []
    assert full["until"] == "2024-03-08T00:00:00+08:00"


def test_a_given_summary_is_kept_and_only_missing_counts_filled() -> None:
    full = complete({"summary": {"new_installments": 0, "baseline_installments": 3}})
    assert full["summary"]["new_installments"] == 0
    assert full["summary"]["baseline_installments"] == 3
    assert full["summary"]["suspects"] == 0
    assert "baseline" not in full
    assert complete({"baseline": {"installments": []}})["baseline"] == {"installments": []}
