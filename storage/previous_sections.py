"""Each new section's predecessor (the zone's latest section in an earlier installment), at once.

The weekly report compares every zone of every new installment with that zone's most recent
section in an earlier installment of the series. Asked one zone at a time that is one round trip
per zone (315 queries for 35 new installments): free on SQLite, which runs in our process, but
the report's whole cost on PostgreSQL. On PostgreSQL all the zones go in ONE query (a VALUES list
of (series, year, number, zone) joined LATERAL to the same index walk the single query does), and
one more loads the rows found. SQLite keeps the per-zone query (no round trip to save).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import Integer, String, column, select, true, tuple_, values
from sqlalchemy.orm import Session

from storage.models import Installment, Section

__all__ = ["Key", "previous_sections"]

Key = tuple[str, int, int, str]  # series, year, number, zone
Found = tuple[Section, Installment] | None
CHUNK = 1000


def previous_sections(
    s: Session, keys: Sequence[Key], one: Callable[[Key], Found]
) -> dict[Key, Found]:
    """key -> (section, installment) of the zone's previous section, or None.

    `one` answers a single key (the per-zone query): used where a batch saves no round trip.
    """
    uniq = list(dict.fromkeys(keys))
    if not uniq:
        return {}
    if s.get_bind().dialect.name != "postgresql":
        return {k: one(k) for k in uniq}
    out: dict[Key, Found] = dict.fromkeys(uniq)
    for i in range(0, len(uniq), CHUNK):
        chunk = uniq[i : i + CHUNK]
        t = values(
            column("k", Integer),
            column("series", String),
            column("y", Integer),
            column("n", Integer),
            column("zone", String),
            name="t",
        ).data([(j, *k) for j, k in enumerate(chunk)])
        prev = (
            select(Section.id.label("sid"), Installment.id.label("iid"))
            .join(Installment, Installment.latest_revision_id == Section.revision_id)
            .where(
                Section.zone == t.c.zone,
                Installment.series == t.c.series,
                tuple_(Installment.year, Installment.number) < tuple_(t.c.y, t.c.n),
            )
            .order_by(Installment.year.desc(), Installment.number.desc())
            .limit(1)
            .lateral("prev")
        )
        hits = s.execute(select(t.c.k, prev.c.sid, prev.c.iid).join(prev, true())).all()
        if not hits:
            continue
        sid_of = {k: sid for k, sid, _iid in hits}
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
