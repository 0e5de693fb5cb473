"""Read-only queries of the web workbench (`chihwatch serve`): one function per page's rows.

Every function takes an Engine (the web app opens it read-only) and returns plain dicts, so the
pages and their `/api/...` JSON share one shape. Nothing here writes; nothing here is in storage/queries.py (the CLI's reads).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select

from storage.blobs import decompress
from storage.models import Blob, Event, Fetch, Installment, Page, Revision, Section, scheduler_runs

__all__ = [
    "iso",
    "split",
    "installments_page",
    "installment_by_number",
    "revisions_of",
    "sections_of",
    "archived_copy",
    "availability_of",
    "zones_index",
    "zone_sections",
    "latest_sections",
    "revision_stamp",
    "store_stamp",
    "search_rows",
    "crawl_health",
    "activity_bounds",
]


def iso(dt: datetime | None) -> str | None:
    """Naive UTC timestamps of the store as ISO 8601 with an explicit +00:00."""
    return None if dt is None else dt.isoformat() + ("" if dt.tzinfo else "+00:00")


def split(s: str | None) -> list[str]:
    return [p for p in (s or "").split("\n") if p]


def _head(inst: Installment) -> dict[str, Any]:
    return {
        "id": inst.id,
        "series": inst.series,
        "year": inst.year,
        "installment": inst.number,
        "title": inst.title,
        "url": inst.url,
        "published": inst.published,
        "first_seen": iso(inst.first_seen),
        "last_seen": iso(inst.last_seen),
    }


def installments_page(
    engine: Engine, *, page: int = 1, per_page: int = 100, year: int | None = None
) -> dict[str, Any]:
    """One page of installments, newest first, with zone and revision counts."""
    with engine.connect() as conn:
        where = [] if year is None else [Installment.year == year]
        total = conn.scalar(select(func.count(Installment.id)).where(*where)) or 0
        years = [
            {"year": y, "installments": n}
            for y, n in conn.execute(
                select(Installment.year, func.count(Installment.id))
                .group_by(Installment.year)
                .order_by(Installment.year.desc())
            )
        ]
        inst = (
            select(Installment)
            .where(*where)
            .order_by(Installment.year.desc(), Installment.number.desc(), Installment.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
            .subquery()
        )
        zones = (
            select(func.count(Section.id))
            .where(Section.revision_id == inst.c.latest_revision_id)
            .scalar_subquery()
        )
        revs = (
            select(func.count(Revision.id))
            .where(Revision.installment_id == inst.c.id)
            .scalar_subquery()
        )
        rows = conn.execute(
            select(inst, zones.label("zones"), revs.label("revisions")).order_by(
                inst.c.year.desc(), inst.c.number.desc(), inst.c.id.desc()
            )
        ).all()
    items = [
        {
            "id": r.id,
            "year": r.year,
            "installment": r.number,
            "title": r.title,
            "url": r.url,
            "published": r.published,
            "first_seen": iso(r.first_seen),
            "last_seen": iso(r.last_seen),
            "zones": r.zones,
            "revisions": r.revisions,
        }
        for r in rows
    ]
    return {"total": total, "page": page, "per_page": per_page, "years": years, "rows": items}


def installment_by_number(engine: Engine, year: int, number: int) -> dict[str, Any] | None:
    """The installment YEAR-NUMBER (lowest id if two series share it), or None."""
    with engine.connect() as conn:
        row = conn.execute(
            select(Installment)
            .where(Installment.year == year, Installment.number == number)
            .order_by(Installment.id)
            .limit(1)
        ).first()
    if row is None:
        return None
    out = {
        "id": row.id,
        "series": row.series,
        "year": row.year,
        "installment": row.number,
        "title": row.title,
        "url": row.url,
        "published": row.published,
        "first_seen": iso(row.first_seen),
        "last_seen": iso(row.last_seen),
        "latest_revision_id": row.latest_revision_id,
    }
    return out


def revisions_of(engine: Engine, installment_id: int) -> list[dict[str, Any]]:
    """Every revision of an installment, oldest first, with the fetch that brought it."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Revision.id,
                Revision.seq,
                Revision.created_at,
                Revision.cause,
                Revision.parser_version,
                Revision.provisional,
                Revision.confidence,
                Revision.title,
                Revision.published,
                Revision.source,
                Revision.editor,
                Revision.intro,
                Revision.body_chars,
                Revision.fetch_id,
                Fetch.fetched_at,
                Fetch.blob_sha,
            )
            .outerjoin(Fetch, Fetch.id == Revision.fetch_id)
            .where(Revision.installment_id == installment_id)
            .order_by(Revision.seq)
        ).all()
    return [
        {
            "id": r.id,
            "revision": r.seq,
            "created_at": iso(r.created_at),
            "cause": r.cause,
            "parser_version": r.parser_version,
            "provisional": bool(r.provisional),
            "confidence": round(float(r.confidence or 0), 2),
            "title": r.title,
            "published": r.published,
            "source": r.source,
            "editor": r.editor,
            "intro": split(r.intro),
            "body_chars": r.body_chars,
            "fetched_at": iso(r.fetched_at),
            "archived": r.blob_sha is not None,
        }
        for r in rows
    ]


