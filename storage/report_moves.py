"""Installments that moved to a new URL in a period (a site redesign, a re-published page).

A move is not a content change: the store keeps the installment's history and adds no revision.
The report still says it happened, because a reader's bookmarks and links break: a page first seen
in the period that belongs to an installment which already had another page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from storage.common import iso as _iso
from storage.models import Installment, Page

__all__ = ["moves"]


def moves(s: Session, lo: datetime, hi: datetime) -> list[dict[str, Any]]:
    """[{"year", "installment", "title", "from", "to", "at"}] for [lo, hi) (naive UTC bounds)."""
    older = aliased(Page)
    rows = s.execute(
        select(Page, Installment, older.url)
        .join(Installment, Installment.id == Page.installment_id)
        .join(
            older,
            (older.installment_id == Page.installment_id)
            & (older.id != Page.id)
            & (older.first_seen < Page.first_seen),
        )
        .where(Page.first_seen >= lo, Page.first_seen < hi)
        .order_by(Installment.year, Installment.number, Page.id, older.first_seen.desc())
    ).all()
    out: list[dict[str, Any]] = []
    seen: set[int] = set()
    for page, inst, old_url in rows:
        if page.id in seen:
            continue  # the newest older page is the one it moved from
        seen.add(page.id)
        out.append(
            {
                "year": inst.year,
                "installment": inst.number,
                "title": inst.title,
                "from": old_url,
                "to": page.url,
                "at": _iso(page.first_seen),
            }
        )
    return out
