"""`chihwatch notify --test`: send a test message to every configured delivery target.

Like urlwatch's `--test-reporter`: one line per target, ok or failed with the reason, so a wrong
password or a dead webhook is found when the config is written, not at the first weekly report.
"""

from __future__ import annotations

import os
from typing import Any

import click

from chihwatch.errors import ConfigError, OutputError

__all__ = ["notify_cmd", "load_targets", "print_outcomes"]

CONFIG_ENV = "CHIHWATCH_CONFIG"


def load_targets(config_path: str | None) -> tuple[Any, tuple[Any, ...]]:
    """(config, its delivery targets); ConfigError when there is no file or no target."""
    from scheduler.config import load_config

    path = config_path or os.environ.get(CONFIG_ENV)
    if not path:
        raise ConfigError(
            f"no config file: give --config FILE (or {CONFIG_ENV}) with [[report.targets]]"
        )
    cfg = load_config(path)
    if not cfg.report_targets:
        # "Deliver nowhere" is never a silent success.
        raise ConfigError(
            f"{path}: no delivery targets ([[report.targets]] or [report] dir): nothing to send to"
        )
    return cfg, cfg.report_targets


def print_outcomes(outcomes: list[Any]) -> None:
    """One line per target: `ok      smtp host:587 to a@x -> mailto:a@x` or `FAILED  … : why`."""
    for o in outcomes:
        if o.ok:
            where = ", ".join(o.where)
            click.echo(
                f"ok      {o.describe}" + (f" -> {where}" if where and where != o.describe else "")
            )
        else:
            click.echo(f"FAILED  {o.failure}")


@click.command("notify")
@click.option(
    "--config",
    "config_path",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help=f"TOML config file with [[report.targets]] (docs/daemon.md). Env: {CONFIG_ENV}.",
)
@click.option("--test", "test", is_flag=True, help="Send a short test message to each target.")
def notify_cmd(config_path: str | None, test: bool) -> None:
    """Check the delivery targets: `--test` sends each one a test message and prints ok/FAILED.

    Exit codes: 0 every target got it; 3 at least one failed; 9 bad config or no targets.
    """
    from reports.deliver import deliver_each, send_test

    if not test:
        raise click.UsageError("nothing to do: use --test to send each target a test message")
    _cfg, targets = load_targets(config_path)
    outcomes = deliver_each(targets, send_test, log=False)  # the lines below say it once
    print_outcomes(outcomes)
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise OutputError(f"{len(failed)} of {len(outcomes)} delivery targets failed the test")
