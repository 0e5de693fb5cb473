"""`chihwatch report --config FILE --deliver`: publish a report now through the configured targets."""

from __future__ import annotations

from datetime import datetime

import click

__all__ = ["deliver_now"]


def deliver_now(
    config_path: str | None, db_url: str | None, since: datetime, until: datetime
) -> None:
    """Render [since, until) in the config's formats and send it to each of its targets.

    Prints one line per target; exit 3 (DeliveryError) if any failed, 9 if there is none."""
    import reports
    import storage
    from chihwatch.cli.notify import load_targets, print_outcomes
    from reports.deliver import DeliveryError, Outcome

    cfg, targets = load_targets(config_path)
    store = storage.open_store(db_url or cfg.db_url, create=False)
    try:
        try:
            where = reports.publish(
                store,
                since,
                until,
                formats=list(cfg.report_formats),
                targets=list(targets),
                log=False,  # print_outcomes says it, once per target
            )
        except DeliveryError as exc:
            print_outcomes(exc.outcomes)
            raise
    finally:
        close = getattr(store, "close", None)
        if callable(close):
            close()
    click.echo(
        f"report {since:%Y-%m-%d %H:%M} .. {until:%Y-%m-%d %H:%M} delivered to {len(targets)} target(s):"
    )
    print_outcomes([Outcome(0, "", w, where=[w]) for w in where])
