"""What the store does with odd responses: over-long header values, and suspect copies that last.

Kept apart from storage/ingest.py and storage/derive.py (which call these) so the rules are
readable in one place; docs/storage.md states them for users.

1. **Header values that do not fit their column** (PostgreSQL enforces VARCHAR lengths, SQLite
   does not): a validator (ETag, Last-Modified) that is too long is not kept at all — a cut ETag is
   a different ETag, and the next conditional request would carry a wrong one; the page is then
   simply re-fetched in full. A Content-Type is cut to its column (its `charset=` comes early and
   is all reparse needs). The page itself is always stored.
2. **A suspect copy the site keeps serving is the page's new content** (issue 10 §3): a copy held
   back as suspect (body shrank by more than half, cut off, zones lost, …) that the site serves
   unchanged on `CONFIRM_FETCHES` fetches spanning at least `CONFIRM_SPAN` becomes a revision
   (cause `site`) with a `confirmed` event naming the suspicion: the report flags it as a large
   deletion. "Unchanged" is the same normalised text (intro + zones), so a footer counter or a
   re-indent does not restart the count; a fetch of the last good copy (or a 304 for it) does.
   A copy the parser itself doubts (confidence below the floor) or cannot parse is never
   confirmed: that is a parser problem to fix, not a change of the site.
3. **When a copy is suspect** (issue 7, `suspect_reason`): the parser says the page is truncated
   or doubts its parse; or, against the latest good revision, the body shrank below
   `SUSPECT_BODY_RATIO`, all zones or zone headings were lost, or the text stops inside a
   paragraph (an editor deletes whole paragraphs; a response that stops mid-sentence is cut off).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from parsers.confidence import SUSPECT_CONFIDENCE as PARSER_SUSPECT_CONFIDENCE
from storage.content import Content
from storage.models import Fetch, Revision, Section
from storage.page_rows import PageRow

__all__ = [
    "ETAG_MAX",
    "LAST_MODIFIED_MAX",
    "CONTENT_TYPE_MAX",
    "CONFIRM_FETCHES",
    "CONFIRM_SPAN",
    "CONFIRMED_EVENT",
    "Confirmation",
    "validator",
    "content_type",
    "confirmable",
    "may_confirm",
    "suspect_run",
    "SUSPECT_BODY_RATIO",
    "SUSPECT_CONFIDENCE",
    "suspect_reason",
]

# Column lengths of storage/models.py (Page.etag, Page.last_modified, Fetch.content_type).
ETAG_MAX = 512
LAST_MODIFIED_MAX = 128
CONTENT_TYPE_MAX = 255

CONFIRM_FETCHES = 3
CONFIRM_SPAN = timedelta(hours=24)
# How far back a run of suspect fetches is looked for (a page fetched every 6 h: 25 days).
RUN_LOOKBACK = 100
CONFIRMED_EVENT = "confirmed"  # Event.kind of a suspect copy that became a revision
# Issue 7: a parse that keeps less than half of the previous body is far likelier a template
# change or a truncated response than an editor deleting half an article.
SUSPECT_BODY_RATIO = 0.5
SUSPECT_CONFIDENCE = PARSER_SUSPECT_CONFIDENCE  # the parser's caps sit below it


def validator(value: str | None, limit: int) -> str | None:
    """A validator header as stored: whole, or None when it does not fit (never cut)."""
    if value is None or len(value) > limit:
        return None
    return value


def content_type(value: str | None) -> str | None:
    """A Content-Type as stored: cut to its column."""
    return value if value is None else value[:CONTENT_TYPE_MAX]


def confirmable(reason: str) -> bool:
    """Whether a suspect reason is about the page's content (the site may mean it) rather than
    about the parser's doubts or failure."""
    return not reason.startswith(("low parse confidence", "parse failed", "page no longer"))


@dataclass(frozen=True)
class Confirmation:
    """A run of fetches that served the same suspect text: long enough to be the site's text."""

    fetches: int
    since: datetime  # first fetch of the run (naive UTC)
    until: datetime  # this fetch

    def note(self, reason: str) -> str:
        hours = (self.until - self.since).total_seconds() / 3600
        return (
            f"confirmed suspect: {reason}; served unchanged on {self.fetches} fetches over "
            f"{hours:.0f} h since {self.since.strftime('%Y-%m-%d %H:%M')} UTC"
        )


