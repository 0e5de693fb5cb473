"""Full-text search over every revision's text, without writing to the store.

The store stays read-only on both backends: at start the app copies every section (and intro) of
every revision into a private in-memory SQLite database with an FTS5 `trigram` index, and refreshes
it when the store's (max revision id, revision count) changes. Identical texts (most sections do not
change between revisions) are indexed once and point at every revision they occur in.

Queries of 3+ characters are an FTS5 phrase (trigram: substring match, Chinese or not); 1–2
character queries (`园区`, `芯`) are below the trigram size and scan the same in-memory texts with
`instr()`. Latin letters match case-insensitively in both (the trigram index is built that way and
the scan compares lower-cased text).
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Engine

from storage.queries_web import revision_stamp, search_rows

__all__ = ["SearchIndex", "highlight", "MAX_QUERY"]

log = logging.getLogger(__name__)

MAX_QUERY = 100  # characters; longer is a 400
SNIPPET = 48  # characters of context each side of the first match

_SCHEMA = """
CREATE TABLE docs (id INTEGER PRIMARY KEY, sha TEXT UNIQUE, text TEXT NOT NULL, low TEXT NOT NULL);
CREATE VIRTUAL TABLE docs_fts USING fts5(text, content='docs', content_rowid='id',
    tokenize='trigram case_sensitive 0');
CREATE TABLE occ (
    doc_id INTEGER NOT NULL, revision_id INTEGER NOT NULL, revision INTEGER NOT NULL,
    created_at TEXT, installment_id INTEGER NOT NULL, year INTEGER, installment INTEGER,
    title TEXT, published TEXT, zone TEXT, heading TEXT);
