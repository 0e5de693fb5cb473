"""Derive the installment's versions from a parsed page: a revision, nothing, or a suspect.

The derived half of the store (storage/ingest.py keeps the raw half: blobs and fetch rows).
`apply_article` maps one parse onto its installment by (series, year, number), within the
caller's transaction: from a crawl (`record_response`, cause "site") or from `reparse` (cause
"parser"). The rules are docs/storage.md's "What a response does"; which copies are suspect, and
when a suspect copy the site keeps serving is confirmed, is storage/ingest_policy.py.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from chihwatch.errors import ParseError
from parsers.model import Article
from parsers.site import SERIES_NAME
from storage import blobs, ingest_policy
from storage.content import Content, content_of, flat_of
from storage.models import Blob, Event, Installment, Page, Revision, Section
from storage.page_rows import PageRow

if TYPE_CHECKING:
    from storage.store import Store

__all__ = ["DEFAULT_SERIES", "Outcome", "apply_article", "installment_of", "try_parse"]

log = logging.getLogger(__name__)

DEFAULT_SERIES = SERIES_NAME  # parsers/site.py: chih.cn's facts in one place

# The new-installment path as Core statements on the tables, values bound at execution: compiled
# once and cached (values inlined in the statement, or the ORM's bulk path, were compiled per page
# and cost more than the inserts themselves; issue 16).
_INSTALLMENTS = cast(Table, Installment.__table__)
_REVISIONS = cast(Table, Revision.__table__)
_INSERT_INSTALLMENT = insert(_INSTALLMENTS).returning(_INSTALLMENTS.c.id)
_INSERT_REVISION = insert(_REVISIONS).returning(_REVISIONS.c.id)
_INSERT_SECTION = insert(cast(Table, Section.__table__))
_INSTALLMENT_ID = select(_INSTALLMENTS.c.id).where(
    _INSTALLMENTS.c.series == bindparam("series"),
    _INSTALLMENTS.c.year == bindparam("year"),
    _INSTALLMENTS.c.number == bindparam("number"),
)
_SET_LATEST = (
    update(_INSTALLMENTS)
    .where(_INSTALLMENTS.c.id == bindparam("inst_id"))
    .values(latest_revision_id=bindparam("rev_id"))
)


@dataclass(frozen=True)
class Outcome:
    """What apply_article (or a body without content of its own) did to the installment."""

    installment: tuple[str, int, int] | None = None
    installment_new: bool = False
    revision_new: bool = False
    suspect: str | None = None
    held_back: bool = False  # a suspect copy seen again, still suspect: its validators not kept


def installment_of(
    s: Session,
    page: PageRow,
    request_url: str | None,
    link_installment: tuple[int, int | None] | None = None,
) -> int | None:
    """The installment a response without content of its own is news about.

    Its page's; else the requested page's (a known installment moved by a redirect fails at a
    target URL we never saw carry it); else the known installment the link to it named (the moved
    page reached straight from a list page).
    """
    if page.installment_id is not None:
        return page.installment_id
    if request_url and request_url != page.url:
        iid = s.scalar(select(Page.installment_id).where(Page.url == request_url))
        if iid is not None:
            return iid
    if link_installment and link_installment[1] is not None:
        year, number = link_installment
        return s.scalar(
            select(Installment.id)
            .where(Installment.year == year, Installment.number == number)
            .order_by(Installment.id)
            .limit(1)
        )
    return None


def try_parse(
    store: Store, body: bytes, url: str, headers: Mapping[str, str]
) -> tuple[Article | None, str | None]:
    """(article, None), or (None, a one-line error): a parser bug must not lose the page."""
    try:
        return store._parse(body, url, headers), None
    except ParseError as exc:
        return None, f"{type(exc).__name__}: {' '.join(str(exc).split())}"
    except Exception as exc:  # a parser bug must not lose the fetched page
        log.error("parser crashed on %s: %r", url, exc, exc_info=log.isEnabledFor(logging.DEBUG))
        return None, f"parser crashed: {type(exc).__name__}: {exc}"


def apply_article(
    store: Store,
    s: Session,
    page: PageRow,
    article: Article,
    at: datetime,
    cause: str,
    fetch_id: int | None,
    *,
    sha: str | None = None,
    request_url: str | None = None,
    repeat: bool = False,
    seen: bool = True,
) -> Outcome:
    """Map a parsed page onto its installment: a revision, nothing, or a suspect event.

    `repeat`: the page's last (suspect) bytes again, parsed only to see whether they are confirmed
    now; if not, nothing is recorded beyond the fetch (as for any known bytes).
    `seen`: the page was on the site at `at` (False for reparse: `installments.last_seen` means
    seen on the site, not parsed again).
    """
    if article.installment is None or article.year is None:
        return _not_an_installment(s, page, article, at, fetch_id, request_url)
    series = article.series or DEFAULT_SERIES
    key = (series, article.year, article.installment)
    # The id by a cached Core statement (no ORM load, no autoflush): a full crawl's pages are
    # mostly new installments, which need no ORM object at all (issue 16).
    found = {"series": series, "year": key[1], "number": key[2]}
    inst_id = s.connection().execute(_INSTALLMENT_ID, found).scalar()
    inst = s.get(Installment, inst_id) if inst_id is not None else None
    latest = s.get(Revision, inst.latest_revision_id) if inst and inst.latest_revision_id else None
    content = content_of(article)
    provisional = latest is not None and latest.provisional
    # A provisional revision came from a suspect copy: no yardstick for the next one.
    good = None if provisional else latest

    old_flat = flat_of(s, good) if good is not None else None
    reason = ingest_policy.suspect_reason(content, good, old_flat, s)
    if reason is not None and inst is not None and good is not None:
        reason = _confirm_suspect(store, s, page, inst, reason, content.body_hash, at, fetch_id)
    if reason is not None and repeat and inst is not None:
        if seen:
            inst.last_seen = max(inst.last_seen, at)
        return Outcome(installment=key, held_back=True)
    if reason is not None:
        return _hold_suspect(store, s, page, inst, content, key, reason, at, cause, fetch_id)
    return _apply_healthy(
        store, s, page, inst, latest, content, old_flat, key, at, cause, fetch_id, sha, seen
    )


def _not_an_installment(
    s: Session,
    page: PageRow,
    article: Article,
    at: datetime,
    fetch_id: int | None,
    request_url: str | None,
) -> Outcome:
    """A parse without (year, number): a suspect if the URL was an installment's, else nothing."""
    inst_id = installment_of(s, page, request_url)
    if inst_id is None:
        return Outcome()
    inst = s.get(Installment, inst_id)
    lost = "page no longer parses as a series installment"
    _suspect_event(s, page, inst_id, inst.title if inst else None, article, lost, at, fetch_id)
    return Outcome(suspect=lost)


