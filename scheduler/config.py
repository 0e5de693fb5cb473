"""The daemon's configuration: a TOML file (docs/daemon.md), overridden by command-line flags."""

from __future__ import annotations

import datetime as _dt
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chihwatch.durations import format_duration, parse_duration
from chihwatch.errors import ConfigError

__all__ = [
    "Schedule",
    "DaemonConfig",
    "parse_duration",
    "format_duration",
    "load_config",
    "config_from_dict",
]

REPORT_FORMATS = ("md", "html", "json", "atom")

# A crawl of the real site at most once a minute; a mirror on the loopback interface is exempt.
MIN_CRAWL_INTERVAL = 60.0
_LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


@dataclass(frozen=True)
class Schedule:
    """When a job runs: every `interval` seconds, or on a crontab line in `timezone`."""

    interval: float | None = None
    cron: str | None = None
    timezone: str = "UTC"
    misfire_grace: float = 3600.0

    def describe(self) -> str:
        """A stable one-line description; the daemon compares it to keep a stored schedule."""
        if self.interval is not None:
            return f"every {format_duration(self.interval)}"
        return f"cron '{self.cron}' {self.timezone}"

    def trigger(self) -> Any:
        """The APScheduler 3.x trigger for this schedule."""
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        tz = ZoneInfo(self.timezone)
        if self.interval is not None:
            return IntervalTrigger(seconds=self.interval, timezone=tz)
        assert self.cron is not None
        try:
            trigger = CronTrigger.from_crontab(self.cron, timezone=tz)
        except ValueError as exc:
            raise ConfigError(f"bad cron expression {self.cron!r}: {exc}") from None
        if trigger.get_next_fire_time(None, _dt.datetime.now(tz)) is None:
            # e.g. '0 9 31 2 *': APScheduler accepts it and the job would silently never run.
            raise ConfigError(f"cron expression {self.cron!r} never fires (no such date)")
        return trigger


@dataclass(frozen=True)
class DaemonConfig:
    """Everything `chihwatch daemon` needs; built by `load_config` and flag overrides."""

    db_url: str | None = None
    start_urls: tuple[str, ...] = ()
    crawl: Schedule = Schedule(interval=6 * 3600.0, misfire_grace=3600.0)
    crawl_timeout: float = 1800.0
    crawl_settings: Mapping[str, Any] = field(default_factory=dict)
    report: Schedule = Schedule(
        cron="0 9 * * mon", timezone="Asia/Shanghai", misfire_grace=3 * 86400.0
    )
    report_enabled: bool = True
    report_period: float = 7 * 86400.0
    report_formats: tuple[str, ...] = ("html", "md")
    report_targets: tuple[Any, ...] = ()
    log_file: str | None = None
    log_max_bytes: int = 10 * 1024 * 1024
    log_backups: int = 5
    source: str | None = None  # the file it came from, for messages

    def with_overrides(
        self,
        *,
        db_url: str | None = None,
        start_urls: Sequence[str] = (),
        crawl_interval: str | None = None,
        report_dir: str | None = None,
    ) -> DaemonConfig:
        """This config with command-line flags applied (flags win over the file)."""
        cfg = self
        if db_url:
            cfg = replace(cfg, db_url=db_url)
        if start_urls:
            cfg = replace(cfg, start_urls=tuple(start_urls))
        if crawl_interval:
            seconds = parse_duration(crawl_interval, what="--crawl-interval")
            cfg = replace(cfg, crawl=replace(cfg.crawl, interval=seconds, cron=None))
        if report_dir:
            # --report-dir replaces the file's directory targets but keeps e-mail and webhooks.
            kept = tuple(t for t in cfg.report_targets if _target_type(t) != "directory")
            target = {"type": "directory", "path": str(Path(report_dir).expanduser().absolute())}
            cfg = replace(cfg, report_targets=(target, *kept))
        _check_crawl_interval(
            cfg.crawl, cfg.start_urls, "--crawl-interval" if crawl_interval else "crawl.interval"
        )
        return cfg


