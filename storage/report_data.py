"""The weekly report's read model: everything a report shows for a period, as one dict.

`report_data(s, since, until)` is `Store.report_data` (docs/CONTRACTS.md), built in named steps:

- `new_installments`: installments whose `confirmed_at` falls in the period (a suspect first copy
  is a suspect, not news), each zone compared with its previous section (`queries.against_series`;
  every zone's predecessor in one statement, storage/previous_sections.py);
- `site_edits`: non-provisional revisions made in the period of installments confirmed before it,
  with their changes, figure changes and the note of a suspect copy that lasted;
- `events`: suspects (and parse errors) and availability problems;
- `crawl_health` (storage/crawl_health.py): the only read of the daemon's `scheduler_runs`;
- `moves` (storage/report_moves.py) and `series_table`, the series chart's rows.

The dict's shape is written once, in storage/report_shape.py (`ReportData`, `assemble`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from storage import ingest_policy
from storage.common import iso, utc
from storage.crawl_health import crawl_health
from storage.figure_changes import compare_figures, source_of, week_changes
from storage.figures import section_figures
from storage.models import Event, Installment, Page, Revision, Section
from storage.previous_sections import previous_sections
from storage.queries import (
    against_series,
    inst_head,
    revision_changes,
    sections_for,
)
from storage.report_moves import moves
from storage.report_shape import Item, ReportData, assemble

__all__ = ["ReportData", "report_data"]


def report_data(s: Session, since: datetime, until: datetime) -> ReportData:
    """Everything a report shows for [since, until) (docs/CONTRACTS.md)."""
    lo, hi = utc(since), utc(until)
    news = new_installments(s, lo, hi)
    suspects, availability = events(s, lo, hi)
    # The daemon's scheduler_runs: crawls that could not finish and how many ran at all, since
    # a quiet week may be a blind one (storage/crawl_health.py).
    crawls = crawl_health(s, lo, hi)
    years = {n["year"] for n in news} or {lo.year, hi.year}
    data = assemble(
        since.isoformat(),
        until.isoformat(),
        new_installments=news,
        revisions=site_edits(s, lo, hi),
        suspects=suspects,
        availability=availability,
        moves=moves(s, lo, hi),
        crawl_problems=crawls["problems"],
        crawls={k: v for k, v in crawls.items() if k != "problems"},
        series=series_table(s, years),
    )
    data["target_changes"] = week_changes(data)  # type: ignore[arg-type]  # the 目标变化 table
    return data


def new_installments(s: Session, lo: datetime, hi: datetime) -> list[Item]:
    """Installments confirmed in [lo, hi), each zone against its previous section."""
    fresh = list(
        s.execute(
            select(Installment, Revision)
            .join(Revision, Revision.id == Installment.latest_revision_id)
            # New once it has healthy content (a suspect first copy is a suspect).
            .where(Installment.confirmed_at >= lo, Installment.confirmed_at < hi)
            .order_by(Installment.year, Installment.number)
        ).all()
    )
    fresh_secs = sections_for(s, [rev.id for _inst, rev in fresh])
    # Every new zone's predecessor in one statement, not one per zone (issue 16).
    prevs = previous_sections(
        s,
        [
            (inst.series, inst.year, inst.number, sec.zone)
            for inst, rev in fresh
            for sec in fresh_secs[rev.id]
        ],
    )
    out = []
    for inst, rev in fresh:
        cmp = against_series(s, inst, rev, fresh_secs[rev.id], prevs)
        out.append(
            {
                **inst_head(inst),
                "zones": [sec["zone"] for sec in cmp["sections"]],
                "new_zones": cmp["new_zones"],
                "sections": cmp["sections"],
            }
        )
    return out


def site_edits(s: Session, lo: datetime, hi: datetime) -> list[Item]:
    """Revisions made in [lo, hi) of installments confirmed before it, oldest first."""
    # Each revision with its predecessor and the `confirmed` event made on its fetch (a suspect
    # copy the site kept serving, storage/ingest_policy.py) in one query, its sections in one more.
    prev = aliased(Revision)
    confirmed = select(Event.id).where(
        Event.kind == ingest_policy.CONFIRMED_EVENT, Event.fetch_id == Revision.fetch_id
    )
    note = confirmed.with_only_columns(Event.reason).order_by(Event.id.desc()).limit(1)
    changed = s.execute(
        select(
            Revision,
            Installment,
            prev,
            confirmed.exists().label("large_deletion"),
            note.scalar_subquery().label("note"),
        )
        .join(Installment, Installment.id == Revision.installment_id)
        .outerjoin(
            prev, and_(prev.installment_id == Revision.installment_id, prev.seq == Revision.seq - 1)
        )
        .where(
            Revision.created_at >= lo,
            Revision.created_at < hi,
            Installment.confirmed_at < lo,
            Revision.provisional.is_(False),
        )
        .order_by(Revision.created_at, Revision.id)
    ).all()
    if not changed:
        return []
    loaded = sections_for(s, [r.id for r, *_ in changed] + [p.id for _r, _i, p, *_ in changed if p])
    return [
        {
            "url": inst.url,
            "title": inst.title,
            "year": inst.year,
            "installment": inst.number,
            "cause": rev.cause,
            "revision": rev.seq,
            "created_at": iso(rev.created_at),
            "changes": [c.to_dict() for c in revision_changes(s, old, rev, loaded)],
            "large_deletion": bool(deleted),
            "confirmed_suspect": reason if deleted else None,
            "target_changes": revision_figure_changes(inst, old, rev, loaded),
        }
        for rev, inst, old, deleted, reason in changed
    ]


def revision_figure_changes(
    inst: Installment,
    old: Revision | None,
    new: Revision,
    loaded: Mapping[int, list[Section]],
) -> list[Item]:
    """Figures the site changed in an edit, per zone (intro: zone None)."""
    if old is None:
        return []
    head = inst_head(inst)
    before: dict[str | None, str] = {None: old.intro}  # the intro, then zone -> its text
    before.update((sec.zone, sec.text) for sec in loaded[old.id])
    after: dict[str | None, str] = {None: new.intro}
    after.update((sec.zone, sec.text) for sec in loaded[new.id])
    out: list[Item] = []
    for zone, body in after.items():
        if zone not in before or before[zone] == body:
            continue
        out += compare_figures(
            section_figures(before[zone] or "", inst.year),
            section_figures(body or "", inst.year),
            source_of(head, old.seq),
            source_of(head, new.seq),
            zone,
        )
    return out


def events(s: Session, lo: datetime, hi: datetime) -> tuple[list[Item], list[Item]]:
    """(suspects, availability) recorded in [lo, hi); `confirmed` events show on their revision."""
    suspects: list[Item] = []
    availability: list[Item] = []
    for ev, url in s.execute(
        select(Event, Page.url)
        .join(Page, Page.id == Event.page_id)
        .where(Event.at >= lo, Event.at < hi)
        .order_by(Event.at, Event.id)
    ).all():
        if ev.kind == ingest_policy.CONFIRMED_EVENT:
            continue
        if ev.kind == "availability":
            availability.append(
                {"url": url, "title": ev.title, "status": ev.status, "fetched_at": iso(ev.at)}
            )
        else:
            suspects.append(
                {
                    "url": url,
                    "title": ev.title,
                    "reason": ev.reason,
                    "fetched_at": iso(ev.at),
                    "confidence": ev.confidence,
                    "kind": ev.kind,
                }
            )
    return suspects, availability


def series_table(s: Session, years: set[int]) -> list[Item]:
    """Every installment of these years with its number of zones (the series chart)."""
    # A count per installment through the sections index: PostgreSQL would otherwise join the
    # whole sections table by hash (a scan growing with the store) for a few hundred rows.
    zones = (
        select(func.count(Section.id))
        .where(Section.revision_id == Installment.latest_revision_id)
        .correlate(Installment)
        .scalar_subquery()
    )
    return [
        {"year": y, "installment": n, "title": t, "zones": z}
        for y, n, t, z in s.execute(
            select(Installment.year, Installment.number, Installment.title, zones)
            .where(Installment.year.in_(sorted(years)))
            .order_by(Installment.year, Installment.number, Installment.id)
        ).all()
    ]
