"""`chihwatch report`: the weekly report of new and edited installments, in one format."""

from __future__ import annotations

import contextlib
import os
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from chihwatch.errors import OutputError

__all__ = ["report_cmd", "parse_when", "default_period"]

# The series is published in Beijing time; a bare date means a day there.
SITE_TZ = ZoneInfo("Asia/Shanghai")


def _zone() -> ZoneInfo:
    """The display zone (`--tz`, $CHIHWATCH_TZ), by default the site's own: Asia/Shanghai."""
    from chihwatch.timefmt import zone

    return zone()


def parse_when(text: str, *, end: bool = False) -> datetime:
    """ISO date or datetime; a bare date is that day's start (or, with end=True, the next day's)."""
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime.combine(day, time.min, tzinfo=_zone())
            return start + timedelta(days=1) if end else start
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        # A mistyped option value is usage (2), as for `ingest --fetched-at`.
        raise click.BadParameter(
            f"not a date or ISO 8601 time: {text!r} (use e.g. 2024-02-05 or 2024-02-05T09:00)"
        ) from None
    except OverflowError:  # 9999-12-31 as an end: its next day is past datetime's range
        raise click.BadParameter(f"{text!r} is past the last date this can handle") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=_zone())


def _when(text: str, option: str, *, end: bool = False) -> datetime:
    try:
        return parse_when(text, end=end)
    except click.BadParameter as exc:
        exc.param_hint = f"'{option}'"
        raise


def default_period(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The last seven days up to now."""
    until = now or datetime.now(SITE_TZ)
    return until - timedelta(days=7), until


@click.command("report")
@click.option(
    "--since", metavar="D", help="Start (ISO date or time; default: 7 days before --until)."
)
@click.option(
    "--until",
    metavar="D",
    help="End, exclusive; a bare date includes that whole day (default: now). Bare dates and times are in the display zone (--tz; default Beijing time).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "html", "json", "atom"]),
    default="md",
    show_default=True,
    help="Markdown (text), self-contained HTML, JSON (the report dict) or an Atom feed.",
)
@click.option("-o", "--output", metavar="FILE", help="Write to FILE instead of standard output.")
@click.option(
    "--config",
    "config_path",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Daemon config file: its database, and with --deliver its formats and targets.",
)
@click.option(
    "--deliver",
    is_flag=True,
    help="Send the report now to the config's [[report.targets]] instead of printing it.",
)
@click.option(
    "--baseline",
    is_flag=True,
    help="First report over an existing catalogue: list the installments already published in "
    "one table instead of showing each in full.",
)
@click.pass_context
def report_cmd(
    ctx: click.Context,
    since: str | None,
    until: str | None,
    fmt: str,
    output: str | None,
    config_path: str | None,
    deliver: bool,
    baseline: bool,
) -> None:
    """Weekly report: new installments, their zones and targets, edits, suspect pages, crawls."""
    import reports
    import storage

    end = _when(until, "--until", end=True) if until else datetime.now(SITE_TZ)
    start = _when(since, "--since") if since else end - timedelta(days=7)
    if start >= end:
        raise click.UsageError("--since must be before --until")
    db_url = (ctx.obj or {}).get("db_url")
    if deliver or config_path:
        from chihwatch.cli.report_deliver import deliver_now

        if deliver and output:
            raise click.UsageError(
                "--deliver sends to the config's targets; -o cannot be used with it"
            )
        if deliver:
            deliver_now(config_path, db_url, start, end)
            return
        from scheduler.config import load_config

        db_url = db_url or load_config(config_path).db_url
    store = storage.open_store(db_url, create=False)
    try:
        data = store.report_data(start, end)
    finally:
        close = getattr(store, "close", None)
        if callable(close):
            close()
    if baseline:
        from reports.baseline import as_baseline

        data = as_baseline(data)
    text = reports.render(data, fmt)
    if output is None or output == "-":
        sys.stdout.write(text)
        return
    _write(Path(output), text)


def _write(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a failure leaves no half report."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