def sections_of(engine: Engine, revision_id: int) -> list[dict[str, Any]]:
    """A revision's zones in page order: canonical name, heading as printed, paragraphs."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(Section.zone, Section.heading, Section.text, Section.position)
            .where(Section.revision_id == revision_id)
            .order_by(Section.position)
        ).all()
    return [
        {"zone": r.zone, "heading": r.heading or r.zone, "paragraphs": split(r.text)} for r in rows
    ]


def archived_copy(engine: Engine, revision_id: int) -> dict[str, Any] | None:
    """The raw bytes fetched for a revision (its fetch's blob), with their content type."""
    with engine.connect() as conn:
        row = conn.execute(
            select(Blob.data, Blob.compression, Fetch.content_type, Fetch.fetched_at, Page.url)
            .select_from(Revision)
            .join(Fetch, Fetch.id == Revision.fetch_id)
            .join(Blob, Blob.sha256 == Fetch.blob_sha)
            .join(Page, Page.id == Fetch.page_id)
            .where(Revision.id == revision_id)
        ).first()
    if row is None:
        return None
    return {
        "body": decompress(row.data, row.compression),
        "content_type": row.content_type,
        "fetched_at": iso(row.fetched_at),
        "url": row.url,
    }


def availability_of(engine: Engine, installment_id: int) -> list[dict[str, Any]]:
    """Availability events (404, 5xx) of an installment's pages, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(Event.at, Event.status, Page.url)
            .join(Page, Page.id == Event.page_id)
            .where(Event.installment_id == installment_id, Event.kind == "availability")
            .order_by(Event.at, Event.id)
        ).all()
    return [{"at": iso(r.at), "status": r.status, "url": r.url} for r in rows]


def zones_index(engine: Engine) -> list[dict[str, Any]]:
    """Every zone in the latest revisions: installments it appears in, first and last year."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Section.zone,
                func.count(func.distinct(Installment.id)),
                func.min(Installment.year),
                func.max(Installment.year),
            )
            .join(Installment, Installment.latest_revision_id == Section.revision_id)
            .group_by(Section.zone)
            .order_by(Section.zone)
        ).all()
    return [
        {"zone": z, "installments": n, "first_year": lo, "last_year": hi} for z, n, lo, hi in rows
    ]


def zone_sections(engine: Engine, zone: str) -> list[dict[str, Any]]:
    """A zone's section in the latest revision of every installment, in series order."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Installment.id,
                Installment.series,
                Installment.year,
                Installment.number,
                Installment.title,
                Installment.url,
                Installment.published,
                Revision.seq,
                Revision.created_at,
                Section.heading,
                Section.text,
            )
            .select_from(Section)
            .join(Installment, Installment.latest_revision_id == Section.revision_id)
            .join(Revision, Revision.id == Section.revision_id)
            .where(Section.zone == zone)
            .order_by(Installment.year, Installment.number, Installment.id, Section.position)
        ).all()
    return [
        {
            "series": r.series,
            "year": r.year,
            "installment": r.number,
            "title": r.title,
            "url": r.url,
            "published": r.published,
            "revision": r.seq,
            "revised_at": iso(r.created_at),
            "zone": zone,
            "heading": r.heading or zone,
            "paragraphs": split(r.text),
        }
        for r in rows
    ]


def latest_sections(
    engine: Engine, *, zone: str | None = None, year: int | None = None
) -> Iterator[dict[str, Any]]:
    """Every section of every installment's latest revision (optionally one zone or year)."""
    q = (
        select(
            Installment.series,
            Installment.year,
            Installment.number,
            Installment.url,
            Installment.published,
            Section.zone,
            Section.heading,
            Section.text,
        )
        .select_from(Section)
        .join(Installment, Installment.latest_revision_id == Section.revision_id)
        .order_by(Installment.year, Installment.number, Installment.id, Section.position)
    )
    if zone is not None:
        q = q.where(Section.zone == zone)
    if year is not None:
        q = q.where(Installment.year == year)
    with engine.connect() as conn:
        for r in conn.execute(q).yield_per(2000):
            yield {
                "series": r.series,
                "year": r.year,
                "installment": r.number,
                "url": r.url,
                "published": r.published,
                "zone": r.zone,
                "heading": r.heading or r.zone,
                "paragraphs": split(r.text),
            }


def revision_stamp(engine: Engine) -> tuple[int, int]:
    """(max revision id, revision count): changes whenever a revision is added or removed."""
    with engine.connect() as conn:
        row = conn.execute(select(func.max(Revision.id), func.count(Revision.id))).one()
    return int(row[0] or 0), int(row[1] or 0)


