"""One time zone for every time a person reads: list, show, diff, status, report and the demo.

Human output shows times in the display zone (Asia/Shanghai, the site's own zone, unless `--tz`
or $CHIHWATCH_TZ says otherwise) as `2026-12-02 04:50`, and names the zone once per screen;
JSON output keeps ISO 8601 with its offset, untouched. The zone is set once per process by the
CLI (`set_zone`), read by everything that formats times for people.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chihwatch.errors import ConfigError

__all__ = ["DEFAULT_ZONE", "set_zone", "zone", "zone_name", "to_zone", "human", "parse_zone"]

DEFAULT_ZONE = "Asia/Shanghai"
_zone: ZoneInfo | None = None


def parse_zone(name: str) -> ZoneInfo:
    """An IANA zone name (`Asia/Shanghai`, `UTC`, `Europe/Berlin`); ConfigError (9) otherwise."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"unknown time zone {name!r} (an IANA name, e.g. Asia/Shanghai or UTC)"
        ) from None


def set_zone(name: str | None) -> None:
    """Use this zone for human output from now on (None: $CHIHWATCH_TZ, else Asia/Shanghai)."""
    global _zone
    _zone = parse_zone(name or os.environ.get("CHIHWATCH_TZ") or DEFAULT_ZONE)


def zone() -> ZoneInfo:
    if _zone is None:
        set_zone(None)
    assert _zone is not None
    return _zone


def zone_name() -> str:
    return zone().key


def to_zone(value: datetime | str) -> datetime:
    """An aware datetime in the display zone; naive values and strings without offset are UTC."""
    dt = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(zone())


def human(value: datetime | str | None, *, minutes: bool = True, empty: str = "-") -> str:
    """`2026-12-02 04:50` (or `2026-12-02` with minutes=False) in the display zone."""
    if value is None or value == "":
        return empty
    try:
        dt = to_zone(value)
    except ValueError:
        return str(value)
    return dt.strftime("%Y-%m-%d %H:%M" if minutes else "%Y-%m-%d")
