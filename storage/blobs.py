"""Response bodies as stored: zlib-compressed blobs keyed by their SHA-256 (gzip readable too)."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Mapping
from typing import cast

from sqlalchemy import Connection, Table, bindparam, insert, select

from storage.models import Blob

__all__ = ["compress", "decompress", "put_many"]

_BLOBS = cast(Table, Blob.__table__)
# Values bound at execution: compiled once (issue 16).
_EXISTING = select(_BLOBS.c.sha256).where(_BLOBS.c.sha256.in_(bindparam("shas", expanding=True)))
_INSERT = insert(_BLOBS)
CHUNK = 500  # shas per IN (...)


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


def put_many(conn: Connection, bodies: Mapping[str, bytes]) -> set[str]:
    """Store each body (sha -> body) unless it is there; the shas that were new.

    One existence check that does not load the stored bytes, one executemany of the new ones.
    """
    have: set[str] = set()
    shas = sorted(bodies)
    for i in range(0, len(shas), CHUNK):
        have.update(conn.execute(_EXISTING, {"shas": shas[i : i + CHUNK]}).scalars())
    new = [sha for sha in shas if sha not in have]
    if new:
        conn.execute(
            _INSERT,
            [
                {
                    "sha256": sha,
                    "size": len(bodies[sha]),
                    "compression": "zlib",
                    "data": compress(bodies[sha]),
                }
                for sha in new
            ],
        )
    return set(new)