def _run_rows(
    s: Session, page_id: int, at: datetime
) -> list[tuple[datetime, int, str | None, str | None]]:
    rows = s.execute(
        select(Fetch.fetched_at, Fetch.status, Fetch.blob_sha, Fetch.content_type)
        .where(Fetch.page_id == page_id, Fetch.fetched_at <= at)
        .order_by(Fetch.fetched_at.desc(), Fetch.id.desc())
        .limit(RUN_LOOKBACK)
    ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def _long_enough(fetches: int, since: datetime, at: datetime) -> bool:
    return fetches >= CONFIRM_FETCHES and at - since >= CONFIRM_SPAN


def may_confirm(s: Session, page_id: int, good_sha: str | None, at: datetime) -> bool:
    """Cheap upper bound, before parsing: could a fetch at `at` of the page's last (suspect)
    bytes complete a run? Counts earlier 200s that are not the good copy, plus this one."""
    n, since = 1, at
    for fetched_at, status, blob, _ct in _run_rows(s, page_id, at):
        if status == 304 or (status == 200 and blob is not None and blob == good_sha):
            break
        if status == 200 and blob is not None:
            n, since = n + 1, fetched_at
    return _long_enough(n, since, at)


def suspect_run(
    s: Session,
    page: PageRow,
    body_hash: str,
    at: datetime,
    content_hash: Callable[[str, str | None], str | None],
) -> Confirmation | None:
    """The run of fetches of `page` ending with this one (already flushed) that served the same
    text (`body_hash`), if it is long enough to confirm it; else None.

    `content_hash(blob_sha, content_type)` gives an earlier body's normalised-text hash (the
    store parses it), None when it does not parse.
    """
    hashes: dict[str, str | None] = {}
    n, since = 0, at
    for fetched_at, status, blob, ctype in _run_rows(s, page.id, at):
        if status == 304 or (status == 200 and blob is not None and blob == page.good_blob_sha):
            break  # the site served the good copy again: the suspicion was a blip
        if status != 200 or blob is None:
            continue  # an error or a timeout serves nothing: it neither counts nor breaks
        if blob not in hashes:
            hashes[blob] = body_hash if blob == page.last_blob_sha else content_hash(blob, ctype)
        if hashes[blob] != body_hash:
            break
        n, since = n + 1, fetched_at
    return Confirmation(n, since, at) if _long_enough(n, since, at) else None


def suspect_reason(
    content: Content, latest: Revision | None, old_flat: list[str] | None, s: Session
) -> str | None:
    """Why this parse must not become a revision against `latest` (the latest good revision,
    `old_flat` its words), or None."""
    article, zones, body_chars = content.article, content.zones, content.body_chars
    # The parser's own signal (its warning names the markup it missed; the reason stays plain
    # text because reports render it).
    if article.truncated:
        return f"page truncated: cut off before its end (confidence {article.confidence:.2f})"
    if article.confidence < SUSPECT_CONFIDENCE:
        return f"low parse confidence {article.confidence:.2f}"
    if latest is None or old_flat is None:
        return None
    if latest.body_chars and body_chars < SUSPECT_BODY_RATIO * latest.body_chars:
        return f"body shrank to {body_chars} of {latest.body_chars} characters"
    had = s.scalar(select(func.count(Section.id)).where(Section.revision_id == latest.id)) or 0
    if not zones and had:
        return f"all {had} zones lost"
    flat = content.flat
    if flat == old_flat and len(zones) < had:
        return f"zone headings lost: the same text in {len(zones)} of {had} zones"
    k = len(flat)
    if (
        0 < k <= len(old_flat)
        and flat[:-1] == old_flat[: k - 1]
        and flat[-1] != old_flat[k - 1]
        and old_flat[k - 1].startswith(flat[-1])
    ):
        # An editor deletes whole paragraphs; a response that stops mid-sentence is cut off.
        return f"text cut off mid-paragraph after {k} of {len(old_flat)} paragraphs"
    return None
