"""The `chihwatch` command line: a lazy click group; each command lives in a module beside this one.

Commands are imported only when used, so `chihwatch parse` never pays for Scrapy or SQLAlchemy.
Every ChihwatchError becomes one line on stderr and its documented exit code (chihwatch/errors.py).
"""

from __future__ import annotations

import difflib
import importlib
import logging
import os
import sys
from typing import Any

import click

from chihwatch import __version__
from chihwatch.errors import ChihwatchError
from chihwatch.paths import default_db_url

__all__ = ["main", "cli"]

# name -> "module:attribute"; a command module adds itself here, nowhere else.
COMMANDS: dict[str, str] = {
    "parse": "chihwatch.cli.parse:parse_cmd",
    "fixtures": "chihwatch.cli.fixtures:fixtures_group",
    "ingest": "chihwatch.cli.store:ingest_cmd",
    "reparse": "chihwatch.cli.store:reparse_cmd",
    "list": "chihwatch.cli.store:list_cmd",
    "show": "chihwatch.cli.store:show_cmd",
    "diff": "chihwatch.cli.store:diff_cmd",
    "db": "chihwatch.cli.store:db_group",
    "crawl": "chihwatch.cli.crawl:crawl_cmd",
    "serve-mirror": "chihwatch.cli.crawl:serve_mirror_cmd",
    "report": "chihwatch.cli.report:report_cmd",
    "notify": "chihwatch.cli.notify:notify_cmd",
    "targets": "chihwatch.cli.targets:targets_cmd",
    "daemon": "chihwatch.cli.daemon:daemon_cmd",
    "status": "chihwatch.cli.daemon:status_cmd",
    "demo": "chihwatch.cli.demo:demo_cmd",
    "serve": "chihwatch.cli.serve:serve_cmd",
}

EXIT_INTERNAL = 70


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in COMMANDS if self._load(name) is not None)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        cmd = self._load(name)
        if cmd is not None:
            _accept_db_anywhere(cmd)
        return cmd

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and name not in COMMANDS:
            # click suggests from self.commands, which a lazy group leaves empty.
            close = difflib.get_close_matches(name, list(COMMANDS), n=3, cutoff=0.6)
            hint = ""
            if len(close) == 1:
                hint = f" Did you mean {close[0]!r}?"
            elif close:
                hint = f" (Did you mean one of: {', '.join(close)}?)"
            ctx.fail(f"No such command {name!r}.{hint}")
        return super().resolve_command(ctx, args)

    @staticmethod
    def _load(name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            # Only a command whose own module is absent is hidden; a broken import inside it is a bug.
            if exc.name == module_name:
                return None
            raise
        return getattr(module, attr, None)


def _set_db(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        root = ctx.find_root()
        if root.obj is None:
            root.obj = {}
        root.obj["db_url"] = value  # in place: every context below shares this dict


def _accept_db_anywhere(cmd: click.Command) -> None:
    """Give a command (and a group's subcommands) the global --db, so it may follow the command.

    `chihwatch list --db URL` means `chihwatch --db URL list`; given twice, the later one wins.
    """
    if getattr(cmd, "_chihwatch_db", False):
        return
    cmd._chihwatch_db = True  # type: ignore[attr-defined]
    if not any("--db" in getattr(p, "opts", ()) for p in cmd.params):
        cmd.params.append(
            click.Option(
                ["--db", "db_after"],
                metavar="URL",
                expose_value=False,
                is_eager=True,
                callback=_set_db,
                help="Database URL (same as the global --db).",
            )
        )
    if isinstance(cmd, click.Group):
        for sub in cmd.commands.values():
            _accept_db_anywhere(sub)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=f"Default database: {default_db_url()}",
)
@click.option(
    "--db",
    "db_url",
    envvar="CHIHWATCH_DB",
    default=None,
    metavar="URL",
    help="Database URL (sqlite:///FILE or postgresql+psycopg://...). Env: CHIHWATCH_DB.",
)
@click.option(
    "--tz",
    "tz",
    envvar="CHIHWATCH_TZ",
    default=None,
    metavar="ZONE",
    help="Time zone of the times shown to people (default Asia/Shanghai; JSON keeps offsets). "
    "Env: CHIHWATCH_TZ.",
)
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
@click.version_option(__version__, prog_name="chihwatch")
@click.pass_context
def cli(ctx: click.Context, db_url: str | None, tz: str | None, verbose: int) -> None:
    """Track the 中国高新网 (www.chinahightech.com) series 国家高新区密集部署: crawl, parse, store
    versions, report changes."""
    from chihwatch.errors import ConfigError
    from chihwatch.timefmt import set_zone

    try:
        set_zone(tz)
    except ConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="'--tz' / CHIHWATCH_TZ") from None
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx.obj = {"db_url": db_url}


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point: run the CLI, turning domain errors into one-line messages."""
    db = sys.modules.get("storage.db")
    if db is not None:  # a second run in one process (tests) starts with no notes
        db.CREATED.clear()
    try:
        rv = cli.main(args=argv, prog_name="chihwatch", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("chihwatch: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ChihwatchError as exc:
        click.echo(f"chihwatch: {_one_line(exc)}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("chihwatch: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug: still one line unless asked for the traceback
        if os.environ.get("CHIHWATCH_DEBUG"):
            raise
        click.echo(
            f"chihwatch: internal error: {type(exc).__name__}: {_one_line(exc)} "
            "(set CHIHWATCH_DEBUG=1 for the traceback)",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)
    _created_notes()
    # standalone_mode=False returns ctx.exit(code)'s code instead of exiting.
    if isinstance(rv, int) and rv:
        sys.exit(rv)
    return rv


def _created_notes() -> None:
    """ "created new database …", once, after a command that started one (storage.db)."""
    db = sys.modules.get("storage.db")
    for line in getattr(db, "created_notes", list)():
        click.echo(line, err=True)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