def _suspect_event(
    s: Session,
    page: PageRow,
    inst_id: int,
    inst_title: str | None,
    article: Article,
    reason: str,
    at: datetime,
    fetch_id: int | None,
) -> None:
    s.add(
        Event(
            kind="suspect",
            at=at,
            page_id=page.id,
            fetch_id=fetch_id,
            installment_id=inst_id,
            reason=reason,
            confidence=article.confidence,
            title=article.title or inst_title,
        )
    )


def _hold_suspect(
    store: Store,
    s: Session,
    page: PageRow,
    inst: Installment | None,
    content: Content,
    key: tuple[str, int, int],
    reason: str,
    at: datetime,
    cause: str,
    fetch_id: int | None,
) -> Outcome:
    """A suspect copy: an event, no revision (a new installment gets a provisional one)."""
    article = content.article
    if inst is None:
        # Never lose a new installment, never let its broken copy become its history: it is
        # kept as a provisional revision that the first healthy copy replaces.
        inst_id = _insert_installment(
            store, s, page, content, key, at, cause, fetch_id, provisional=True
        )
        inst_title = article.title
        reason = f"new installment, its first copy looks broken: {reason}"
    else:
        inst_id, inst_title = inst.id, inst.title
    _suspect_event(s, page, inst_id, inst_title, article, reason, at, fetch_id)
    if page.installment_id is None:
        page.installment_id = inst_id
    return Outcome(installment=key, suspect=reason)


