"""Response bodies as stored: zlib-compressed blobs keyed by their SHA-256 (gzip readable too)."""

from __future__ import annotations

import gzip
import zlib
from typing import cast

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.orm import Session

from storage.models import Blob

__all__ = ["compress", "decompress", "put"]

_BLOBS = cast(Table, Blob.__table__)
# Values bound at execution: compiled once (issue 16).
_EXISTS = select(_BLOBS.c.sha256).where(_BLOBS.c.sha256 == bindparam("sha"))
_INSERT = insert(_BLOBS)


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


def put(s: Session, sha: str, body: bytes) -> bool:
    """Store `body` under `sha` unless it is there; whether it was new.

    An existence check that does not load the stored bytes, and a Core insert.
    """
    conn = s.connection()
    if conn.execute(_EXISTS, {"sha": sha}).first() is not None:
        return False
    conn.execute(
        _INSERT, {"sha256": sha, "size": len(body), "compression": "zlib", "data": compress(body)}
    )
    return True
