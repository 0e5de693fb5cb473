"""The first report over an existing catalogue: a table of what is already there, not every page.

A report's "new installments" are those first seen in its period; the first report after chihwatch
starts watching a series that has run for years would show every back issue in full (tens of
thousands of pixels). `as_baseline` turns such a report into a baseline: the installments become
one table (`baseline.installments`: ref, title, date, zones) and `new_installments` is empty, so
the sections that follow show only what really changed. `report --baseline` and the demo's first
week use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["as_baseline", "publish_baseline"]


def as_baseline(data: Mapping[str, Any]) -> dict[str, Any]:
    """The report dict with its new installments folded into `baseline` (see module docstring)."""
    out = dict(data)
    news = list(data.get("new_installments") or [])
    out["baseline"] = {
        "installments": [
            {
                "url": n.get("url"),
                "title": n.get("title"),
                "year": n.get("year"),
                "installment": n.get("installment"),
                "published": n.get("published"),
                "zones": list(n.get("zones") or []),
            }
            for n in news
        ]
    }
    out["new_installments"] = []
    summary = dict(data.get("summary") or {})
    summary["new_installments"] = 0
    summary["baseline_installments"] = len(news)
    # Zones "covered" and "new" counted the back issues; a baseline has no news to count.
    summary["zones_covered"] = 0
    summary["new_zones"] = 0
    out["summary"] = summary
    return out


def publish_baseline(
    store: Any, since: datetime, until: datetime, *, formats: Iterable[str], target: Path
) -> list[str]:
    """Write the baseline report for [since, until) into a directory (dated files + feed.atom)."""
    from reports.deliver import DirectoryTarget, deliver

    data = as_baseline(store.report_data(since, until))
    return deliver(DirectoryTarget(target), data, tuple(formats), since=since, until=until)
