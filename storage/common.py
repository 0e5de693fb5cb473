"""Small helpers every part of the store shares: times, stored text, zone names (blob bytes: storage/blobs.py).

The database keeps naive UTC datetimes and paragraphs joined by newlines; these turn them into
what the callers see (aware ISO 8601, lists) and back.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["utc", "iso", "split", "canonical_zone"]


def utc(dt: datetime | None) -> datetime:
    """Naive UTC (what the database stores) from an aware or naive-UTC datetime; None: now."""
    if dt is None:
        return datetime.now(UTC).replace(tzinfo=None)
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt


def iso(dt: datetime | None) -> str | None:
    """A stored (naive UTC) time as ISO 8601 with +00:00."""
    return None if dt is None else dt.replace(tzinfo=UTC).isoformat()


def split(s: str) -> list[str]:
    """Stored paragraphs (joined by newlines) as a list."""
    return s.split("\n") if s else []


def canonical_zone(name: str) -> str:
    # The parser already names zones canonically; this also folds names stored by older parsers.
    # The gazetteer (~12 ms of imports) loads when a zone name is first read, not with the store.
    from parsers.gazetteer import canonical_zone as gazetteer_zone

    return gazetteer_zone(name) or name
