"""The Store: record fetched pages as versioned installments, and answer list/show/diff/report."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

import sqlalchemy.exc as sa_exc
from sqlalchemy import Engine, func, or_, select, text, tuple_
from sqlalchemy.orm import Session

import parsers
from chihwatch.errors import ChihwatchError, NotFound
from parsers.gazetteer import canonical_zone
from parsers.model import Article
from parsers.normalize import norm_text
from storage import batch_ingest, derive, ingest, ingest_policy, reparse_read
from storage.blobs import compress, decompress
from storage.compare import compare_sections
from storage.content import content_hash, content_of
from storage.crawl_health import crawl_health
from storage.db import current_revision, safe_url, translate_error
from storage.derive import DEFAULT_SERIES
from storage.diff import Change, diff_zones
from storage.figure_changes import compare_figures, plan_comparison, source_of, week_changes
from storage.figures import figure_rows, section_figures
from storage.ingest import IngestResult
from storage.ingest_policy import SUSPECT_BODY_RATIO, SUSPECT_CONFIDENCE
from storage.models import Blob, Event, Fetch, Installment, Page, Revision, Section
from storage.previous_sections import previous_sections
from storage.refs import parse_ref, resolve_title
from storage.report_moves import moves

__all__ = [
    "Store",
    "IngestResult",
    "DEFAULT_SERIES",
    "SUSPECT_BODY_RATIO",
    "SUSPECT_CONFIDENCE",
    "compress",
    "decompress",
]

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")
ParseFn = Callable[[bytes, str | None, Mapping[str, str] | None], Article]


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
        """Store one HTTP response (one transaction; storage/ingest.py); see docs/CONTRACTS.md.

        `link_installment` is (year, number) read from the link that led to the URL, if any: an
        error page carries no installment of its own, so it names which one failed.
        """
        return ingest.record_response(
            self,
            url,
            status=status,
            headers=headers,
            body=body,
            fetched_at=_utc(fetched_at),
            error=error,
            request_url=request_url,
            link_installment=link_installment,
        )

    # Reparse maps its parses with the ingest path's own steps (storage/ingest.py).

    def _try_parse(
        self, body: bytes, url: str, headers: Mapping[str, str]
    ) -> tuple[Article | None, str | None]:
        return derive.try_parse(self, body, url, headers)

    def _content(self, article: Article) -> tuple[list[str], list[tuple[str, str, list[str]]]]:
        c = content_of(article)
        return c.intro, c.zones

    @staticmethod
    def _hash(intro: list[str], zones: list[tuple[str, str, list[str]]]) -> tuple[str, int]:
        return content_hash(intro, zones)

    def _apply_article(
        self,
        s: Session,
        page: Page,
        article: Article,
        at: datetime,
        cause: str,
        fetch_id: int | None,
        **kw: Any,
    ) -> derive.Outcome:
        return derive.apply_article(self, s, page, article, at, cause, fetch_id, **kw)

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
        naive = [dataclasses.replace(it, fetched_at=_utc(it.fetched_at)) for it in items]
        return ingest.record_not_modified(self, naive)

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
