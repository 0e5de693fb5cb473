"""The `chihwatch` command line: a lazy click group; each command lives in chihwatch/commands/.

Commands are imported only when used, so `chihwatch parse` never pays for Scrapy or SQLAlchemy.
Every ChihwatchError becomes one line on stderr and its documented exit code (chihwatch/errors.py).
"""

from __future__ import annotations

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
    "parse": "chihwatch.commands.parse:parse_cmd",
    "fixtures": "chihwatch.commands.fixtures:fixtures_group",
    "ingest": "chihwatch.commands.store:ingest_cmd",
    "reparse": "chihwatch.commands.store:reparse_cmd",
    "list": "chihwatch.commands.store:list_cmd",
    "show": "chihwatch.commands.store:show_cmd",
    "diff": "chihwatch.commands.store:diff_cmd",
    "db": "chihwatch.commands.store:db_group",
    "crawl": "chihwatch.commands.crawl:crawl_cmd",
    "serve-mirror": "chihwatch.commands.crawl:serve_mirror_cmd",
    "report": "chihwatch.commands.report:report_cmd",
    "targets": "chihwatch.commands.targets:targets_cmd",
    "daemon": "chihwatch.commands.daemon:daemon_cmd",
    "status": "chihwatch.commands.daemon:status_cmd",
    "demo": "chihwatch.commands.demo:demo_cmd",
}

EXIT_INTERNAL = 70


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in COMMANDS if self._load(name) is not None)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self._load(name)

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
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
@click.version_option(__version__, prog_name="chihwatch")
@click.pass_context
def cli(ctx: click.Context, db_url: str | None, verbose: int) -> None:
    """Track the chih.cn series 国家高新区密集部署: crawl, parse, store versions, report changes."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx.obj = {"db_url": db_url}


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point: run the CLI, turning domain errors into one-line messages."""
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
    # standalone_mode=False returns ctx.exit(code)'s code instead of exiting.
    if isinstance(rv, int) and rv:
        sys.exit(rv)
    return rv


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
