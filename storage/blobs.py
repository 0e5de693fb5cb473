"""Response bodies as stored: zlib-compressed blobs keyed by their SHA-256 (gzip readable too)."""

from __future__ import annotations

import gzip
import zlib

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from storage.models import Blob

__all__ = ["compress", "decompress", "put"]


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
    if s.scalar(select(Blob.sha256).where(Blob.sha256 == sha)) is not None:
        return False
    s.execute(
        insert(Blob).values(sha256=sha, size=len(body), compression="zlib", data=compress(body))
    )
    return True
