"""`chihwatch crawl` (one crawl cycle) and `chihwatch serve-mirror` (the bundled mirror site)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from chihwatch.errors import ChihwatchError, ConfigError, DatabaseError, InputError

__all__ = ["crawl_cmd", "serve_mirror_cmd", "print_summary", "LOOPBACK"]

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _check_start_urls(urls: Sequence[str]) -> None:
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"start URL must be an http(s) URL: {url!r}")


def print_summary(summary: Any, *, err: bool = False) -> None:
    """The crawl summary as a few aligned lines."""
    rows = [
        ("pages fetched", summary.fetched),
        ("not modified (304)", summary.not_modified),
        ("new installments", summary.new_installments),
        ("new revisions", summary.new_revisions),
        ("suspect pages", summary.suspects),
        ("errors", summary.errors),
        ("list pages read", f"{summary.list_pages} ({summary.list_not_modified} not modified)"),
        ("not due", f"{summary.not_due} known pages checked lately, not asked again")
        if summary.not_due
        else None,
        ("requests sent", summary.requests),
        ("time", f"{summary.seconds:.1f}s"),
    ]
    for label, value in filter(None, rows):
        click.echo(f"  {label:<20} {value}", err=err)
    for message in summary.error_messages[:10]:
        click.echo(f"  ! {message}", err=err)
    if len(summary.error_messages) > 10:
        click.echo(f"  ! ... and {len(summary.error_messages) - 10} more", err=err)


def _revisit_seconds(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> float | None:
    """--revisit-after: a duration, or 0 for every known page on every crawl."""
    from chihwatch.durations import parse_duration

    if value is None:
        return None
    try:
        return parse_duration(value, what="--revisit-after", allow_zero=True)
    except ConfigError as exc:
        raise click.BadParameter(str(exc).removeprefix("--revisit-after: ")) from None


@click.command("crawl")
@click.option(
    "--start-url",
    "start_urls",
    multiple=True,
    metavar="URL",
    help="List page or article URL to start from (repeatable). Default: the site's 要闻 lists.",
)
@click.option(
    "--max-list-pages",
    type=click.IntRange(1, 1000),
    default=None,
    help="Pages of each list to read at most (default 20).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=3600.0,
    show_default=True,
    help="Seconds before the crawl is stopped.",
)
@click.option(
    "--no-delay",
    is_flag=True,
    help="No politeness delays (only allowed when every start URL is on this machine).",
)
@click.option(
    "--revisit-after",
    metavar="DURATION",
    default=None,
    callback=_revisit_seconds,
    help="Re-check a known article page only if its last check is older than this (default 1d; "
    "pages of fresh or troubled installments are always re-checked). 0: re-check every page.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress lines, only the summary.")
@click.pass_context
def crawl_cmd(
    ctx: click.Context,
    start_urls: tuple[str, ...],
    max_list_pages: int | None,
    timeout: float,
    no_delay: bool,
    revisit_after: float | None,
    quiet: bool,
) -> None:
    """Run one crawl cycle: read the list pages, fetch new and changed installments, print a summary."""
    from crawler.links import DEFAULT_START_URLS
    from crawler.run import crawl_in_subprocess
    from crawler.settings import POLITE_OFF

    _check_start_urls(start_urls)
    from chihwatch.paths import resolve_db_url
    from storage.db import open_database

    # The database first: a bad --db or an old schema is one line before any request, and a
    # new database is created (and said so) here, not silently in the crawl's child process.
    open_database(resolve_db_url(ctx.obj.get("db_url") if ctx.obj else None), create=True).dispose()
    settings: dict[str, Any] = {}
    if max_list_pages:
        settings["CHIHWATCH_MAX_LIST_PAGES"] = max_list_pages
    if no_delay:
        hosts = {urlsplit(u).hostname for u in (start_urls or DEFAULT_START_URLS)}
        if not hosts <= LOOPBACK:
            raise ConfigError("--no-delay is only for a local mirror (start URLs on 127.0.0.1)")
        settings.update(POLITE_OFF)
    if revisit_after is not None:
        settings["CHIHWATCH_REVISIT_AFTER"] = revisit_after
    settings["CHIHWATCH_PROGRESS_EVERY"] = 0 if quiet else 1

    shown = list(start_urls or DEFAULT_START_URLS)
    click.echo(f"crawling from {', '.join(shown)}", err=True)
    progress = None if quiet else (lambda line: click.echo(f"  {line}", err=True))
    db_url = ctx.obj.get("db_url") if ctx.obj else None
    started = datetime.now(UTC)
    try:
        summary = crawl_in_subprocess(
            db_url,
            start_urls or None,
            timeout=timeout,
            settings=settings,
            progress=progress or (lambda _l: None),
        )
    except DatabaseError:
        raise  # nothing to record the run in
    except ChihwatchError as exc:
        _record_run(db_url, started, "failed", error=" ".join(str(exc).split()))
        raise
    except KeyboardInterrupt:
        _record_run(db_url, started, "interrupted", error="stopped by signal: Ctrl-C")
        raise
    figures = summary.to_dict()
    figures.pop("changes", None)
    figures["error_messages"] = list(figures.get("error_messages") or [])[:20]
    _record_run(db_url, started, "ok", figures=figures)
    click.echo("crawl finished")
    print_summary(summary)


def _record_run(
    db_url: str | None,
    started: datetime,
    status: str,
    *,
    figures: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    """One row in the crawl log, so the weekly report counts cron crawls as it counts the daemon's.

    Never creates a database; a log that cannot be written is a warning, not a failed crawl.
    """
    import sqlalchemy as sa

    from chihwatch.paths import resolve_db_url
    from storage.crawl_health import record_crawl
    from storage.db import make_engine

    url = resolve_db_url(db_url)
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        return
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        return
    engine = make_engine(url)
    try:
        record_crawl(
            engine,
            started=started,
            finished=datetime.now(UTC),
            status=status,
            figures=figures,
            error=error,
        )
    except sa.exc.SQLAlchemyError as exc:
        click.echo(f"chihwatch: warning: crawl not recorded in the crawl log: {exc}", err=True)
    finally:
        engine.dispose()


@click.command("serve-mirror")
@click.option(
    "--state", default="state1", show_default=True, help="Mirror state to serve (state1..state3)."
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="Port on 127.0.0.1 (0: any free port).",
)
@click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Mirror directory (default: the bundled fixtures/site).",
)
def serve_mirror_cmd(state: str, port: int, root: Path | None) -> None:
    """Serve the bundled mirror of the site on 127.0.0.1 until Ctrl-C (for trying `crawl`)."""
    from chihwatch.demo.mirror import BUNDLED_SITE, MirrorServer

    root = root or BUNDLED_SITE
    if not root.is_dir():
        raise InputError(f"mirror directory not found: {root}")
    server = MirrorServer(root, port=port)
    if state not in server.states():
        raise ConfigError(f"no state {state!r} in {root} (have: {', '.join(server.states())})")
    server.set_state(state)
    try:
        server.start()
    except OSError as exc:
        raise ConfigError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from None
    click.echo(f"serving {root / state} at {server.url}/ (Ctrl-C to stop)")
    click.echo(
        "try: chihwatch crawl --no-delay "
        f"--start-url {server.url}/html/hotnews/yaowen/ --start-url {server.url}/yaowen/node_479.html"
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
