"""`chihwatch demo`: the whole pipeline offline, against the bundled mirror site on 127.0.0.1.

The command picks the demo's folder and database (./chihwatch-demo/, DEMO_DIR in
chihwatch/paths.py: the database `chihwatch.db` and `reports/`), serves the mirror
(chihwatch/demo/mirror.py) and plays the simulated weeks of chihwatch/demo/scenario.py.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import click

from chihwatch.errors import InputError

__all__ = ["demo_cmd"]


@click.command("demo")
@click.option(
    "--dir",
    "demo_folder",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Demo folder for the database and the reports (default: ./chihwatch-demo).",
)
@click.option(
    "--report-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Where to write the weekly reports (default: reports/ in the demo folder).",
)
@click.option("--verbose-crawl", is_flag=True, help="Show every page the crawler fetches.")
@click.pass_context
def demo_cmd(
    ctx: click.Context, demo_folder: Path | None, report_dir: Path | None, verbose_crawl: bool
) -> None:
    """Play the bundled mirror of the site over three simulated weeks and write the weekly reports.

    Keeps its database and reports in ./chihwatch-demo/ (replacing a previous demo there); an
    explicit --db must name an empty database.
    """
    from chihwatch.demo.mirror import BUNDLED_SITE, MirrorServer
    from chihwatch.demo.scenario import final, play, shown_path
    from chihwatch.paths import DEMO_DB_NAME, DEMO_DIR, DEMO_REPORTS, demo_dir
    from storage import open_store

    root = BUNDLED_SITE
    if not root.is_dir():
        raise InputError(f"mirror site not found at {root} (the installed package is incomplete)")
    folder = demo_folder.resolve() if demo_folder else demo_dir()
    explicit_db = _explicit_db(ctx)
    echo: Callable[..., None] = click.echo
    if explicit_db is None:
        replaced = _clear_previous(folder)
        folder.mkdir(parents=True, exist_ok=True)
        db_url = f"sqlite:///{folder / DEMO_DB_NAME}"
    else:
        replaced = False
        folder.mkdir(parents=True, exist_ok=True)
        db_url = explicit_db
    reports_at = (report_dir or folder / DEMO_REPORTS).resolve()
    now = datetime.now(UTC).replace(microsecond=0)
    store = open_store(db_url)
    try:
        if explicit_db is not None and store.list_installments():
            raise click.UsageError(
                "the demo plays simulated weeks into its database: give --db an empty database, "
                f"or leave --db out to use {DEMO_DIR}/{DEMO_DB_NAME}"
            )
        shown = shown_path(folder)
        echo(
            f"chihwatch demo: three simulated weeks of the site, kept in {shown}"
            + (" (the previous demo there was replaced)" if replaced else "")
        )
        with MirrorServer(root) as server:
            echo(f"mirror of the site at {server.url}/, database {_safe(db_url)}\n")
            written = play(echo, store, server, db_url, folder, reports_at, now, verbose_crawl)
        final(echo, store, written, db_url, explicit_db is None)
    finally:
        store.close()


def _explicit_db(ctx: click.Context) -> str | None:
    """`chihwatch --db URL demo` or `demo --db URL`, never $CHIHWATCH_DB (the demo's own folder
    must not turn into a user's real database because of an environment variable)."""
    root = ctx.find_root()
    db = (root.obj or {}).get("db_url")
    if db is None:
        return None
    source = root.get_parameter_source("db_url")
    after = ctx.get_parameter_source("db_after")
    if after is click.core.ParameterSource.COMMANDLINE:
        return db
    return db if source is click.core.ParameterSource.COMMANDLINE else None


def _clear_previous(folder: Path) -> bool:
    """Remove a previous demo's database and reports from the demo folder (nothing else)."""
    from chihwatch.paths import DEMO_DB_NAME, DEMO_REPORTS

    gone = False
    for name in (DEMO_DB_NAME, *(f"{DEMO_DB_NAME}{s}" for s in ("-wal", "-shm", ".migrate-lock"))):
        path = folder / name
        if path.is_file():
            path.unlink()
            gone = True
    reports = folder / DEMO_REPORTS
    if reports.is_dir():
        for path in reports.iterdir():
            if path.is_file() and (
                path.name.startswith("chihwatch-report-") or path.name == "feed.atom"
            ):
                path.unlink()
                gone = True
    shutil.rmtree(folder / ".httpcache", ignore_errors=True)
    return gone


def _safe(db_url: str) -> str:
    from storage.db import safe_url

    return safe_url(db_url)
