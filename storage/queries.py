"""What people ask the store: list the installments, show one, diff two of its revisions.

`list_installments`, `show` and `diff` are `Store.list_installments`, `Store.show` and
`Store.diff` (the JSON of `chihwatch list | show | diff`), each over an open read Session.
`against_series` compares a revision's zones with the same zones in earlier installments of the
series (a comparison, not an edit: storage/compare.py); the weekly report uses it too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from chihwatch.errors import NotFound
from storage.common import iso, split
from storage.models import Installment, Page, Revision, Section

if TYPE_CHECKING:
    from storage.diff import Change

# The figure, diff and comparison engines (rapidfuzz, the figure extractor) are imported by the
# functions that use them: `chihwatch list` reads this module and none of them (issue 16).

__all__ = [
    "resolve",
    "inst_head",
    "rev_head",
    "zones_of",
    "sections_for",
    "list_installments",
    "show",
    "diff",
    "revision_changes",
    "previous_section",
    "against_series",
]


def resolve(s: Session, ref: str | int) -> Installment:
    """An installment from `YEAR-NUMBER` (or 2024-⑤, 2024年⑤, its title), an id or a URL."""
    # What people type is read by the parser's series rules (lxml and the site's selectors come
    # with them): loaded here, so `chihwatch list` does not load them (issue 16).
    from storage.refs import parse_ref, resolve_title

    sref = str(ref).strip()
    inst: Installment | None = None
    if year_number := parse_ref(sref):
        inst = s.scalars(
            select(Installment)
            .where(Installment.year == year_number[0], Installment.number == year_number[1])
            .order_by(Installment.id)
            .limit(1)
        ).first()
    elif sref.isascii() and sref.isdigit():
        if len(sref) > 18:  # past a 64-bit id: no such row (SQLite would raise OverflowError)
            raise NotFound(f"no installment {sref!r} in the store (try `chihwatch list`)")
        inst = s.get(Installment, int(sref))
    elif "://" in sref:
        inst = s.scalars(select(Installment).where(Installment.url == sref).limit(1)).first()
        if inst is None:
            iid = s.scalar(select(Page.installment_id).where(Page.url == sref))
            inst = s.get(Installment, iid) if iid else None
    else:
        inst = resolve_title(s, sref)
    if inst is None:
        raise NotFound(
            f"no installment {sref!r} in the store (try `chihwatch list`; an installment is "
            "named like 2024-5, 2024年⑤, its title, its id or its URL)"
        )
    return inst


def inst_head(inst: Installment) -> dict[str, Any]:
    return {
        "url": inst.url,
        "title": inst.title,
        "year": inst.year,
        "installment": inst.number,
        "published": inst.published,
    }


def zones_of(s: Session, revision_id: int | None) -> list[Section]:
    if revision_id is None:
        return []
    return list(
        s.scalars(
            select(Section).where(Section.revision_id == revision_id).order_by(Section.position)
        )
    )


def sections_for(s: Session, revision_ids: Sequence[int]) -> dict[int, list[Section]]:
    """Sections of many revisions in few queries (a report touches dozens of revisions)."""
    out: dict[int, list[Section]] = {rid: [] for rid in revision_ids}
    ids = sorted(set(revision_ids))
    for k in range(0, len(ids), 500):
        for sec in s.scalars(
            select(Section)
            .where(Section.revision_id.in_(ids[k : k + 500]))
            .order_by(Section.revision_id, Section.position)
        ):
            out[sec.revision_id].append(sec)
    return out


def list_installments(s: Session) -> list[dict[str, Any]]:
    """Every installment (the JSON of `chihwatch list --json`)."""
    counts = dict(
        s.execute(
            select(Revision.installment_id, func.count(Revision.id)).group_by(
                Revision.installment_id
            )
        ).all()
    )
    zones: dict[int, list[str]] = {}
    for rid, zone in s.execute(
        select(Section.revision_id, Section.zone)
        .join(Installment, Installment.latest_revision_id == Section.revision_id)
        .order_by(Section.revision_id, Section.position)
    ):
        zones.setdefault(rid, []).append(zone)
    out = []
    for inst in s.scalars(
        select(Installment).order_by(Installment.year, Installment.number, Installment.id)
    ):
        out.append(
            {
                "id": inst.id,
                **inst_head(inst),
                "series": inst.series,
                "zones": zones.get(inst.latest_revision_id or -1, []),
                "revisions": counts.get(inst.id, 0),
                "first_seen": iso(inst.first_seen),
                "last_seen": iso(inst.last_seen),
            }
        )
    return out


def rev_head(rev: Revision) -> dict[str, Any]:
    return {
        "revision": rev.seq,
        "created_at": iso(rev.created_at),
        "cause": rev.cause,
        "parser_version": rev.parser_version,
        "template": rev.template,
        "confidence": round(rev.confidence, 2),
        "provisional": rev.provisional,
    }


def show(s: Session, ref: str | int, revision: int | None = None) -> dict[str, Any]:
    """One installment with its latest (or its `revision`-th) revision's text and zones."""
    from storage.figures import figure_rows, section_figures

    inst = resolve(s, ref)
    revs = list(
        s.scalars(select(Revision).where(Revision.installment_id == inst.id).order_by(Revision.seq))
    )
    latest = revs[-1] if revs else None
    if revision is not None:
        latest = next((r for r in revs if r.seq == revision), None)
        if latest is None:
            raise NotFound(
                f"installment {inst.year}-{inst.number} has no revision {revision} "
                f"(it has {len(revs)}: 1..{len(revs)})"
            )
    urls = list(s.scalars(select(Page.url).where(Page.installment_id == inst.id).order_by(Page.id)))
    sections = zones_of(s, latest.id if latest else None)
    return {
        "id": inst.id,
        **inst_head(inst),
        "series": inst.series,
        "urls": urls,
        "source": latest.source if latest else None,
        "editor": latest.editor if latest else None,
        "first_seen": iso(inst.first_seen),
        "last_seen": iso(inst.last_seen),
        "revision": rev_head(latest) if latest else None,
        "revisions": [rev_head(r) for r in revs],
        "intro": split(latest.intro) if latest else [],
        "zones": [
            {
                "name": sec.zone,
                "heading": sec.heading or sec.zone,
                "paragraphs": split(sec.text),
                "figures": figure_rows(
                    {**inst_head(inst), "series": inst.series},
                    sec.zone,
                    sec.heading or sec.zone,
                    section_figures(sec.text, inst.year),
                ),
            }
            for sec in sections
        ],
    }


