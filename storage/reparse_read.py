"""What `Store.reparse` reads, in a few queries per chunk of pages instead of two per page.

`stored_pages` yields every page's last stored 200 body with its content type and what the page
row says it last held as good; `installment_heads` maps (series, year, number) to the installment
and its latest revision's body hash. With them reparse tells an unchanged page (same text as the
page's good copy and the installment's latest revision) without opening a write transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Blob, Fetch, Installment, Page, Revision

__all__ = ["StoredPage", "Head", "stored_pages", "installment_heads"]

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