CREATE INDEX occ_doc ON occ (doc_id);
"""


def highlight(text: str, query: str, width: int = SNIPPET) -> list[tuple[bool, str]]:
    """A passage around the matches as (is_match, text) runs; the template escapes each run."""
    low, q = text.lower(), query.lower()
    first = low.find(q)
    if first < 0 or not q:
        return [(False, text[: 2 * width])]
    start = max(0, first - width)
    end = min(len(text), first + len(q) + width)
    # Extend to the last match that starts inside the window, so it is marked whole.
    runs: list[tuple[bool, str]] = []
    if start > 0:
        runs.append((False, "…"))
    pos = start
    while True:
        at = low.find(q, pos, end)
        if at < 0:
            break
        if at > pos:
            runs.append((False, text[pos:at]))
        stop = at + len(q)
        runs.append((True, text[at:stop]))
        pos = stop
        end = max(end, min(len(text), stop))
    if pos < end:
        runs.append((False, text[pos:end]))
    if end < len(text):
        runs.append((False, "…"))
    return runs


class SearchIndex:
    """An FTS5 trigram index of the store's texts in a private in-memory SQLite database."""

    def __init__(self, engine: Engine, *, check_every: float = 2.0) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._stamp: tuple[int, int] = (0, 0)
        self._checked = 0.0
        self._check_every = check_every
        self.build_seconds = 0.0
        self.builds = 0
        self.docs = 0
        self.occurrences = 0

    # -- building -------------------------------------------------------------------------------

    def _new_db(self) -> sqlite3.Connection:
        conn = sqlite3.connect(":memory:", check_same_thread=False)
        conn.executescript(_SCHEMA)
        return conn

    def _load(self, conn: sqlite3.Connection, rows: Iterable[Mapping[str, Any]]) -> None:
        ids: dict[str, int] = dict(conn.execute("SELECT sha, id FROM docs"))
        new_docs: list[tuple[int, str, str, str]] = []
        occ: list[tuple[Any, ...]] = []
        next_id = (conn.execute("SELECT max(id) FROM docs").fetchone()[0] or 0) + 1
        for r in rows:
            text = r["text"]
            if not text:
                continue
            sha = hashlib.sha1(text.encode("utf-8")).hexdigest()
            doc = ids.get(sha)
            if doc is None:
                doc = ids[sha] = next_id
                next_id += 1
                new_docs.append((doc, sha, text, text.lower()))
            occ.append(
                (
                    doc,
                    r["revision_id"],
                    r["revision"],
                    r["created_at"],
                    r["installment_id"],
                    r["year"],
                    r["installment"],
                    r["title"],
                    r["published"],
                    r["zone"],
                    r["heading"],
                )
            )
        with conn:
            conn.executemany("INSERT INTO docs VALUES (?, ?, ?, ?)", new_docs)
            conn.executemany(
                "INSERT INTO docs_fts (rowid, text) VALUES (?, ?)",
                ((d, t) for d, _s, t, _l in new_docs),
            )
            conn.executemany("INSERT INTO occ VALUES (?,?,?,?,?,?,?,?,?,?,?)", occ)
        self.docs += len(new_docs)
        self.occurrences += len(occ)

    def build(self) -> None:
        """(Re)build from scratch: every revision's sections and intro."""
        t0 = time.perf_counter()
        stamp = revision_stamp(self._engine)
        conn = self._new_db()
        self.docs = self.occurrences = 0
        self._load(conn, search_rows(self._engine))
        old, self._conn, self._stamp = self._conn, conn, stamp
        if old is not None:
            old.close()
        self.builds += 1
        self.build_seconds = time.perf_counter() - t0
        log.info(
            "search index: %d texts, %d occurrences in %.2fs",
            self.docs,
            self.occurrences,
            self.build_seconds,
        )

    def refresh(self, *, force: bool = False) -> bool:
        """Catch up with the store if it changed; returns whether anything was read."""
        now = time.monotonic()
        if not force and self._conn is not None and now - self._checked < self._check_every:
            return False
        with self._lock:
            self._checked = now
            stamp = revision_stamp(self._engine)
            if self._conn is not None and stamp == self._stamp:
                return False
            old_max, old_count = self._stamp
            new_max, new_count = stamp
            if self._conn is not None and new_max > old_max and new_count > old_count:
                # Revisions are appended: read only the new ones, unless some also disappeared.
                before = self.occurrences
                self._load(self._conn, search_rows(self._engine, after_revision_id=old_max))
                added = len(
                    {
                        r[0]
                        for r in self._conn.execute(
                            "SELECT DISTINCT revision_id FROM occ WHERE revision_id > ?",
                            (old_max,),
                        )
                    }
                )
                if old_count + added == new_count or self.occurrences == before:
                    self._stamp = stamp
                    return True
            self.build()
            return True

    # -- querying -------------------------------------------------------------------------------

    _OCC = (
        "doc_id",
        "revision_id",
        "revision",
        "created_at",
        "installment_id",
        "year",
        "installment",
        "title",
        "published",
        "zone",
        "heading",
    )

    def search(self, query: str, *, limit: int = 50) -> dict[str, Any]:
        """Passages containing `query`, newest installment first, and when it was first seen."""
        self.refresh()
        if self._conn is None:
            self.build()
        q = query.strip()
        if len(q) >= 3:
            matched = "SELECT rowid FROM docs_fts WHERE docs_fts MATCH ?"
            arg = '"' + q.replace('"', '""') + '"'
            method = "fts5-trigram"
        else:
            matched = "SELECT id FROM docs WHERE instr(low, ?) > 0"
            arg = q.lower()
            method = "scan"
        cols = ", ".join(self._OCC)
        with self._lock:  # one connection: the temp table of matches is per query
            conn = self._conn
            assert conn is not None
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS hits (id INTEGER PRIMARY KEY)")
            conn.execute("DELETE FROM hits")
            conn.execute(f"INSERT INTO hits {matched}", (arg,))
            total = conn.execute("SELECT count(*) FROM hits").fetchone()[0]
            if not total:
                return {"query": q, "method": method, "total": 0, "first_seen": None, "hits": []}
            first_row = conn.execute(
                f"SELECT {cols} FROM occ WHERE doc_id IN (SELECT id FROM hits) "
                "ORDER BY created_at, year, installment LIMIT 1"
            ).fetchone()
            top = [
                r[0]
                for r in conn.execute(
                    "SELECT doc_id FROM occ WHERE doc_id IN (SELECT id FROM hits) GROUP BY doc_id "
                    "ORDER BY max(year * 100000 + installment) DESC, doc_id DESC LIMIT ?",
                    (limit,),
                )
            ]
            marks = ",".join("?" * len(top))
            occ_rows: dict[int, list[dict[str, Any]]] = {}
            for row in conn.execute(
                f"SELECT {cols} FROM occ WHERE doc_id IN ({marks}) "
                "ORDER BY year, installment, revision",
                top,
            ):
                d = dict(zip(self._OCC, row, strict=True))
                occ_rows.setdefault(d.pop("doc_id"), []).append(d)
            texts = dict(conn.execute(f"SELECT id, text FROM docs WHERE id IN ({marks})", top))
        first = dict(zip(self._OCC, first_row, strict=True))
        first.pop("doc_id")
        hits = []
        for doc in top:
            occs = occ_rows[doc]
            hits.append(
                {
                    "text": texts[doc],
                    "passage": highlight(texts[doc], q),
                    "zone": occs[-1]["zone"],
                    "heading": occs[-1]["heading"],
                    "first_seen": min(o["created_at"] or "" for o in occs) or None,
                    "occurrences": occs,
                }
            )
        return {"query": q, "method": method, "total": total, "first_seen": first, "hits": hits}
