"""The Store: record fetched pages as versioned installments, and answer list/show/diff/report."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

import sqlalchemy.exc as sa_exc
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session

import parsers
from chihwatch.errors import ChihwatchError, ParseError
from parsers.model import Article
from parsers.normalize import norm_text
from storage import batch_ingest, crawler_reads, ingest_policy, queries, reparse, report_data
from storage.common import canonical_zone as _canonical_zone
from storage.common import compress, decompress
from storage.common import iso as _iso
from storage.common import split as _split
from storage.common import utc as _utc
from storage.db import current_revision, safe_url, translate_error
from storage.models import Blob, Event, Fetch, Installment, Page, Revision, Section
from storage.report_data import ReportData

__all__ = ["Store", "IngestResult", "DEFAULT_SERIES", "SUSPECT_BODY_RATIO", "SUSPECT_CONFIDENCE"]

log = logging.getLogger(__name__)

DEFAULT_SERIES = "国家高新区密集部署"
# Issue 7: a parse that keeps less than half of the previous body is far likelier a template
# change or a truncated response than an editor deleting half an article.
SUSPECT_BODY_RATIO = 0.5
SUSPECT_CONFIDENCE = 0.5

P = ParamSpec("P")
R = TypeVar("R")
ParseFn = Callable[[bytes, str | None, Mapping[str, str] | None], Article]


@dataclass(frozen=True)
class IngestResult:
    """What one record_response call did."""

    url: str
    fetch_id: int
    status: int
    blob_new: bool
    installment: tuple[str, int, int] | None
    installment_new: bool
    revision_new: bool
    suspect: str | None
    error: str | None


@dataclass(frozen=True)
class _Outcome:
    installment: tuple[str, int, int] | None = None
    installment_new: bool = False
    revision_new: bool = False
    suspect: str | None = None
    held_back: bool = False  # a suspect copy seen again, still suspect: its validators not kept


def _db_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn SQLAlchemy/driver errors into chihwatch's one-line DatabaseError family."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except ChihwatchError:
            raise
        except sa_exc.SQLAlchemyError as exc:
            store = args[0]
            raise translate_error(exc, store.engine.url) from exc  # type: ignore[attr-defined]

    return wrapper


class Store:
    """Versioned store of the series over one database (SQLite or PostgreSQL)."""

    def __init__(
        self,
        engine: Engine,
        *,
        parse: ParseFn | None = None,
        parser_version: str | None = None,
    ) -> None:
        self.engine = engine
        # SQLite: writers lock at BEGIN (see storage.db); PostgreSQL ignores the option.
        self._write_engine = engine.execution_options(sqlite_begin="IMMEDIATE")
        self._parse: ParseFn = parse or parsers.parse
        self.parser_version = parser_version or str(parsers.PARSER_VERSION)
        self._norm = norm_text
        self._zone = _canonical_zone

    # -- plumbing -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return safe_url(self.engine.url)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextlib.contextmanager
    def _write(self) -> Iterator[Session]:
        """One transaction: committed on success, rolled back entirely on any exception."""
        with Session(self._write_engine, expire_on_commit=False) as session, session.begin():
            yield session

    # -- writing --------------------------------------------------------------------------------

    @_db_errors
    def record_response(
        self,
        url: str,
        *,
        status: int,
        headers: Mapping[str, str],
        body: bytes | None,
        fetched_at: datetime | None = None,
        error: str | None = None,
        request_url: str | None = None,
        link_installment: tuple[int, int | None] | None = None,
    ) -> IngestResult:
        """Store one HTTP response (one transaction); see docs/CONTRACTS.md.

        `link_installment` is (year, number) read from the link that led to the URL, if any: an
        error page carries no installment of its own, so it names which one failed.
        """
        at = _utc(fetched_at)
        hdrs = {k.lower(): v for k, v in (headers or {}).items()}
        is_body = status == 200 and body is not None and error is None
        sha = hashlib.sha256(body).hexdigest() if is_body and body is not None else None

        article: Article | None = None
        parse_error: str | None = None
        if sha is not None and body is not None:
            with self._read() as s:
                row = s.execute(
                    select(Page.id, Page.last_blob_sha, Page.good_blob_sha).where(Page.url == url)
                ).first()
                # The suspect copy served once more: parse it again only if this fetch may make
                # it the site's text (storage/ingest_policy.py).
                again = (
                    row is not None
                    and sha == row.last_blob_sha != row.good_blob_sha
                    and ingest_policy.may_confirm(s, row.id, row.good_blob_sha, at)
                )
            # Bytes parsed before, as the last delivery or the last good one: nothing to learn,
            # only a fetch row to add (a broken delivery in between does not make them news).
            if row is None or sha not in (row.last_blob_sha, row.good_blob_sha) or again:
                article, parse_error = self._try_parse(body, url, hdrs)

        def write() -> IngestResult:
            with self._write() as s:
                page = s.scalar(select(Page).where(Page.url == url))
                if page is None:
                    page = Page(url=url, first_seen=at)
                    s.add(page)
                    s.flush()
                blob_new = False
                if sha is not None and body is not None:
                    blob_new = self._put_blob(s, sha, body)
                # Core insert: the fetch row is never read back in this transaction, and the
                # ORM unit of work cost more than the insert itself (issue 16).
                fetch_id: int = s.scalar(  # type: ignore[assignment]  # RETURNING id: never None
                    insert(Fetch)
                    .values(
                        page_id=page.id,
                        fetched_at=at,
                        status=status,
                        blob_sha=sha,
                        content_type=ingest_policy.content_type(hdrs.get("content-type")),
                        request_url=request_url if request_url and request_url != url else None,
                        error=error,
                    )
                    .returning(Fetch.id)
                )
                if page.last_fetched is None or at >= page.last_fetched:
                    page.last_fetched = at
                    page.status = status
                outcome = _Outcome()
                if sha is not None:
                    page.last_blob_sha = sha
                    if article is not None:
                        outcome = self._apply_article(
                            s,
                            page,
                            article,
                            at,
                            "site",
                            fetch_id,
                            sha=sha,
                            request_url=request_url,
                            repeat=again,
                        )
                    elif parse_error is not None:
                        outcome = self._record_parse_error(
                            s, page, parse_error, at, fetch_id, request_url, link_installment
                        )
                    elif page.installment_id is not None:
                        inst = s.get(Installment, page.installment_id)
                        if inst is not None:
                            inst.last_seen = max(inst.last_seen, at)
                            outcome = _Outcome(installment=(inst.series, inst.year, inst.number))
                    parsed_ok = (
                        article is not None and outcome.suspect is None and not outcome.held_back
                    )
                    if parsed_ok or (article is None and sha == page.good_blob_sha):
                        # Validators describe the body we hold as good: after a suspect copy the
                        # next request must not be answered 304 "you have it" and keep it so.
                        page.etag = ingest_policy.validator(
                            hdrs.get("etag"), ingest_policy.ETAG_MAX
                        )
                        page.last_modified = ingest_policy.validator(
                            hdrs.get("last-modified"), ingest_policy.LAST_MODIFIED_MAX
                        )
                elif error is None and status >= 400:
                    inst_id = self._installment_of(s, page, request_url, link_installment)
                    if inst_id is not None:
                        inst = s.get(Installment, inst_id)
                        s.add(
                            Event(
                                kind="availability",
                                at=at,
                                page_id=page.id,
                                fetch_id=fetch_id,
                                installment_id=inst_id,
                                status=status,
                                reason=f"HTTP {status}",
                                title=inst.title if inst else None,
                            )
                        )
                return IngestResult(
                    url=url,
                    fetch_id=fetch_id,
                    status=status,
                    blob_new=blob_new,
                    installment=outcome.installment,
                    installment_new=outcome.installment_new,
                    revision_new=outcome.revision_new,
                    suspect=outcome.suspect,
                    error=error or parse_error,
                )

        try:
            return write()
        except sa_exc.IntegrityError:
            # Another process inserted the same page or blob between our read and our insert
            # (PostgreSQL; SQLite writers are serialised): the retry finds the row and uses it.
            log.info("retrying the write of %s after a concurrent insert", url)
            return write()

    @staticmethod
    def _installment_of(
        s: Session,
        page: Page,
        request_url: str | None,
        link_installment: tuple[int, int | None] | None = None,
    ) -> int | None:
        """The installment a response without content of its own is news about.

        Its page's; else the requested page's (a known installment moved by a redirect fails at a
        target URL we never saw carry it); else the known installment the link to it named (the
        moved page reached straight from a list page).
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

    def _try_parse(
        self, body: bytes, url: str, headers: Mapping[str, str]
    ) -> tuple[Article | None, str | None]:
        try:
            return self._parse(body, url, headers), None
        except ParseError as exc:
            return None, f"{type(exc).__name__}: {' '.join(str(exc).split())}"
        except Exception as exc:  # a parser bug must not lose the fetched page
            log.error(
                "parser crashed on %s: %r", url, exc, exc_info=log.isEnabledFor(logging.DEBUG)
            )
            return None, f"parser crashed: {type(exc).__name__}: {exc}"

    @staticmethod
    def _put_blob(s: Session, sha: str, body: bytes) -> bool:
        # An existence check that does not load the stored bytes, and a Core insert.
        if s.scalar(select(Blob.sha256).where(Blob.sha256 == sha)) is not None:
            return False
        s.execute(
            insert(Blob).values(sha256=sha, size=len(body), compression="zlib", data=compress(body))
        )
        return True

    def _record_parse_error(
        self,
        s: Session,
        page: Page,
        message: str,
        at: datetime,
        fetch_id: int | None,
        request_url: str | None = None,
        link_installment: tuple[int, int | None] | None = None,
    ) -> _Outcome:
        """Keep the raw blob; a known installment's page that stops parsing is a suspect."""
        inst_id = self._installment_of(s, page, request_url, link_installment)
        inst = s.get(Installment, inst_id) if inst_id else None
        kind = "suspect" if inst is not None else "parse_error"
        reason = f"parse failed: {message}" if inst is not None else message
        s.add(
            Event(
                kind=kind,
                at=at,
                page_id=page.id,
                fetch_id=fetch_id,
                installment_id=inst.id if inst else None,
                reason=reason,
                title=inst.title if inst else None,
            )
        )
        if inst is None:
            return _Outcome()
        return _Outcome(installment=(inst.series, inst.year, inst.number), suspect=reason)

    def _content(self, article: Article) -> tuple[list[str], list[tuple[str, str, list[str]]]]:
        intro = [p for p in (self._norm(x) for x in article.intro) if p]
        zones = [
            (
                self._zone(z.name),
                z.heading or ("" if self._zone(z.name) == z.name else z.name),
                [p for p in (self._norm(x) for x in z.paragraphs) if p],
            )
            for z in article.zones
        ]
        return intro, zones

    @staticmethod
    def _hash(intro: list[str], zones: list[tuple[str, str, list[str]]]) -> tuple[str, int]:
        # Headings are left out: 天津滨海高新区 -> 天津高新区 in a heading is the same zone.
        canon = json.dumps(
            {"intro": intro, "zones": [[n, ps] for n, _h, ps in zones]},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        chars = sum(len(p) for p in intro) + sum(len(p) for _n, _h, ps in zones for p in ps)
        return hashlib.sha256(canon.encode("utf-8")).hexdigest(), chars

    def _apply_article(
        self,
        s: Session,
        page: Page,
        article: Article,
        at: datetime,
        cause: str,
        fetch_id: int | None,
        *,
        sha: str | None = None,
        request_url: str | None = None,
        repeat: bool = False,
        seen: bool = True,
    ) -> _Outcome:
        """Map a parsed page onto its installment: a revision, nothing, or a suspect event.

        `repeat`: the page's last (suspect) bytes again, parsed only to see whether they are
        confirmed now; if not, nothing is recorded beyond the fetch (as for any known bytes).
        `seen`: the page was on the site at `at` (False for reparse: `installments.last_seen`
        means seen on the site, not parsed again).
        """
        if article.installment is None or article.year is None:
            inst_id = self._installment_of(s, page, request_url)
            if inst_id is not None:
                inst = s.get(Installment, inst_id)
                lost = "page no longer parses as a series installment"
                s.add(
                    Event(
                        kind="suspect",
                        at=at,
                        page_id=page.id,
                        fetch_id=fetch_id,
                        installment_id=inst_id,
                        reason=lost,
                        confidence=article.confidence,
                        title=article.title or (inst.title if inst else None),
                    )
                )
                return _Outcome(suspect=lost)
            return _Outcome()
        series = article.series or DEFAULT_SERIES
        key = (series, article.year, article.installment)
        inst = s.scalar(
            select(Installment).where(
                Installment.series == series,
                Installment.year == article.year,
                Installment.number == article.installment,
            )
        )
        latest = (
            s.get(Revision, inst.latest_revision_id) if inst and inst.latest_revision_id else None
        )
        intro, zones = self._content(article)
        body_hash, body_chars = self._hash(intro, zones)
        provisional = latest is not None and latest.provisional
        # A provisional revision came from a suspect copy: no yardstick for the next one.
        good = None if provisional else latest

        old_flat = self._flat_of(s, good) if good is not None else None
        reason = self._suspect_reason(article, intro, zones, body_chars, good, old_flat, s)
        if reason is not None and inst is not None and good is not None:
            reason = self._confirm_suspect(s, page, inst, reason, body_hash, at, fetch_id)
        if reason is not None and repeat and inst is not None:
            if seen:
                inst.last_seen = max(inst.last_seen, at)
            return _Outcome(installment=key, held_back=True)
        if reason is not None:
            if inst is None:
                # Never lose a new installment, never let its broken copy become its history:
                # it is kept as a provisional revision that the first healthy copy replaces.
                inst = self._new_installment(s, series, article, page, at, confirmed=False)
                self._add_revision(
                    s,
                    inst,
                    None,
                    article,
                    intro,
                    zones,
                    body_hash,
                    body_chars,
                    at,
                    cause,
                    fetch_id,
                    provisional=True,
                )
                reason = f"new installment, its first copy looks broken: {reason}"
            s.add(
                Event(
                    kind="suspect",
                    at=at,
                    page_id=page.id,
                    fetch_id=fetch_id,
                    installment_id=inst.id,
                    reason=reason,
                    confidence=article.confidence,
                    title=article.title or inst.title,
                )
            )
            if page.installment_id is None:
                page.installment_id = inst.id
            return _Outcome(installment=key, suspect=reason)

        # This URL shows what it showed at its last good delivery: nothing changed *here*. If the
        # latest revision differs, another URL of the installment changed since, and this stale
        # copy must not undo that (nor flip back after a broken delivery in between).
        if (
            inst is not None
            and not provisional
            and page.installment_id == inst.id
            and page.good_body_hash == body_hash
        ):
            if seen:
                inst.last_seen = max(inst.last_seen, at)
            self._mark_good(page, sha, body_hash)
            return _Outcome(installment=key)

        new_inst = inst is None
        if inst is None:
            inst = self._new_installment(s, series, article, page, at, confirmed=True)
        else:
            inst.url = page.url  # a moved page: the installment follows it
            if seen:
                inst.last_seen = max(inst.last_seen, at)
            inst.title = article.title or inst.title
            inst.published = article.published or inst.published
        page.installment_id = inst.id
        self._mark_good(page, sha, body_hash)

        if latest is not None and provisional:
            # The first healthy copy: it *is* the installment's content, not an edit of the
            # broken one, so it replaces the provisional revision and the installment is new now.
            self._fill_revision(
                latest, article, intro, zones, body_hash, body_chars, at, cause, fetch_id
            )
            latest.provisional = False
            inst.confirmed_at = at
            s.flush()
            return _Outcome(installment=key, installment_new=True, revision_new=True)
        if latest is not None and latest.body_hash == body_hash:
            return _Outcome(installment=key, installment_new=new_inst)
        if latest is not None and old_flat == self._flat(intro, zones):
            # Same text, other zone boundaries (more zones; fewer is a suspect above): the parse
            # of the same words got better, the site edited nothing. Re-segment in place.
            log.info("%s: same text in other zones, revision %d re-segmented", page.url, latest.seq)
            created, rev_cause = latest.created_at, latest.cause
            self._fill_revision(
                latest,
                article,
                intro,
                zones,
                body_hash,
                body_chars,
                created,
                rev_cause,
                latest.fetch_id,
            )
            s.flush()
            return _Outcome(installment=key)
        self._add_revision(
            s, inst, latest, article, intro, zones, body_hash, body_chars, at, cause, fetch_id
        )
        return _Outcome(installment=key, installment_new=new_inst, revision_new=True)

    def _confirm_suspect(
        self,
        s: Session,
        page: Page,
        inst: Installment,
        reason: str,
        body_hash: str,
        at: datetime,
        fetch_id: int | None,
    ) -> str | None:
        """The suspect reason, or None when the site has served this text long enough that it
        is the page's content (storage/ingest_policy.py): then a `confirmed` event is recorded
        and the caller makes the revision."""
        if not ingest_policy.confirmable(reason):
            return reason
        run = ingest_policy.suspect_run(
            s, page, body_hash, at, lambda sha, ctype: self._blob_body_hash(s, page.url, sha, ctype)
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

    def _blob_body_hash(self, s: Session, url: str, sha: str, ctype: str | None) -> str | None:
        """The normalised-text hash of a stored body (None if it is gone or does not parse)."""
        blob = s.get(Blob, sha)
        if blob is None:
            return None
        raw = decompress(bytes(blob.data), blob.compression)
        article, _err = self._try_parse(raw, url, {"content-type": ctype} if ctype else {})
        if article is None:
            return None
        return self._hash(*self._content(article))[0]

    @staticmethod
    def _mark_good(page: Page, sha: str | None, body_hash: str) -> None:
        if sha is not None:
            page.good_blob_sha = sha
        page.good_body_hash = body_hash

    @staticmethod
    def _new_installment(
        s: Session, series: str, article: Article, page: Page, at: datetime, *, confirmed: bool
    ) -> Installment:
        assert article.year is not None and article.installment is not None
        inst = Installment(
            series=series,
            year=article.year,
            number=article.installment,
            title=article.title,
            url=page.url,
            published=article.published,
            first_seen=at,
            last_seen=at,
            confirmed_at=at if confirmed else None,
        )
        s.add(inst)
        s.flush()
        return inst

    def _fill_revision(
        self,
        rev: Revision,
        article: Article,
        intro: list[str],
        zones: list[tuple[str, str, list[str]]],
        body_hash: str,
        body_chars: int,
        at: datetime,
        cause: str,
        fetch_id: int | None,
    ) -> None:
        rev.created_at = at
        rev.cause = cause
        rev.fetch_id = fetch_id
        rev.parser_version = self.parser_version
        rev.body_hash = body_hash
        rev.body_chars = body_chars
        rev.title = article.title
        rev.published = article.published
        rev.source = article.source
        rev.author = article.author
        rev.editor = article.editor
        rev.template = article.template
        rev.confidence = article.confidence
        rev.intro = "\n".join(intro)
        rev.sections = [
            Section(position=i, zone=name, heading=heading, text="\n".join(paras))
            for i, (name, heading, paras) in enumerate(zones)
        ]

    def _add_revision(
        self,
        s: Session,
        inst: Installment,
        latest: Revision | None,
        article: Article,
        intro: list[str],
        zones: list[tuple[str, str, list[str]]],
        body_hash: str,
        body_chars: int,
        at: datetime,
        cause: str,
        fetch_id: int | None,
        *,
        provisional: bool = False,
    ) -> Revision:
        rev = Revision(
            installment_id=inst.id,
            seq=(latest.seq + 1) if latest else 1,
            provisional=provisional,
        )
        self._fill_revision(rev, article, intro, zones, body_hash, body_chars, at, cause, fetch_id)
        s.add(rev)
        s.flush()
        inst.latest_revision_id = rev.id
        return rev

    @staticmethod
    def _flat(intro: Sequence[str], zones: Sequence[tuple[str, str, list[str]]]) -> list[str]:
        """The words of a page in order, whatever zones they were cut into."""
        return [*intro, *(p for _n, _h, ps in zones for p in ps)]

    @staticmethod
    def _flat_of(s: Session, rev: Revision) -> list[str]:
        out = _split(rev.intro)
        for text_ in s.scalars(
            select(Section.text).where(Section.revision_id == rev.id).order_by(Section.position)
        ):
            out += _split(text_)
        return out

    def _suspect_reason(
        self,
        article: Article,
        intro: list[str],
        zones: list[tuple[str, str, list[str]]],
        body_chars: int,
        latest: Revision | None,
        old_flat: list[str] | None,
        s: Session,
    ) -> str | None:
        # The parser's own signal (its warning names the markup it missed; the reason stays plain
        # text because reports render it).
        if any("truncated" in w.lower() for w in article.warnings):
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
        flat = self._flat(intro, zones)
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

    @_db_errors
    def reparse(self) -> dict[str, int]:
        """Re-run the current parser over every page's last stored 200 body (storage/reparse.py)."""
        return reparse.reparse(self)

    @_db_errors
    def record_not_modified(self, items: Sequence[batch_ingest.NotModified]) -> list[IngestResult]:
        """A batch of 304s in one transaction (storage/batch_ingest.py); results in item order.

        What each writes is what `record_response(status=304)` writes; a 304 for a page the store
        does not hold goes through `record_response` (it creates the page).
        """
        items = [dataclasses.replace(it, fetched_at=_utc(it.fetched_at)) for it in items]
        with self._write() as s:
            recorded, unknown = batch_ingest.record_not_modified(s, items)
        done = {
            id(it): r for (it, _f), r in zip(recorded, batch_ingest.results(recorded), strict=True)
        }
        for it in unknown:
            done[id(it)] = self.record_response(
                it.url,
                status=304,
                headers=it.headers,
                body=None,
                fetched_at=it.fetched_at,
                request_url=it.request_url,
            )
        return [done[id(it)] for it in items]

    # -- reading for the crawler (storage/crawler_reads.py) -------------------------------------

    @_db_errors
    def conditional_headers(self, url: str) -> dict[str, str]:
        """If-None-Match / If-Modified-Since from the page's last 200 response."""
        with self._read() as s:
            return crawler_reads.conditional_headers(s, url)

    @_db_errors
    def validators(self) -> dict[str, dict[str, str]]:
        """`conditional_headers` of every page at once (one query; a crawl loads them once)."""
        return crawler_reads.validators(self.engine)

    @_db_errors
    def known_urls(self) -> list[str]:
        """Article pages fetched before: those mapped to an installment or that failed to parse."""
        with self._read() as s:
            return crawler_reads.known_urls(s)

    # -- reading for people (storage/queries.py, storage/report_data.py) --------------------------

    @_db_errors
    def list_installments(self) -> list[dict[str, Any]]:
        """Every installment (the JSON of `chihwatch list --json`)."""
        with self._read() as s:
            return queries.list_installments(s)

    @_db_errors
    def show(self, ref: str | int, revision: int | None = None) -> dict[str, Any]:
        """One installment with its latest (or its `revision`-th) revision's text and zones."""
        with self._read() as s:
            return queries.show(s, ref, revision)

    @_db_errors
    def diff(
        self, ref: str | int, from_rev: int | None = None, to_rev: int | None = None
    ) -> dict[str, Any]:
        """Revision against revision of one installment (default: the last two)."""
        with self._read() as s:
            return queries.diff(s, ref, from_rev, to_rev)

    @_db_errors
    def report_data(self, since: datetime, until: datetime) -> ReportData:
        """Everything a report shows for [since, until) (docs/CONTRACTS.md)."""
        with self._read() as s:
            return report_data.report_data(s, since, until)

    @_db_errors
    def status(self) -> dict[str, Any]:
        """Counts and the last fetch, for `chihwatch status`."""
        with self._read() as s:
            counts = {
                name: s.scalar(select(func.count()).select_from(model)) or 0
                for name, model in (
                    ("pages", Page),
                    ("fetches", Fetch),
                    ("blobs", Blob),
                    ("installments", Installment),
                    ("revisions", Revision),
                    ("suspects", Event),
                )
            }
            counts["suspects"] = (
                s.scalar(
                    select(func.count(Event.id)).where(Event.kind.in_(("suspect", "parse_error")))
                )
                or 0
            )
            last_fetch = s.scalar(select(func.max(Fetch.fetched_at)))
            last_ok = s.scalar(select(func.max(Fetch.fetched_at)).where(Fetch.status == 200))
        return {
            "database": self.url,
            "schema": current_revision(self.engine),
            **counts,
            "last_fetch": _iso(last_fetch),
            "last_successful_fetch": _iso(last_ok),
        }

    @_db_errors
    def ping(self) -> None:
        """Fail with DatabaseError unless the database answers."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
