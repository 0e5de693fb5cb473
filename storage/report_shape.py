"""The shape of the weekly report dict (`Store.report_data`, docs/CONTRACTS.md), written once.

`ReportData` types it; `assemble` builds it from its parts (storage/report_data.py) and counts the
summary from the lists; `complete` gives a partial report (hand-written, or only the contract's keys)
every key, for the renderers (reports/). Plain data: no session, no query.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

__all__ = ["Item", "Summary", "ReportData", "assemble", "complete", "summarize"]

Item = dict[str, Any]


class Summary(TypedDict):
    new_installments: int
    edited_installments: int
    zones_covered: int
    new_zones: int
    suspects: int
    crawl_problems: int
    baseline_installments: NotRequired[int]  # reports/baseline.py


class ReportData(TypedDict):
    since: str | None
    until: str | None
    summary: Summary
    new_installments: list[Item]
    revisions: list[Item]
    suspects: list[Item]
    availability: list[Item]
    moves: list[Item]
    crawl_problems: list[Item]
    crawls: dict[str, Any]
    series: list[Item]
    target_changes: list[Item]
    baseline: NotRequired[dict[str, Any] | None]  # reports/baseline.py
    generated_at: NotRequired[str | None]


# The dict's keys in the order the JSON shows them: summary first, then the lists.
_LISTS = (
    "new_installments",
    "revisions",
    "suspects",
    "availability",
    "moves",
    "crawl_problems",
)


def summarize(
    news: Sequence[Item],
    revisions: Sequence[Item],
    suspects: Sequence[Item],
    problems: Sequence[Item],
) -> Summary:
    """The report's counts, from its lists (an installment edited twice counts once)."""
    return {
        "new_installments": len(news),
        "edited_installments": len(
            {(r.get("url"), r.get("year"), r.get("installment")) for r in revisions}
        ),
        "zones_covered": len({z for n in news for z in n.get("zones") or []}),
        "new_zones": len({z for n in news for z in n.get("new_zones") or []}),
        "suspects": len(suspects),
        "crawl_problems": len(problems),
    }


def assemble(since: str | None, until: str | None, **parts: Any) -> ReportData:
    """The report dict from its parts; `summary` is counted from the lists when absent."""
    lists = {key: list(parts.get(key) or []) for key in _LISTS}
    summary = dict(parts.get("summary") or {})
    for key, n in summarize(
        lists["new_installments"], lists["revisions"], lists["suspects"], lists["crawl_problems"]
    ).items():
        summary.setdefault(key, n)
    data: dict[str, Any] = {
        "since": since,
        "until": until,
        "summary": summary,
        **lists,
        "crawls": dict(parts.get("crawls") or {}),
        "series": list(parts.get("series") or []),
        "target_changes": list(parts.get("target_changes") or []),
    }
    for key in ("baseline", "generated_at"):
        if key in parts:
            data[key] = parts[key]
    return data  # type: ignore[return-value]  # every required key was set above


def complete(data: Mapping[str, Any]) -> ReportData:
    """A report dict given every key: a partial one (hand-written, the contract's keys only) is filled."""
    return assemble(
        data.get("since"),
        data.get("until"),
        **{k: v for k, v in data.items() if k not in ("since", "until")},
    )
