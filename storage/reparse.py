"""`Store.reparse`: run the current parser over every page's last stored 200 body.

A revision (`cause="parser"`) is recorded only where the result differs, through the same rules as
a fetched page (`storage.derive.apply_article`: suspects, two URLs). What reparse reads comes in a few
queries per chunk of pages instead of two per page: `stored_pages` yields every page's last stored 200 body with its content type and what the page
row says it last held as good; `installment_heads` maps (series, year, number) to the installment
and its latest revision's body hash. With them reparse tells an unchanged page (same text as the
page's good copy and the installment's latest revision) without opening a write transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from parsers.model import Article
from storage import derive, page_rows
from storage.blobs import decompress
from storage.common import utc
from storage.content import content_of
from storage.derive import DEFAULT_SERIES
from storage.ingest_policy import SUSPECT_CONFIDENCE
from storage.models import Blob, Fetch, Installment, Page, Revision

if TYPE_CHECKING:
    from storage.store import Store

__all__ = ["reparse", "StoredPage", "Head", "stored_pages", "installment_heads"]

log = logging.getLogger(__name__)

CHUNK = 200


@dataclass(frozen=True)
class StoredPage:
    id: int
    url: str
    sha: str
    data: bytes | None  # compressed; None if the blob is gone
    compression: str
    content_type: str | None
    good_blob_sha: str | None
    good_body_hash: str | None
    installment_id: int | None


@dataclass(frozen=True)
class Head:
    installment_id: int
    body_hash: str | None  # of the latest revision
    provisional: bool


def stored_pages(s: Session) -> Iterator[StoredPage]:
    """Pages with a stored body, oldest fetch first (the order reparse always used)."""
    rows = s.execute(
        select(
            Page.id,
            Page.url,
            Page.last_blob_sha,
            Page.good_blob_sha,
            Page.good_body_hash,
            Page.installment_id,
        )
        .where(Page.last_blob_sha.is_not(None))
        .order_by(Page.last_fetched, Page.id)
    ).all()
    for i in range(0, len(rows), CHUNK):
        chunk = rows[i : i + CHUNK]
        shas = {r.last_blob_sha for r in chunk}
        blobs = {
            sha: (data, comp)
            for sha, data, comp in s.execute(
                select(Blob.sha256, Blob.data, Blob.compression).where(Blob.sha256.in_(shas))
            )
        }
        ctypes: dict[tuple[int, str | None], str | None] = {}
        for pid, sha, ctype in s.execute(
            select(Fetch.page_id, Fetch.blob_sha, Fetch.content_type)
            .where(Fetch.page_id.in_([r.id for r in chunk]), Fetch.blob_sha.is_not(None))
            .order_by(Fetch.fetched_at, Fetch.id)
        ):
            ctypes[(pid, sha)] = ctype  # the latest fetch of these bytes wins
        for r in chunk:
            data, comp = blobs.get(r.last_blob_sha, (None, ""))
            yield StoredPage(
                id=r.id,
                url=r.url,
                sha=r.last_blob_sha,
                data=None if data is None else bytes(data),
                compression=comp,
                content_type=ctypes.get((r.id, r.last_blob_sha)),
                good_blob_sha=r.good_blob_sha,
                good_body_hash=r.good_body_hash,
                installment_id=r.installment_id,
            )


def installment_heads(s: Session) -> dict[tuple[str, int, int], Head]:
    return {
        (series, year, number): Head(iid, body_hash, bool(prov))
        for iid, series, year, number, body_hash, prov in s.execute(
            select(
                Installment.id,
                Installment.series,
                Installment.year,
                Installment.number,
                Revision.body_hash,
                Revision.provisional,
            ).outerjoin(Revision, Revision.id == Installment.latest_revision_id)
        )
    }


COUNTS = ("pages", "parsed", "unchanged", "new_revisions", "new_installments", "suspects", "errors")


def reparse(store: Store) -> dict[str, int]:
    """Re-run the current parser over every page's last stored 200 body; returns counts."""
    counts = dict.fromkeys(COUNTS, 0)
    with store._read() as rs:
        heads = installment_heads(rs)
        touched: set[tuple[str, int, int]] = set()  # installments this reparse wrote to
        for pg in stored_pages(rs):
            counts["pages"] += 1
            if pg.data is None:
                continue
            body = decompress(pg.data, pg.compression)
            article, err = derive.try_parse(
                store, body, pg.url, {"content-type": pg.content_type} if pg.content_type else {}
            )
            if article is None:
                counts["errors"] += 1
                log.warning("reparse: %s: %s", pg.url, err)
                continue
            counts["parsed"] += 1
            key = (article.series or DEFAULT_SERIES, article.year, article.installment)
            if key not in touched and unchanged(
                store,
                pg,
                article,
                heads.get(key),  # type: ignore[arg-type]  # None year: no head
            ):
                counts["unchanged"] += 1  # nothing to write: no transaction at all
                continue
            with store._write() as s:
                page = page_rows.by_id(s.connection(), pg.id)
                assert page is not None
                outcome = derive.apply_article(
                    store, s, page, article, utc(None), "parser", None, sha=pg.sha, seen=False
                )
                page_rows.save(s.connection(), [page])
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


def unchanged(store: Store, pg: StoredPage, article: Article, head: Head | None) -> bool:
    """Whether `derive.apply_article` would write nothing for this parse (reparse sets no last_seen):
    the page's good copy and its installment's latest revision already hold this text, and
    the parse itself raises no doubt."""
    if head is None or head.provisional or article.year is None or article.installment is None:
        return False
    if article.truncated:
        return False
    if article.confidence < SUSPECT_CONFIDENCE:
        return False
    body_hash = content_of(article).body_hash
    return (
        pg.installment_id == head.installment_id
        and pg.good_blob_sha == pg.sha
        and pg.good_body_hash == body_hash
        and head.body_hash == body_hash
    )
