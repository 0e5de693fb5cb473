"""`chihwatch serve`: the analyst's workbench, a read-only web app over the store (docs/web.md)."""

from __future__ import annotations

import ipaddress
import logging
import signal
import socket

import click

from chihwatch.errors import ConfigError, DatabaseError

__all__ = ["serve_cmd", "host_warning"]

log = logging.getLogger("chihwatch.serve")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_warning(host: str) -> str | None:
    """What to tell the user when `host` exposes the app beyond this computer (None: it does not)."""
    if _is_loopback(host):
        return None
    return (
        f"listening on {host}: the workbench is reachable from other machines and has no login "
        "(the default 127.0.0.1 keeps it on this computer)"
    )


@click.command("serve")
@click.option(
    "--db",
    "serve_db",
    default=None,
    metavar="URL",
    help="Store to serve (default: the global --db / CHIHWATCH_DB / default file).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind; anything but loopback is logged as a warning.",
)
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port (0: any free port).",
)
@click.option(
    "--demo",
    is_flag=True,
    help="Serve the store `chihwatch demo` kept in ./chihwatch-demo-report/.",
)
@click.pass_context
def serve_cmd(ctx: click.Context, serve_db: str | None, host: str, port: int, demo: bool) -> None:
    """Browse the store in a web browser: installments, zones, figures, search, reports (read-only)."""
    import uvicorn

    from chihwatch.paths import DEMO_DIR, demo_db_url, resolve_db_url
    from storage.db import safe_url
    from web.app import create_app
    from web.readonly import open_readonly

    if demo and serve_db:
        raise ConfigError("give either --demo or --db, not both")
    db_url = demo_db_url() if demo else (serve_db or (ctx.obj or {}).get("db_url"))
    try:
        store = open_readonly(db_url)
    except DatabaseError as exc:
        if demo:
            raise DatabaseError(
                f"no demo store in ./{DEMO_DIR}/: run `chihwatch demo` first ({exc})"
            ) from exc
        raise
    logging.getLogger("web").setLevel(logging.INFO)
    warning = host_warning(host)
    if warning:
        log.warning("%s", warning)
        click.echo(f"chihwatch serve: warning: {warning}", err=True)
    where = safe_url(resolve_db_url(db_url))
    count = store.status()["installments"]
    if not count:
        click.echo(f"chihwatch serve: warning: {where} holds no installment yet", err=True)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this: without it Nagle holds each response's body back until
    # the client ACKs the headers (~40 ms per request on a keep-alive connection).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host.strip("[]"), port))
        sock.listen(128)  # connections wait in the backlog from here on, before uvicorn starts
    except OSError as exc:
        sock.close()
        store.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    bound = sock.getsockname()[1]
    app = create_app(store)
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    )
    shown = f"[{host}]" if ":" in host else host
    click.echo(
        f"chihwatch serve: {count} installments from {where} (read-only) at "
        f"http://{shown}:{bound}/  (Ctrl-C stops)",
        err=True,
    )

    def _stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal to the handler it
    # found: make that a clean stop (exit 0) for both, as a user's Ctrl-C or a service manager's.
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sock.close()
        store.close()
    click.echo("chihwatch serve: stopped", err=True)
