"""What the crawler reads from the store: validators for conditional requests, known article URLs
and which of them this crawl asks for again (the revisit plan).

`Store.conditional_headers`, `Store.validators`, `Store.known_urls` and `Store.revisit_plan`;
nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import Session

from storage.common import utc
from storage.models import Event, Installment, Page, Revision

__all__ = ["conditional_headers", "validators", "known_urls", "RevisitPlan", "revisit_plan"]


def conditional_headers(s: Session, url: str) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from the page's last 200 response."""
    row = s.execute(select(Page.etag, Page.last_modified).where(Page.url == url)).first()
    out: dict[str, str] = {}
    if row is None:
        return out
    if row.etag:
        out["If-None-Match"] = row.etag
    if row.last_modified:
        out["If-Modified-Since"] = row.last_modified
    return out


def validators(engine: Engine) -> dict[str, dict[str, str]]:
    """`conditional_headers` of every page at once (one query; a crawl loads them once)."""
    from storage import batch_ingest  # the write path's module: not loaded by read commands

    return batch_ingest.load_validators(engine)


def known_urls(s: Session) -> list[str]:
    """Article pages fetched before: those mapped to an installment or that failed to parse."""
    flagged = select(Event.page_id).where(Event.kind.in_(("suspect", "parse_error")))
    return list(
        s.scalars(
            select(Page.url)
            .where(or_(Page.installment_id.is_not(None), Page.id.in_(flagged)))
            .order_by(Page.id)
        ).all()
    )


@dataclass(frozen=True)
class RevisitPlan:
    """Which known article pages one crawl asks for again (docs/crawling.md, "Revisiting").

    `due`: to re-check now, in page order. `not_due`: known pages checked successfully less than
    `after` ago whose installment is neither fresh nor troubled; the crawl does not ask for them,
    even when a list page links to them, and says how many it left (`CrawlSummary.not_due`).
    """

    due: list[str]
    not_due: frozenset[str]


def revisit_plan(s: Session, now: datetime, after: timedelta, fresh: timedelta) -> RevisitPlan:
    """The revisit plan at `now`. A known page is due unless all of these hold:

    - its last fetch succeeded (200 or 304) less than `after` ago (`after` 0: every page is due),
      and not after `now` (a clock set back must not rest pages until it catches up);
    - it maps to an installment, and the body it last delivered is the one held as good (no
      suspect copy waiting to be confirmed or replaced);
    - the installment was published more than `fresh` ago (a page with no publication time is
      always due), its last edit (a revision after the first) is older than `fresh`, and the page
      had no event (suspect, unavailable, parse error) within `fresh`.
    """
    known = known_urls(s)
    if after <= timedelta(0):
        return RevisitPlan(due=known, not_due=frozenset())
    now = utc(now)
    checked_since, recent = now - after, now - fresh
    last_event = (
        select(Event.page_id, func.max(Event.at).label("at")).group_by(Event.page_id).subquery()
    )
    rows = s.execute(
        select(Page.url, Installment.published, Revision.seq, Revision.created_at, last_event.c.at)
        .join(Installment, Installment.id == Page.installment_id)
        .outerjoin(Revision, Revision.id == Installment.latest_revision_id)
        .outerjoin(last_event, last_event.c.page_id == Page.id)
        .where(
            Page.status.in_((200, 304)),
            Page.last_fetched > checked_since,
            Page.last_fetched <= now,
            Page.good_blob_sha.is_not(None),
            Page.last_blob_sha == Page.good_blob_sha,
        )
    )
    resting = {
        r.url
        for r in rows
        if _before(r.published, recent)
        and not (r.seq is not None and r.seq > 1 and r.created_at >= recent)
        and not (r.at is not None and r.at >= recent)
    }
    return RevisitPlan(
        due=[u for u in known if u not in resting],
        not_due=frozenset(u for u in known if u in resting),
    )


def _before(published: str | None, moment: datetime) -> bool:
    """Whether a stored publication time (ISO 8601, with its offset) is before naive-UTC `moment`;
    False when there is none or it does not read as a time."""
    if not published:
        return False
    try:
        when = datetime.fromisoformat(published)
    except ValueError:
        return False
    return utc(when) < moment