def store_stamp(engine: Engine) -> tuple[int, ...]:
    """Changes whenever anything a page shows could change: revisions, events, fetches, runs."""
    with engine.connect() as conn:
        row = conn.execute(
            select(
                select(func.max(Revision.id)).scalar_subquery(),
                select(func.count(Revision.id)).scalar_subquery(),
                select(func.max(Event.id)).scalar_subquery(),
                select(func.max(Fetch.id)).scalar_subquery(),
                select(func.max(scheduler_runs.c.id)).scalar_subquery(),
                select(func.count(scheduler_runs.c.id))
                .where(scheduler_runs.c.finished.is_not(None))
                .scalar_subquery(),
            )
        ).one()
    return tuple(int(v or 0) for v in row)


def search_rows(engine: Engine, *, after_revision_id: int = 0) -> Iterator[dict[str, Any]]:
    """Every revision's text as rows for the search index: each section, and each intro."""
    base = (
        select(
            Revision.id.label("revision_id"),
            Revision.seq,
            Revision.created_at,
            Installment.id.label("installment_id"),
            Installment.year,
            Installment.number,
            Installment.title,
            Installment.published,
        )
        .join(Installment, Installment.id == Revision.installment_id)
        .where(Revision.id > after_revision_id)
    )
    sec = base.add_columns(Section.zone, Section.heading, Section.text).join(
        Section, Section.revision_id == Revision.id
    )
    intro = base.add_columns(Revision.intro.label("text")).where(Revision.intro != "")
    with engine.connect() as conn:
        for r in conn.execute(sec).yield_per(5000):
            yield _search_row(r, r.zone, r.heading or r.zone)
        for r in conn.execute(intro).yield_per(5000):
            yield _search_row(r, None, "导语")


def _search_row(r: Any, zone: str | None, heading: str) -> dict[str, Any]:
    return {
        "revision_id": r.revision_id,
        "revision": r.seq,
        "created_at": iso(r.created_at),
        "installment_id": r.installment_id,
        "year": r.year,
        "installment": r.number,
        "title": r.title,
        "published": r.published,
        "zone": zone,
        "heading": heading,
        "text": r.text or "",
    }


def crawl_health(engine: Engine, since: datetime) -> dict[str, Any]:
    """Last fetches, the daemon's crawls since `since` (aware) and how many failed."""
    aware = since if since.tzinfo else since.replace(tzinfo=UTC)
    naive = aware.astimezone(UTC).replace(tzinfo=None)  # the store's own columns are naive UTC
    with engine.connect() as conn:
        last_fetch = conn.scalar(select(func.max(Fetch.fetched_at)))
        last_ok = conn.scalar(select(func.max(Fetch.fetched_at)).where(Fetch.status == 200))
        fetches = conn.scalar(select(func.count(Fetch.id)).where(Fetch.fetched_at >= naive)) or 0
        failed_fetches = (
            conn.scalar(
                select(func.count(Fetch.id)).where(
                    Fetch.fetched_at >= naive, (Fetch.status >= 400) | Fetch.error.is_not(None)
                )
            )
            or 0
        )
        runs = conn.execute(
            select(scheduler_runs.c.status, func.count())
            .where(scheduler_runs.c.job == "crawl", scheduler_runs.c.started >= aware)
            .group_by(scheduler_runs.c.status)
        ).all()
        last_run_ok = conn.scalar(
            select(func.max(scheduler_runs.c.finished)).where(
                scheduler_runs.c.job == "crawl", scheduler_runs.c.status == "ok"
            )
        )
        counts = {
            "installments": conn.scalar(select(func.count(Installment.id))) or 0,
            "revisions": conn.scalar(select(func.count(Revision.id))) or 0,
            "pages": conn.scalar(select(func.count(Page.id))) or 0,
        }
    by_status = {s: n for s, n in runs}
    return {
        "last_fetch": iso(last_fetch),
        "last_successful_fetch": iso(last_ok),
        "last_successful_crawl": iso(last_run_ok) if isinstance(last_run_ok, datetime) else None,
        "fetches_since": fetches,
        "failed_fetches_since": failed_fetches,
        "crawls_since": sum(by_status.values()),
        "crawl_failures_since": by_status.get("failed", 0) + by_status.get("interrupted", 0),
        **counts,
    }


def activity_bounds(engine: Engine) -> tuple[datetime | None, datetime | None]:
    """Earliest and latest moment something reportable happened (revision or event)."""
    with engine.connect() as conn:
        r = conn.execute(select(func.min(Revision.created_at), func.max(Revision.created_at))).one()
        e = conn.execute(select(func.min(Event.at), func.max(Event.at))).one()
    lows = [x for x in (r[0], e[0]) if x is not None]
    highs = [x for x in (r[1], e[1]) if x is not None]
    return (min(lows) if lows else None, max(highs) if highs else None)