def _apply_healthy(
    store: Store,
    s: Session,
    page: PageRow,
    inst: Installment | None,
    latest: Revision | None,
    content: Content,
    old_flat: list[str] | None,
    key: tuple[str, int, int],
    at: datetime,
    cause: str,
    fetch_id: int | None,
    sha: str | None,
    seen: bool,
) -> Outcome:
    """A healthy parse: nothing new here, the provisional revision filled, a re-segmentation in
    place, or a new revision (and a new installment)."""
    article = content.article
    provisional = latest is not None and latest.provisional
    # This URL shows what it showed at its last good delivery: nothing changed *here*. If the
    # latest revision differs, another URL of the installment changed since, and this stale copy
    # must not undo that (nor flip back after a broken delivery in between).
    if (
        inst is not None
        and not provisional
        and page.installment_id == inst.id
        and page.good_body_hash == content.body_hash
    ):
        if seen:
            inst.last_seen = max(inst.last_seen, at)
        _mark_good(page, sha, content.body_hash)
        return Outcome(installment=key)

    if inst is None:
        # The common case of a full crawl: written with Core inserts, no ORM objects (issue 16).
        page.installment_id = _insert_installment(
            store, s, page, content, key, at, cause, fetch_id, provisional=False
        )
        _mark_good(page, sha, content.body_hash)
        return Outcome(installment=key, installment_new=True, revision_new=True)
    inst.url = page.url  # a moved page: the installment follows it
    if seen:
        inst.last_seen = max(inst.last_seen, at)
    inst.title = article.title or inst.title
    inst.published = article.published or inst.published
    page.installment_id = inst.id
    _mark_good(page, sha, content.body_hash)

    if latest is not None and provisional:
        # The first healthy copy: it *is* the installment's content, not an edit of the broken
        # one, so it replaces the provisional revision and the installment is new now.
        _fill_revision(store, latest, content, at, cause, fetch_id)
        latest.provisional = False
        inst.confirmed_at = at
        s.flush()
        return Outcome(installment=key, installment_new=True, revision_new=True)
    if latest is not None and latest.body_hash == content.body_hash:
        return Outcome(installment=key)
    if latest is not None and old_flat == content.flat:
        # Same text, other zone boundaries (more zones; fewer is a suspect above): the parse of
        # the same words got better, the site edited nothing. Re-segment in place.
        log.info("%s: same text in other zones, revision %d re-segmented", page.url, latest.seq)
        _fill_revision(store, latest, content, latest.created_at, latest.cause, latest.fetch_id)
        s.flush()
        return Outcome(installment=key)
    inst.latest_revision_id = _insert_revision(
        store, s, inst.id, (latest.seq + 1) if latest else 1, content, at, cause, fetch_id
    )
    return Outcome(installment=key, revision_new=True)


def _confirm_suspect(
    store: Store,
    s: Session,
    page: PageRow,
    inst: Installment,
    reason: str,
    body_hash: str,
    at: datetime,
    fetch_id: int | None,
) -> str | None:
    """The suspect reason, or None when the site has served this text long enough that it is the
    page's content (storage/ingest_policy.py): then a `confirmed` event is recorded and the
    caller makes the revision."""
    if not ingest_policy.confirmable(reason):
        return reason
    run = ingest_policy.suspect_run(
        s, page, body_hash, at, lambda sha, ctype: _blob_body_hash(store, s, page.url, sha, ctype)
    )
    if run is None:
        return reason
    note = run.note(reason)
    log.info("%s: %s", page.url, note)
    s.add(
        Event(
            kind=ingest_policy.CONFIRMED_EVENT,
            at=at,
            page_id=page.id,
            fetch_id=fetch_id,
            installment_id=inst.id,
            reason=note,
            title=inst.title,
        )
    )
    return None


