"""Each new section's predecessor (the zone's latest section in an earlier installment), at once.

The weekly report compares every zone of every new installment with that zone's most recent
section in an earlier installment of the series. Asked one zone at a time that is one statement
per zone (315 for 35 new installments): on PostgreSQL a round trip each, and on SQLite, which
runs in our process, still the ORM's cost of building, executing and loading each statement
(about 1 ms apiece, more than the SQL). So all the zones go in ONE query on both backends: a
VALUES list of (series, year, number, zone) as a CTE, each row with a correlated subquery doing
the single query's index walk (`queries.previous_section`), and one more loads the rows found.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Integer, String, column, select, tuple_, values
from sqlalchemy.orm import Session

from storage.models import Installment, Section

__all__ = ["Key", "previous_sections"]

Key = tuple[str, int, int, str]  # series, year, number, zone
Found = tuple[Section, Installment] | None
CHUNK = 500  # 5 parameters a key: 2,500 a statement, far below SQLite's limit of 32,766


def previous_sections(s: Session, keys: Sequence[Key]) -> dict[Key, Found]:
    """key -> (section, installment) of the zone's previous section, or None."""
    uniq = list(dict.fromkeys(keys))
    out: dict[Key, Found] = dict.fromkeys(uniq)
    for i in range(0, len(uniq), CHUNK):
        chunk = uniq[i : i + CHUNK]
        t = (
            values(
                column("k", Integer),
                column("series", String),
                column("y", Integer),
                column("n", Integer),
                column("zone", String),
                name="t",
            )
            .data([(j, *k) for j, k in enumerate(chunk)])
            .cte("t")
        )
        prev = (
            select(Section.id)
            .join(Installment, Installment.latest_revision_id == Section.revision_id)
            .where(
                Section.zone == t.c.zone,
                Installment.series == t.c.series,
                # A row comparison walks the (year, number) index backwards and stops at the
                # first hit; the equivalent OR is a filter over every earlier installment.
                tuple_(Installment.year, Installment.number) < tuple_(t.c.y, t.c.n),
            )
            .order_by(Installment.year.desc(), Installment.number.desc())
            .limit(1)
            .correlate(t)
            .scalar_subquery()
        )
        sid_of = {k: sid for k, sid in s.execute(select(t.c.k, prev)).all() if sid is not None}
        if not sid_of:
            continue
        rows = {
            sec.id: (sec, inst)
            for sec, inst in s.execute(
                select(Section, Installment)
                .join(Installment, Installment.latest_revision_id == Section.revision_id)
                .where(Section.id.in_(set(sid_of.values())))
            ).all()
        }
        for k, sid in sid_of.items():
            out[chunk[k]] = rows.get(sid)
    return out
