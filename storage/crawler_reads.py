"""What the crawler reads from the store: validators for conditional requests, known article URLs.

`Store.conditional_headers`, `Store.validators` and `Store.known_urls`; nothing here writes.
"""

from __future__ import annotations

from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from storage import batch_ingest
from storage.models import Event, Page

__all__ = ["conditional_headers", "validators", "known_urls"]


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