def _is_loopback(url: str) -> bool:
    from urllib.parse import urlsplit

    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    return host in _LOOPBACK or host.startswith("127.")


def _check_crawl_interval(schedule: Schedule, start_urls: Sequence[str], what: str) -> None:
    """At most one crawl a minute of a real site (the default start URLs are the real site)."""
    if schedule.interval is None or schedule.interval >= MIN_CRAWL_INTERVAL:
        return
    if start_urls and all(_is_loopback(u) for u in start_urls):
        return  # a mirror on this machine: tests and the demo crawl it every second
    raise ConfigError(
        f"{what}: at least 1m for a real site, got {format_duration(schedule.interval)} "
        "(shorter intervals only for start URLs on 127.0.0.1)"
    )


def _target_type(target: Any) -> str:
    kind = str(target.get("type", "")).lower() if isinstance(target, Mapping) else ""
    return "directory" if kind == "dir" else kind


def load_config(path: str | Path | None) -> DaemonConfig:
    """Read a TOML config file; None gives the defaults."""
    if path is None:
        return DaemonConfig()
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read config file {p}: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    try:
        return config_from_dict(data, source=str(p), base_dir=p.parent)
    except ConfigError as exc:
        raise ConfigError(f"{p}: {exc}") from None


_TOP_KEYS = {
    "database",
    "start_urls",
    "log_file",
    "log_max_bytes",
    "log_backups",
    "crawl",
    "report",
}
_CRAWL_KEYS = {
    "interval",
    "cron",
    "timezone",
    "timeout",
    "misfire_grace",
    "revisit_after",
    "settings",
}
_REPORT_KEYS = {
    "enabled",
    "interval",
    "cron",
    "timezone",
    "misfire_grace",
    "period",
    "formats",
    "targets",
    "dir",
}


def config_from_dict(
    data: Mapping[str, Any], *, source: str | None = None, base_dir: Path | None = None
) -> DaemonConfig:
    """Validate a parsed TOML document into a DaemonConfig; unknown keys are errors (typos)."""
    _check_keys(data, _TOP_KEYS, "")
    defaults = DaemonConfig()
    crawl = _table(data, "crawl")
    report = _table(data, "report")
    _check_keys(crawl, _CRAWL_KEYS, "crawl.")
    _check_keys(report, _REPORT_KEYS, "report.")

    start_urls = data.get("start_urls", [])
    if isinstance(start_urls, str):
        start_urls = [start_urls]
    if not isinstance(start_urls, list) or not all(isinstance(u, str) for u in start_urls):
        raise ConfigError("start_urls: expected a list of URLs")
    for u in start_urls:
        if not u.startswith(("http://", "https://")):
            raise ConfigError(f"start_urls: not an http(s) URL: {u!r}")

    formats = report.get("formats", list(defaults.report_formats))
    if isinstance(formats, str):
        formats = [formats]
    if not isinstance(formats, list) or not formats:
        raise ConfigError('report.formats: expected a list like ["html", "md"]')
    for f in formats:
        if f not in REPORT_FORMATS:
            raise ConfigError(
                f"report.formats: unknown format {f!r} (use {', '.join(REPORT_FORMATS)})"
            )

    raw_targets = report.get("targets", [])
    if not isinstance(raw_targets, list) or not all(isinstance(t, dict) for t in raw_targets):
        raise ConfigError("report.targets: expected [[report.targets]] tables with a type")
    targets = [dict(t) for t in raw_targets]
    if "dir" in report:
        targets.insert(0, {"type": "directory", "path": str(report["dir"])})
    for t in targets:
        if _target_type(t) == "directory" and t.get("path"):
            t["path"] = _resolve(str(t["path"]), base_dir)
        _check_target(t)

    log_file = data.get("log_file")
    if log_file is not None:
        log_file = _resolve(str(log_file), base_dir)

    settings = crawl.get("settings", {})
    if not isinstance(settings, dict):
        raise ConfigError("crawl.settings: expected a table of Scrapy settings")
    for key, value in settings.items():
        _check_setting(f"crawl.settings.{key}", value)
    if "revisit_after" in crawl:  # the revisit policy (docs/crawling.md): 0 = every page
        seconds = parse_duration(
            crawl["revisit_after"], what="crawl.revisit_after", allow_zero=True
        )
        settings = {**settings, "CHIHWATCH_REVISIT_AFTER": seconds}
    enabled = report.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"report.enabled: expected true or false (no quotes), got {enabled!r}")
    crawl_schedule = _schedule(crawl, "crawl", defaults.crawl)
    _check_crawl_interval(crawl_schedule, start_urls, "crawl.interval")

    return DaemonConfig(
        db_url=_opt_str(data, "database"),
        start_urls=tuple(start_urls),
        crawl=crawl_schedule,
        crawl_timeout=parse_duration(
            crawl.get("timeout", defaults.crawl_timeout), what="crawl.timeout"
        ),
        crawl_settings=settings,
        report=_schedule(report, "report", defaults.report),
        report_enabled=enabled,
        report_period=parse_duration(
            report.get("period", defaults.report_period), what="report.period"
        ),
        report_formats=tuple(formats),
        report_targets=tuple(targets),
        log_file=log_file,
        log_max_bytes=_opt_int(data, "log_max_bytes", defaults.log_max_bytes),
        log_backups=_opt_int(data, "log_backups", defaults.log_backups),
        source=source,
    )


