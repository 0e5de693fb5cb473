"""Read a store's tables directly and check its invariants (SQL, not the Store API: the tests
check the Store). Used by the fault tests and the crash tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import create_engine, text


@dataclass(frozen=True)
class Snapshot:
    """What a store holds, in the terms the fault tests assert on."""

    pages: dict[str, dict[str, Any]]  # url -> page row
    fetches: list[dict[str, Any]]
    installments: list[dict[str, Any]]
    revisions: list[dict[str, Any]]
    events: list[dict[str, Any]]

    def fetches_of(self, path: str) -> list[dict[str, Any]]:
        return [f for f in self.fetches if f["url"].endswith(path)]

    def revisions_of(self, year: int, number: int) -> list[dict[str, Any]]:
        return [r for r in self.revisions if (r["year"], r["number"]) == (year, number)]

    def events_of(self, path: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["url"].endswith(path)]


def snapshot(db_url: str) -> Snapshot:
    """Read the store's tables directly (SQL, not the Store API: the tests check the Store)."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as c:
            rows = lambda q: [dict(r._mapping) for r in c.execute(text(q))]  # noqa: E731
            pages = {p["url"]: p for p in rows("SELECT * FROM pages ORDER BY id")}
            fetches = rows(
                "SELECT f.*, p.url FROM fetches f JOIN pages p ON p.id = f.page_id ORDER BY f.id"
            )
            for f in fetches:  # SQLite hands back text: naive UTC datetimes on both backends
                if isinstance(f["fetched_at"], str):
                    f["fetched_at"] = datetime.fromisoformat(f["fetched_at"])
            insts = rows("SELECT * FROM installments ORDER BY year, number")
            revs = rows(
                "SELECT r.id, r.installment_id, r.seq, r.cause, r.body_hash, r.body_chars, r.created_at, "
                "i.year, i.number FROM revisions r JOIN installments i ON i.id = r.installment_id "
                "ORDER BY r.id"
            )
            events = rows(
                "SELECT e.*, p.url FROM events e JOIN pages p ON p.id = e.page_id ORDER BY e.id"
            )
    finally:
        engine.dispose()
    return Snapshot(pages, fetches, insts, revs, events)


def consistency_problems(db_url: str) -> list[str]:
    """Every broken invariant of the store (empty list: consistent)."""
    problems: list[str] = []
    engine = create_engine(db_url)
    try:
        with engine.connect() as c:
            q = lambda s: c.execute(text(s)).all()  # noqa: E731
            if engine.dialect.name == "sqlite":
                ic = q("PRAGMA integrity_check")
                if [tuple(r) for r in ic] != [("ok",)]:
                    problems.append(f"integrity_check: {ic[:5]}")
                fk = q("PRAGMA foreign_key_check")
                if fk:
                    problems.append(f"foreign_key_check: {fk[:5]}")
            else:
                for child, col, parent, pcol in (
                    ("fetches", "page_id", "pages", "id"),
                    ("revisions", "installment_id", "installments", "id"),
                    ("sections", "revision_id", "revisions", "id"),
                    ("events", "page_id", "pages", "id"),
                    ("fetches", "blob_sha", "blobs", "sha256"),
                    ("pages", "last_blob_sha", "blobs", "sha256"),
                ):
                    n = c.execute(
                        text(
                            f"SELECT count(*) FROM {child} x LEFT JOIN {parent} y ON x.{col} = y.{pcol} "
                            f"WHERE x.{col} IS NOT NULL AND y.{pcol} IS NULL"
                        )
                    ).scalar()
                    if n:
                        problems.append(f"{n} {child}.{col} without {parent}")
            dup = q(
                "SELECT series, year, number, count(*) FROM installments GROUP BY series, year, number "
                "HAVING count(*) > 1"
            )
            if dup:
                problems.append(f"duplicated installments: {dup}")
            dup = q("SELECT url, count(*) FROM pages GROUP BY url HAVING count(*) > 1")
            if dup:
                problems.append(f"duplicated pages: {dup}")
            dup = q(
                "SELECT page_id, fetched_at, count(*) FROM fetches GROUP BY page_id, fetched_at HAVING count(*) > 1"
            )
            if dup:
                problems.append(f"fetch recorded twice: {dup[:5]}")
            # Revisions 1..n without holes, and the latest pointer on the last one.
            for iid, n, mx, latest in q(
                "SELECT i.id, count(r.id), max(r.seq), i.latest_revision_id FROM installments i "
                "LEFT JOIN revisions r ON r.installment_id = i.id GROUP BY i.id, i.latest_revision_id"
            ):
                if n and mx != n:
                    problems.append(
                        f"installment {iid}: revision seqs have holes ({n} revisions, max seq {mx})"
                    )
                if n:
                    top = c.execute(
                        text("SELECT id FROM revisions WHERE installment_id = :i AND seq = :s"),
                        {"i": iid, "s": mx},
                    ).scalar()
                    if latest != top:
                        problems.append(
                            f"installment {iid}: latest_revision_id {latest} is not revision {top}"
                        )
                elif latest is not None:
                    problems.append(f"installment {iid}: latest revision {latest} but no revisions")
            empty = q(
                "SELECT r.id FROM revisions r LEFT JOIN sections s ON s.revision_id = r.id "
                "WHERE s.id IS NULL AND (r.intro IS NULL OR r.intro = '')"
            )
            if empty:
                problems.append(
                    f"revisions with neither intro nor sections (half-written?): {empty[:5]}"
                )
            # Every blob decompresses to the bytes its sha names.
            import hashlib

            from storage.store import decompress

            for sha, comp, data, size in q("SELECT sha256, compression, data, size FROM blobs"):
                try:
                    raw = decompress(bytes(data), comp)
                except Exception as exc:  # noqa: BLE001
                    problems.append(f"blob {sha[:12]} does not decompress: {exc}")
                    continue
                if hashlib.sha256(raw).hexdigest() != sha or len(raw) != size:
                    problems.append(f"blob {sha[:12]} holds other bytes than its sha names")
            orphan = q(
                "SELECT p.url FROM pages p WHERE p.last_blob_sha IS NOT NULL AND NOT EXISTS "
                "(SELECT 1 FROM fetches f WHERE f.page_id = p.id AND f.blob_sha = p.last_blob_sha)"
            )
            if orphan:
                problems.append(f"pages whose last body has no fetch row: {orphan[:5]}")
    finally:
        engine.dispose()
    return problems