def _blob_body_hash(store: Store, s: Session, url: str, sha: str, ctype: str | None) -> str | None:
    """The normalised-text hash of a stored body (None if it is gone or does not parse)."""
    blob = s.get(Blob, sha)
    if blob is None:
        return None
    raw = blobs.decompress(bytes(blob.data), blob.compression)
    article, _err = try_parse(store, raw, url, {"content-type": ctype} if ctype else {})
    if article is None:
        return None
    return content_of(article).body_hash


def _mark_good(page: PageRow, sha: str | None, body_hash: str) -> None:
    if sha is not None:
        page.good_blob_sha = sha
    page.good_body_hash = body_hash


def _insert_installment(
    store: Store,
    s: Session,
    page: PageRow,
    content: Content,
    key: tuple[str, int, int],
    at: datetime,
    cause: str,
    fetch_id: int | None,
    *,
    provisional: bool,
) -> int:
    """A new installment with its revision 1 (provisional: from a suspect first copy, so not
    confirmed yet); its id."""
    article = content.article
    conn = s.connection()
    inst_id: int = conn.execute(
        _INSERT_INSTALLMENT,
        {
            "series": key[0],
            "year": key[1],
            "number": key[2],
            "title": article.title,
            "url": page.url,
            "published": article.published,
            "first_seen": at,
            "last_seen": at,
            "confirmed_at": None if provisional else at,
        },
    ).scalar_one()
    rev_id = _insert_revision(
        store, s, inst_id, 1, content, at, cause, fetch_id, provisional=provisional
    )
    conn.execute(_SET_LATEST, {"inst_id": inst_id, "rev_id": rev_id})
    return inst_id


def _revision_values(
    store: Store, content: Content, at: datetime, cause: str, fetch_id: int | None
) -> dict[str, Any]:
    """A revision's columns from a parse (all but its installment, seq and provisional)."""
    article = content.article
    return {
        "created_at": at,
        "cause": cause,
        "fetch_id": fetch_id,
        "parser_version": store.parser_version,
        "body_hash": content.body_hash,
        "body_chars": content.body_chars,
        "title": article.title,
        "published": article.published,
        "source": article.source,
        "author": article.author,
        "editor": article.editor,
        "template": article.template,
        "confidence": article.confidence,
        "intro": "\n".join(content.intro),
    }


def _section_values(content: Content) -> list[dict[str, Any]]:
    return [
        {"position": i, "zone": name, "heading": heading, "text": "\n".join(paras)}
        for i, (name, heading, paras) in enumerate(content.zones)
    ]


def _insert_revision(
    store: Store,
    s: Session,
    inst_id: int,
    seq: int,
    content: Content,
    at: datetime,
    cause: str,
    fetch_id: int | None,
    *,
    provisional: bool = False,
) -> int:
    """A new revision and its sections, with Core inserts (never read back as ORM objects in
    this transaction); its id."""
    conn = s.connection()
    rev_id: int = conn.execute(
        _INSERT_REVISION,
        {
            "installment_id": inst_id,
            "seq": seq,
            "provisional": provisional,
            **_revision_values(store, content, at, cause, fetch_id),
        },
    ).scalar_one()
    sections = _section_values(content)
    if sections:  # one executemany: one compiled statement, whatever the number of zones
        conn.execute(_INSERT_SECTION, [{"revision_id": rev_id, **v} for v in sections])
    return rev_id


def _fill_revision(
    store: Store,
    rev: Revision,
    content: Content,
    at: datetime,
    cause: str,
    fetch_id: int | None,
) -> None:
    """An existing revision rewritten in place (provisional replaced, or re-segmented)."""
    for name, value in _revision_values(store, content, at, cause, fetch_id).items():
        setattr(rev, name, value)
    rev.sections = [Section(**v) for v in _section_values(content)]
