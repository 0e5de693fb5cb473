"""Durations as people write them in a config or a flag: `90s`, `30m`, `6h`, `1d`, `1h30m`.

A base module: the daemon's schedule (scheduler.config) and the delivery targets' timeouts
(reports.deliver) read their durations the same way.
"""

from __future__ import annotations

import math
import re

from chihwatch.errors import ConfigError

__all__ = ["MAX_DURATION", "parse_duration", "format_duration"]

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")

# No duration in a config makes sense beyond a year; far larger ones overflow APScheduler's
# timedelta arithmetic (exit 70 before this check).
MAX_DURATION = 366 * 86400.0


def parse_duration(
    value: str | int | float, *, what: str = "duration", allow_zero: bool = False
) -> float:
    """Seconds in `90s`, `30m`, `6h`, `1d`, `1h30m` or a bare number of seconds (0 only with
    `allow_zero`, for settings where 0 means "no wait")."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ConfigError(f"{what}: expected a duration like 90s, 30m or 6h, got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = value.strip().lower().replace(" ", "")
        try:
            seconds = float(text)
        except ValueError:
            parts = _PART.findall(text)
            if not parts or "".join(n + u for n, u in parts) != text:
                raise ConfigError(
                    f"{what}: expected a duration like 90s, 30m or 6h, got {value!r}"
                ) from None
            seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if not math.isfinite(seconds):
        raise ConfigError(f"{what}: must be a finite duration, got {value!r}")
    if seconds < 0 or (seconds == 0 and not allow_zero):
        raise ConfigError(f"{what}: must be positive{' or 0' if allow_zero else ''}, got {value!r}")
    if seconds > MAX_DURATION:
        raise ConfigError(f"{what}: at most 366d, got {value!r}")
    return seconds


def format_duration(seconds: float) -> str:
    """The shortest `parse_duration` spelling of a number of seconds (`1800` -> `30m`)."""
    if seconds != int(seconds):
        return f"{seconds:g}s"
    rest = int(seconds)
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            out += f"{rest // size}{unit}"
            rest %= size
    return out or "0s"
