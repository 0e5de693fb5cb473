"""The daemon's TOML config and duration parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from chihwatch.errors import ConfigError
from scheduler.config import DaemonConfig, format_duration, load_config, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("30m", 1800),
        ("6h", 21600),
        ("1d", 86400),
        ("1h30m", 5400),
        ("45", 45),
        (" 2 m ", 120),
        ("0.5s", 0.5),
        (10, 10),
    ],
)
def test_parse_duration(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "m", "10x", "-5m", "0s", "5 minutes", "1h-30m", True])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_duration(text)


def test_parse_duration_zero_only_where_allowed() -> None:
    assert parse_duration("0", allow_zero=True) == parse_duration(0, allow_zero=True) == 0
    with pytest.raises(ConfigError, match="must be positive or 0"):
        parse_duration(-60, allow_zero=True)


@pytest.mark.parametrize(("value", "seconds"), [("'12h'", 43200.0), ("0", 0.0), ("'0s'", 0.0)])
def test_crawl_revisit_after_becomes_the_crawl_setting(
    tmp_path: Path, value: str, seconds: float
) -> None:
    body = f"[crawl]\nrevisit_after = {value}\n[crawl.settings]\nDOWNLOAD_TIMEOUT = 10\n"
    (tmp_path / "c.toml").write_text(body, encoding="utf-8")
    cfg = load_config(tmp_path / "c.toml")
    assert dict(cfg.crawl_settings) == {"DOWNLOAD_TIMEOUT": 10, "CHIHWATCH_REVISIT_AFTER": seconds}


@pytest.mark.parametrize("seconds", [90, 1800, 21600, 5400, 86400 + 61])
def test_format_duration_round_trips(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


def test_defaults_are_weekly_monday_nine_shanghai() -> None:
    cfg = load_config(None)
    assert cfg.report.cron == "0 9 * * mon" and cfg.report.timezone == "Asia/Shanghai"
    trig = cfg.report.trigger()
    from datetime import datetime
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    nxt = trig.get_next_fire_time(None, datetime(2026, 11, 27, 12, 0, tzinfo=tz))  # a Friday
    assert nxt == datetime(2026, 11, 30, 9, 0, tzinfo=tz)
    assert cfg.crawl.interval == 6 * 3600


def test_full_file(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text(
        """
database = "sqlite:////var/lib/chihwatch/chihwatch.db"
start_urls = ["http://127.0.0.1:8000/list.html"]
log_file = "logs/daemon.log"

[crawl]
interval = "30m"
timeout = "10m"
misfire_grace = "15m"

[report]
cron = "30 8 * * fri"
timezone = "Europe/Berlin"
formats = ["html", "atom"]
dir = "reports"

[[report.targets]]
type = "webhook"
url = "https://example.invalid/hook"
""",
        encoding="utf-8",
    )
    cfg = load_config(tmp_path / "c.toml")
    assert cfg.db_url == "sqlite:////var/lib/chihwatch/chihwatch.db"
    assert cfg.start_urls == ("http://127.0.0.1:8000/list.html",)
    assert (
        cfg.crawl.interval == 1800 and cfg.crawl_timeout == 600 and cfg.crawl.misfire_grace == 900
    )
    assert cfg.report.cron == "30 8 * * fri" and cfg.report.timezone == "Europe/Berlin"
    assert cfg.report_formats == ("html", "atom")
    # Relative paths are relative to the config file.
    assert cfg.log_file == str(tmp_path / "logs/daemon.log")
    assert cfg.report_targets[0] == {"type": "directory", "path": str(tmp_path / "reports")}
    assert cfg.report_targets[1]["type"] == "webhook"


def test_flags_override_file(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text(
        'start_urls = ["http://a.example/"]\n[crawl]\ncron = "0 * * * *"\n'
        '[report]\ndir = "old"\n[[report.targets]]\ntype = "webhook"\nurl = "http://127.0.0.1:9/x"\n',
        encoding="utf-8",
    )
    cfg = load_config(tmp_path / "c.toml").with_overrides(
        db_url="sqlite:///x.db",
        start_urls=["http://b.example/"],
        crawl_interval="90s",
        report_dir=str(tmp_path / "new"),
    )
    assert cfg.db_url == "sqlite:///x.db"
    assert cfg.start_urls == ("http://b.example/",)
    assert cfg.crawl.interval == 90 and cfg.crawl.cron is None
    # --report-dir replaces the directory target and keeps the webhook.
    assert [t["type"] for t in cfg.report_targets] == ["directory", "webhook"]
    assert cfg.report_targets[0]["path"] == str(tmp_path / "new")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("start_url = []", "unknown key start_url"),
        ("[crawl]\ninterval = '5 minutes'", "crawl.interval"),
        ("[crawl]\ninterval = '5m'\ncron = '* * * * *'", "either interval or cron"),
        ("[crawl]\ncron = '61 * * * *'", "cron"),
        ("[report]\ntimezone = 'Mars/Olympus'", "unknown time zone"),
        ("[report]\nformats = ['pdf']", "unknown format"),
        ("start_urls = ['file:///etc/passwd']", r"not an http\(s\) URL"),
        ("[report]\n[[report.targets]]\ntype = 'pigeon'", "pigeon"),
        ("database = 5", "database"),
        ("[crawl]\nrevisit_after = 'daily'", "crawl.revisit_after"),
        ("[crawl]\nrevisit_after = -60", "crawl.revisit_after: must be positive or 0"),
        ("this is not toml", "not valid TOML"),
    ],
)
def test_bad_files_are_one_clear_error(tmp_path: Path, body: str, message: str) -> None:
    (tmp_path / "c.toml").write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as info:
        load_config(tmp_path / "c.toml")
    assert str(tmp_path / "c.toml") in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "nope.toml")


def test_schedule_description_changes_with_schedule() -> None:
    a = DaemonConfig().with_overrides(crawl_interval="30m").crawl.describe()
    b = DaemonConfig().with_overrides(crawl_interval="31m").crawl.describe()
    assert a == "every 30m" and a != b
