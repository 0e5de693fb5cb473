"""The Store: record fetched pages as versioned installments, and answer list/show/diff/report."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gzip
import hashlib
import json
import logging
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

import sqlalchemy.exc as sa_exc
from sqlalchemy import Engine, func, insert, or_, select, text, tuple_
from sqlalchemy.orm import Session

import parsers
from chihwatch.errors import ChihwatchError, NotFound, ParseError
from parsers.gazetteer import canonical_zone
from parsers.model import Article
from parsers.normalize import norm_text
from storage import batch_ingest, ingest_policy, reparse_read
from storage.compare import compare_sections
from storage.crawl_health import crawl_health
from storage.db import current_revision, safe_url, translate_error
from storage.diff import Change, diff_zones
from storage.figure_changes import compare_figures, plan_comparison, source_of, week_changes
from storage.figures import figure_rows, section_figures
from storage.models import Blob, Event, Fetch, Installment, Page, Revision, Section
from storage.previous_sections import previous_sections
from storage.refs import parse_ref, resolve_title
from storage.report_moves import moves

__all__ = ["Store", "IngestResult", "DEFAULT_SERIES", "SUSPECT_BODY_RATIO", "SUSPECT_CONFIDENCE"]

log = logging.getLogger(__name__)

DEFAULT_SERIES = parsers.SERIES_NAME  # parsers/site.py: chih.cn's facts in one place
# Issue 7: a parse that keeps less than half of the previous body is far likelier a template
# change or a truncated response than an editor deleting half an article.
SUSPECT_BODY_RATIO = 0.5
SUSPECT_CONFIDENCE = parsers.SUSPECT_CONFIDENCE  # the parser's caps sit below it

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


def _canonical_zone(name: str) -> str:
    # The parser already names zones canonically; this also folds names stored by older parsers.
    return canonical_zone(name) or name


def _utc(dt: datetime | None) -> datetime:
    """Naive UTC (what the database stores) from an aware or naive-UTC datetime."""
    if dt is None:
        return datetime.now(UTC).replace(tzinfo=None)
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt


def _iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.replace(tzinfo=UTC).isoformat()


def _split(s: str) -> list[str]:
    return s.split("\n") if s else []


def compress(data: bytes) -> bytes:
    """Blob compression: zlib, the level where it stops paying (6)."""
    return zlib.compress(data, 6)


def decompress(data: bytes, compression: str) -> bytes:
    """Inverse of compress, also for gzip blobs."""
    if compression == "gzip":
        return gzip.decompress(data)
    if compression == "zlib":
        return zlib.decompress(data)
    return data


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
        """Re-run the current parser over every page's last stored 200 body."""
        counts = dict.fromkeys(
            (
                "pages",
                "parsed",
                "unchanged",
                "new_revisions",
                "new_installments",
                "suspects",
                "errors",
            ),
            0,
        )
        with self._read() as rs:
            heads = reparse_read.installment_heads(rs)
            touched: set[tuple[str, int, int]] = set()  # installments this reparse wrote to
            for pg in reparse_read.stored_pages(rs):
                counts["pages"] += 1
                if pg.data is None:
                    continue
                body = decompress(pg.data, pg.compression)
                article, err = self._try_parse(
                    body, pg.url, {"content-type": pg.content_type} if pg.content_type else {}
                )
                if article is None:
                    counts["errors"] += 1
                    log.warning("reparse: %s: %s", pg.url, err)
                    continue
                counts["parsed"] += 1
                key = (article.series or DEFAULT_SERIES, article.year, article.installment)
                if key not in touched and self._reparse_unchanged(
                    pg,
                    article,
                    heads.get(key),  # type: ignore[arg-type]  # None year: no head
                ):
                    counts["unchanged"] += 1  # nothing to write: no transaction at all
                    continue
                with self._write() as s:
                    page = s.get(Page, pg.id)
                    assert page is not None
                    outcome = self._apply_article(
                        s, page, article, _utc(None), "parser", None, sha=pg.sha, seen=False
                    )
                if article.year is not None and article.installment is not None:
                    touched.add(key)  # type: ignore[arg-type]
                if outcome.suspect:
                    counts["suspects"] += 1
                elif outcome.revision_new:
                    counts["new_revisions"] += 1
                    counts["new_installments"] += int(outcome.installment_new)
                else:
                    counts["unchanged"] += 1
        return counts

    def _reparse_unchanged(
        self, pg: reparse_read.StoredPage, article: Article, head: reparse_read.Head | None
    ) -> bool:
        """Whether _apply_article would write nothing for this parse (reparse sets no last_seen):
        the page's good copy and its installment's latest revision already hold this text, and
        the parse itself raises no doubt."""
        if head is None or head.provisional or article.year is None or article.installment is None:
            return False
        if article.truncated:
            return False
        if article.confidence < SUSPECT_CONFIDENCE:
            return False
        body_hash = self._hash(*self._content(article))[0]
        return (
            pg.installment_id == head.installment_id
            and pg.good_blob_sha == pg.sha
            and pg.good_body_hash == body_hash
            and head.body_hash == body_hash
        )

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

    # -- reading for the crawler ------------------------------------------------------------------

    @_db_errors
    def conditional_headers(self, url: str) -> dict[str, str]:
        """If-None-Match / If-Modified-Since from the page's last 200 response."""
        with self._read() as s:
            row = s.execute(select(Page.etag, Page.last_modified).where(Page.url == url)).first()
        out: dict[str, str] = {}
        if row is None:
            return out
        if row.etag:
            out["If-None-Match"] = row.etag
        if row.last_modified:
            out["If-Modified-Since"] = row.last_modified
        return out

    @_db_errors
    def validators(self) -> dict[str, dict[str, str]]:
        """`conditional_headers` of every page at once (one query; a crawl loads them once)."""
        return batch_ingest.load_validators(self.engine)

    @_db_errors
    def known_urls(self) -> list[str]:
        """Article pages fetched before: those mapped to an installment or that failed to parse."""
        with self._read() as s:
            flagged = select(Event.page_id).where(Event.kind.in_(("suspect", "parse_error")))
            rows = s.scalars(
                select(Page.url)
                .where(or_(Page.installment_id.is_not(None), Page.id.in_(flagged)))
                .order_by(Page.id)
            ).all()
        return list(rows)

    # -- reading for people -----------------------------------------------------------------------

    def _resolve(self, s: Session, ref: str | int) -> Installment:
        """An installment from `YEAR-NUMBER` (or 2024-⑤, 2024年⑤, its title), an id or a URL."""
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

    @staticmethod
    def _inst_head(inst: Installment) -> dict[str, Any]:
        return {
            "url": inst.url,
            "title": inst.title,
            "year": inst.year,
            "installment": inst.number,
            "published": inst.published,
        }

    @staticmethod
    def _zones_of(s: Session, revision_id: int | None) -> list[Section]:
        if revision_id is None:
            return []
        return list(
            s.scalars(
                select(Section).where(Section.revision_id == revision_id).order_by(Section.position)
            )
        )

    @staticmethod
    def _sections_for(s: Session, revision_ids: Sequence[int]) -> dict[int, list[Section]]:
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

    @_db_errors
    def list_installments(self) -> list[dict[str, Any]]:
        """Every installment (the JSON of `chihwatch list --json`)."""
        with self._read() as s:
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
                        **self._inst_head(inst),
                        "series": inst.series,
                        "zones": zones.get(inst.latest_revision_id or -1, []),
                        "revisions": counts.get(inst.id, 0),
                        "first_seen": _iso(inst.first_seen),
                        "last_seen": _iso(inst.last_seen),
                    }
                )
        return out

    @staticmethod
    def _rev_head(rev: Revision) -> dict[str, Any]:
        return {
            "revision": rev.seq,
            "created_at": _iso(rev.created_at),
            "cause": rev.cause,
            "parser_version": rev.parser_version,
            "template": rev.template,
            "confidence": round(rev.confidence, 2),
            "provisional": rev.provisional,
        }

    @_db_errors
    def show(self, ref: str | int, revision: int | None = None) -> dict[str, Any]:
        """One installment with its latest (or its `revision`-th) revision's text and zones."""
        with self._read() as s:
            inst = self._resolve(s, ref)
            revs = list(
                s.scalars(
                    select(Revision)
                    .where(Revision.installment_id == inst.id)
                    .order_by(Revision.seq)
                )
            )
            latest = revs[-1] if revs else None
            if revision is not None:
                latest = next((r for r in revs if r.seq == revision), None)
                if latest is None:
                    raise NotFound(
                        f"installment {inst.year}-{inst.number} has no revision {revision} "
                        f"(it has {len(revs)}: 1..{len(revs)})"
                    )
            urls = list(
                s.scalars(select(Page.url).where(Page.installment_id == inst.id).order_by(Page.id))
            )
            sections = self._zones_of(s, latest.id if latest else None)
            return {
                "id": inst.id,
                **self._inst_head(inst),
                "series": inst.series,
                "urls": urls,
                "source": latest.source if latest else None,
                "editor": latest.editor if latest else None,
                "first_seen": _iso(inst.first_seen),
                "last_seen": _iso(inst.last_seen),
                "revision": self._rev_head(latest) if latest else None,
                "revisions": [self._rev_head(r) for r in revs],
                "intro": _split(latest.intro) if latest else [],
                "zones": [
                    {
                        "name": sec.zone,
                        "heading": sec.heading or sec.zone,
                        "paragraphs": _split(sec.text),
                        "figures": figure_rows(
                            {**self._inst_head(inst), "series": inst.series},
                            sec.zone,
                            sec.heading or sec.zone,
                            section_figures(sec.text, inst.year),
                        ),
                    }
                    for sec in sections
                ],
            }

    @staticmethod
    def _rev_zones(
        rev: Revision, sections: Sequence[Section]
    ) -> list[tuple[str | None, list[str]]]:
        out: list[tuple[str | None, list[str]]] = [(None, _split(rev.intro))]
        out += [(sec.zone, _split(sec.text)) for sec in sections]
        return out

    def _revision_changes(
        self,
        s: Session,
        old: Revision | None,
        new: Revision,
        loaded: Mapping[int, list[Section]] | None = None,
    ) -> list[Change]:
        if old is None:
            return []
        secs = loaded if loaded is not None else self._sections_for(s, [old.id, new.id])
        return diff_zones(self._rev_zones(old, secs[old.id]), self._rev_zones(new, secs[new.id]))

    @_db_errors
    def diff(
        self, ref: str | int, from_rev: int | None = None, to_rev: int | None = None
    ) -> dict[str, Any]:
        """Revision against revision of one installment (default: the last two)."""
        with self._read() as s:
            inst = self._resolve(s, ref)
            revs = {
                r.seq: r
                for r in s.scalars(select(Revision).where(Revision.installment_id == inst.id))
            }
            if not revs:
                raise NotFound(f"installment {inst.year}-{inst.number} has no revision yet")
            to_seq = to_rev if to_rev is not None else max(revs)
            if to_seq not in revs:
                raise NotFound(f"installment {inst.year}-{inst.number} has no revision {to_seq}")
            from_seq = from_rev if from_rev is not None else to_seq - 1
            if from_rev is not None and from_seq not in revs:
                raise NotFound(f"installment {inst.year}-{inst.number} has no revision {from_seq}")
            old, new = revs.get(from_seq), revs[to_seq]
            changes = self._revision_changes(s, old, new)
            series = self._against_series(s, inst, new)
            return {
                "id": inst.id,
                **self._inst_head(inst),
                "from": self._rev_head(old) if old else None,
                "to": self._rev_head(new),
                "changes": [c.to_dict() for c in changes],
                "new_zones": series["new_zones"],
                "covered_zones": series["covered_zones"],
                "sections": series["sections"],
            }

    def _previous_section(
        self, s: Session, inst: Installment, zone: str
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

    def _against_series(
        self,
        s: Session,
        inst: Installment,
        rev: Revision,
        secs: list[Section] | None = None,
        prevs: Mapping[tuple[str, int, int, str], tuple[Section, Installment] | None] | None = None,
    ) -> dict[str, Any]:
        """A revision's zones against earlier installments: new zones and per-zone diffs."""
        new_zones: list[str] = []
        covered: list[str] = []
        sections = []
        head = {**self._inst_head(inst), "series": inst.series}
        for sec in secs if secs is not None else self._zones_of(s, rev.id):
            paras = _split(sec.text)
            figs = section_figures(sec.text, inst.year)
            key = (inst.series, inst.year, inst.number, sec.zone)
            prev = (
                prevs[key]
                if prevs is not None and key in prevs
                else (self._previous_section(s, inst, sec.zone))
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
                entry["plan_comparison"] = plan_comparison(
                    figs, inst.year, (), None, source_of(head)
                )
            else:
                covered.append(sec.zone)
                psec, pinst = prev
                pparas = _split(psec.text)
                entry["previous"] = self._inst_head(pinst)
                # Another installment: a comparison (storage/compare.py), not an edit.
                entry.update(compare_sections(sec.zone, pparas, paras))
                pfigs = section_figures(psec.text, pinst.year)
                psource = source_of(self._inst_head(pinst))
                entry["target_changes"] = compare_figures(
                    pfigs, figs, psource, source_of(head), sec.zone
                )
                entry["plan_comparison"] = plan_comparison(
                    figs, inst.year, pfigs, psource, source_of(head)
                )
            sections.append(entry)
        return {"new_zones": new_zones, "covered_zones": covered, "sections": sections}

    @staticmethod
    def _confirmed_notes(s: Session, fetch_ids: Sequence[int | None]) -> dict[int | None, str]:
        """fetch id -> note of the `confirmed` event made on it (suspect copies that lasted)."""
        ids = {f for f in fetch_ids if f is not None}
        if not ids:
            return {}
        return {
            fid: reason
            for fid, reason in s.execute(
                select(Event.fetch_id, Event.reason).where(
                    Event.kind == ingest_policy.CONFIRMED_EVENT, Event.fetch_id.in_(ids)
                )
            ).all()
        }

    @_db_errors
    def report_data(self, since: datetime, until: datetime) -> dict[str, Any]:
        """Everything a report shows for [since, until) (docs/CONTRACTS.md)."""
        lo, hi = _utc(since), _utc(until)
        with self._read() as s:
            new_list = []
            years: set[int] = set()
            zones_covered: set[str] = set()
            zones_new: set[str] = set()
            fresh = list(
                s.execute(
                    select(Installment, Revision)
                    .join(Revision, Revision.id == Installment.latest_revision_id)
                    # New once it has healthy content (a suspect first copy is a suspect).
                    .where(Installment.confirmed_at >= lo, Installment.confirmed_at < hi)
                    .order_by(Installment.year, Installment.number)
                ).all()
            )
            fresh_secs = self._sections_for(s, [rev.id for _inst, rev in fresh])
            # Every new zone's predecessor in one round trip on PostgreSQL (issue 16).
            insts = {(i.series, i.year, i.number): i for i, _rev in fresh}
            prevs = previous_sections(
                s,
                [
                    (inst.series, inst.year, inst.number, sec.zone)
                    for inst, rev in fresh
                    for sec in fresh_secs[rev.id]
                ],
                lambda k: self._previous_section(s, insts[k[:3]], k[3]),
            )
            for inst, rev in fresh:
                years.add(inst.year)
                cmp = self._against_series(s, inst, rev, fresh_secs[rev.id], prevs)
                zones = [sec["zone"] for sec in cmp["sections"]]
                zones_covered.update(zones)
                zones_new.update(cmp["new_zones"])
                new_list.append(
                    {
                        **self._inst_head(inst),
                        "zones": zones,
                        "new_zones": cmp["new_zones"],
                        "sections": cmp["sections"],
                    }
                )

            revisions = []
            edited: set[int] = set()
            changed = list(
                s.execute(
                    select(Revision, Installment)
                    .join(Installment, Installment.id == Revision.installment_id)
                    .where(
                        Revision.created_at >= lo,
                        Revision.created_at < hi,
                        Installment.confirmed_at < lo,
                        Revision.provisional.is_(False),
                    )
                    .order_by(Revision.created_at, Revision.id)
                ).all()
            )
            # Each revision's predecessor, then every section involved, in two queries.
            by_key = (
                {
                    (r.installment_id, r.seq): r
                    for r in s.scalars(
                        select(Revision).where(
                            Revision.installment_id.in_({inst.id for _r, inst in changed})
                        )
                    )
                }
                if changed
                else {}
            )
            prev_revs: dict[int, Revision | None] = {
                rev.id: by_key.get((inst.id, rev.seq - 1)) for rev, inst in changed
            }
            ids = [rev.id for rev, _i in changed] + [p.id for p in prev_revs.values() if p]
            loaded = self._sections_for(s, ids)
            confirmed = self._confirmed_notes(s, [rev.fetch_id for rev, _i in changed])
            for rev, inst in changed:
                edited.add(inst.id)
                revisions.append(
                    {
                        "url": inst.url,
                        "title": inst.title,
                        "year": inst.year,
                        "installment": inst.number,
                        "cause": rev.cause,
                        "revision": rev.seq,
                        "created_at": _iso(rev.created_at),
                        "changes": [
                            c.to_dict()
                            for c in self._revision_changes(s, prev_revs[rev.id], rev, loaded)
                        ],
                        # A suspect copy the site kept serving (storage/ingest_policy.py).
                        "large_deletion": rev.fetch_id in confirmed,
                        "confirmed_suspect": confirmed.get(rev.fetch_id),
                        "target_changes": self._revision_figure_changes(
                            inst, prev_revs[rev.id], rev, loaded
                        ),
                    }
                )

            suspects = []
            availability = []
            for ev, url in s.execute(
                select(Event, Page.url)
                .join(Page, Page.id == Event.page_id)
                .where(Event.at >= lo, Event.at < hi)
                .order_by(Event.at, Event.id)
            ).all():
                if ev.kind == ingest_policy.CONFIRMED_EVENT:
                    continue  # shown on its revision
                if ev.kind == "availability":
                    availability.append(
                        {
                            "url": url,
                            "title": ev.title,
                            "status": ev.status,
                            "fetched_at": _iso(ev.at),
                        }
                    )
                else:
                    suspects.append(
                        {
                            "url": url,
                            "title": ev.title,
                            "reason": ev.reason,
                            "fetched_at": _iso(ev.at),
                            "confidence": ev.confidence,
                            "kind": ev.kind,
                        }
                    )

            # Crawls that could not finish (crashed, timed out) and how many ran at all: the
            # analyst must know that a quiet week may be a blind one (storage/crawl_health.py).
            crawls = crawl_health(s, lo, hi)
            crawl_problems = crawls["problems"]
            moved = moves(s, lo, hi)

            if not years:
                years = {lo.year, hi.year}
            series = [
                {"year": y, "installment": n, "title": t, "zones": z}
                for y, n, t, z in s.execute(
                    select(
                        Installment.year,
                        Installment.number,
                        Installment.title,
                        func.count(Section.id),
                    )
                    .outerjoin(Section, Section.revision_id == Installment.latest_revision_id)
                    .where(Installment.year.in_(sorted(years)))
                    .group_by(
                        Installment.id, Installment.year, Installment.number, Installment.title
                    )
                    .order_by(Installment.year, Installment.number)
                ).all()
            ]
        data = {
            "since": since.isoformat(),
            "until": until.isoformat(),
            "summary": {
                "new_installments": len(new_list),
                "edited_installments": len(edited),
                "zones_covered": len(zones_covered),
                "new_zones": len(zones_new),
                "suspects": len(suspects),
                "crawl_problems": len(crawl_problems),
            },
            "new_installments": new_list,
            "revisions": revisions,
            "suspects": suspects,
            "availability": availability,
            "moves": moved,
            "crawl_problems": crawl_problems,
            "crawls": {k: v for k, v in crawls.items() if k != "problems"},
            "series": series,
        }
        data["target_changes"] = week_changes(data)  # the week's 目标变化 table
        return data

    def _revision_figure_changes(
        self,
        inst: Installment,
        old: Revision | None,
        new: Revision,
        loaded: Mapping[int, list[Section]],
    ) -> list[dict[str, Any]]:
        """Figures the site changed in an edit, per zone (intro: zone None)."""
        if old is None:
            return []
        head = self._inst_head(inst)
        before: dict[str | None, str] = {None: old.intro}  # the intro, then zone -> its text
        before.update((sec.zone, sec.text) for sec in loaded[old.id])
        after: dict[str | None, str] = {None: new.intro}
        after.update((sec.zone, sec.text) for sec in loaded[new.id])
        out: list[dict[str, Any]] = []
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