def _check_setting(name: str, value: Any) -> None:
    """Scrapy settings are strings, numbers, booleans, lists and tables; a TOML date is none."""
    if isinstance(value, _dt.date | _dt.time):  # datetime is a date
        raise ConfigError(f"{name}: a TOML date/time is not a Scrapy setting value (quote it)")
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{name}: must be a finite number, got {value!r}")
    if isinstance(value, list):
        for item in value:
            _check_setting(name, item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_setting(f"{name}.{key}", item)


def _check_target(target: Mapping[str, Any]) -> None:
    # reports/ owns the target keys; asking it now turns a typo into a startup error.
    from reports.deliver import target_from_config

    target_from_config(target)


def _schedule(table: Mapping[str, Any], name: str, default: Schedule) -> Schedule:
    if "interval" in table and "cron" in table:
        raise ConfigError(f"{name}: give either interval or cron, not both")
    tz = table.get("timezone", default.timezone)
    try:
        ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{name}.timezone: unknown time zone {tz!r}") from None
    grace = parse_duration(
        table.get("misfire_grace", default.misfire_grace), what=f"{name}.misfire_grace"
    )
    if "interval" in table:
        interval = parse_duration(table["interval"], what=f"{name}.interval")
        return Schedule(interval=interval, timezone=str(tz), misfire_grace=grace)
    if "cron" in table:
        cron = table["cron"]
        if not isinstance(cron, str) or len(cron.split()) != 5:
            raise ConfigError(f"{name}.cron: expected a 5-field crontab line like '0 9 * * mon'")
        sched = Schedule(cron=cron, timezone=str(tz), misfire_grace=grace)
        sched.trigger()  # validates the fields now, not at the first run
        return sched
    return replace(default, timezone=str(tz), misfire_grace=grace)


def _table(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{key}: expected a table ([{key}])")
    return value


def _check_keys(data: Mapping[str, Any], allowed: set[str], prefix: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError(f"unknown key {prefix}{unknown[0]} (known: {', '.join(sorted(allowed))})")


def _opt_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{key}: expected a string")
    return value


def _opt_int(data: Mapping[str, Any], key: str, default: int) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"{key}: expected a non-negative integer")
    return value


def _resolve(path: str, base_dir: Path | None) -> str:
    # Relative paths in a config file are relative to the file, as in systemd units and cron tabs.
    p = Path(path).expanduser()
    if not p.is_absolute() and base_dir is not None:
        p = base_dir / p
    return str(p)