def rev_zones(rev: Revision, sections: Sequence[Section]) -> list[tuple[str | None, list[str]]]:
    out: list[tuple[str | None, list[str]]] = [(None, split(rev.intro))]
    out += [(sec.zone, split(sec.text)) for sec in sections]
    return out


def revision_changes(
    s: Session,
    old: Revision | None,
    new: Revision,
    loaded: Mapping[int, list[Section]] | None = None,
) -> list[Change]:
    from storage.diff import diff_zones

    if old is None:
        return []
    secs = loaded if loaded is not None else sections_for(s, [old.id, new.id])
    return diff_zones(rev_zones(old, secs[old.id]), rev_zones(new, secs[new.id]))


def diff(
    s: Session, ref: str | int, from_rev: int | None = None, to_rev: int | None = None
) -> dict[str, Any]:
    """Revision against revision of one installment (default: the last two)."""
    inst = resolve(s, ref)
    revs = {r.seq: r for r in s.scalars(select(Revision).where(Revision.installment_id == inst.id))}
    if not revs:
        raise NotFound(f"installment {inst.year}-{inst.number} has no revision yet")
    to_seq = to_rev if to_rev is not None else max(revs)
    if to_seq not in revs:
        raise NotFound(f"installment {inst.year}-{inst.number} has no revision {to_seq}")
    from_seq = from_rev if from_rev is not None else to_seq - 1
    if from_rev is not None and from_seq not in revs:
        raise NotFound(f"installment {inst.year}-{inst.number} has no revision {from_seq}")
    old, new = revs.get(from_seq), revs[to_seq]
    changes = revision_changes(s, old, new)
    series = against_series(s, inst, new)
    return {
        "id": inst.id,
        **inst_head(inst),
        "from": rev_head(old) if old else None,
        "to": rev_head(new),
        "changes": [c.to_dict() for c in changes],
        "new_zones": series["new_zones"],
        "covered_zones": series["covered_zones"],
        "sections": series["sections"],
    }


def previous_section(
    s: Session, inst: Installment, zone: str
) -> tuple[Section, Installment] | None:
    """The zone's most recent section in an earlier installment of the series (any year)."""
    row = s.execute(
        select(Section, Installment)
        .join(Installment, Installment.latest_revision_id == Section.revision_id)
        .where(
            Section.zone == zone,
            Installment.series == inst.series,
            # A row comparison walks the (year, number) index backwards and stops at the
            # first hit; the equivalent OR is a filter over every earlier installment.
            tuple_(Installment.year, Installment.number) < tuple_(inst.year, inst.number),
        )
        .order_by(Installment.year.desc(), Installment.number.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def against_series(
    s: Session,
    inst: Installment,
    rev: Revision,
    secs: list[Section] | None = None,
    prevs: Mapping[tuple[str, int, int, str], tuple[Section, Installment] | None] | None = None,
) -> dict[str, Any]:
    """A revision's zones against earlier installments: new zones and per-zone diffs."""
    from storage.compare import compare_sections
    from storage.figure_changes import compare_figures, plan_comparison, source_of
    from storage.figures import figure_rows, section_figures

    new_zones: list[str] = []
    covered: list[str] = []
    sections = []
    head = {**inst_head(inst), "series": inst.series}
    for sec in secs if secs is not None else zones_of(s, rev.id):
        paras = split(sec.text)
        figs = section_figures(sec.text, inst.year)
        key = (inst.series, inst.year, inst.number, sec.zone)
        prev = (
            prevs[key]
            if prevs is not None and key in prevs
            else (previous_section(s, inst, sec.zone))
        )
        entry: dict[str, Any] = {
            "zone": sec.zone,
            "heading": sec.heading or sec.zone,  # as printed (parse JSON's zones[].heading)
            "paragraphs": paras,
            "figures": figure_rows(head, sec.zone, sec.heading or sec.zone, figs),
            "previous": None,
            "changes": [],
            "comparison": [],
            "target_changes": [],
            "plan_comparison": [],
        }
        entry["targets"] = [r for r in entry["figures"] if r["kind"] != "other"]
        if prev is None:
            new_zones.append(sec.zone)
            entry["plan_comparison"] = plan_comparison(figs, inst.year, (), None, source_of(head))
        else:
            covered.append(sec.zone)
            psec, pinst = prev
            pparas = split(psec.text)
            entry["previous"] = inst_head(pinst)
            # Another installment: a comparison (storage/compare.py), not an edit.
            entry.update(compare_sections(sec.zone, pparas, paras))
            pfigs = section_figures(psec.text, pinst.year)
            psource = source_of(inst_head(pinst))
            entry["target_changes"] = compare_figures(
                pfigs, figs, psource, source_of(head), sec.zone
            )
            entry["plan_comparison"] = plan_comparison(
                figs, inst.year, pfigs, psource, source_of(head)
            )
        sections.append(entry)
    return {"new_zones": new_zones, "covered_zones": covered, "sections": sections}
