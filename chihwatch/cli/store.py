"""`ingest`, `reparse`, `list`, `show`, `diff` and `db init|upgrade|current`: the store from the CLI."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from chihwatch.cli.argcheck import url_option_callback
from chihwatch.errors import ChihwatchError, InputError, ParseError

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy import Engine

    from storage.store import Store

__all__ = ["ingest_cmd", "reparse_cmd", "list_cmd", "show_cmd", "diff_cmd", "db_group"]


def _db_url(ctx: click.Context) -> str | None:
    return (ctx.obj or {}).get("db_url")


def _open(ctx: click.Context, *, create: bool = False, write: bool = False) -> Store:
    """The store; only `create` commands may start a new database (storage.open_store)."""
    from storage import open_store

    return open_store(_db_url(ctx), create=create, write=write or create)


def _console() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def _json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO 8601 time: {value!r}") from exc


@click.command("ingest")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--url", required=True, callback=url_option_callback, help="The URL the page was saved from."
)
@click.option(
    "--fetched-at", "fetched_at", metavar="ISO", help="When it was fetched (default: now)."
)
@click.option(
    "--content-type",
    "content_type",
    metavar="CT",
    help="Content-Type header, e.g. 'text/html; charset=gbk'.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def ingest_cmd(
    ctx: click.Context,
    file: str,
    url: str,
    fetched_at: str | None,
    content_type: str | None,
    as_json: bool,
) -> None:
    """Store a saved page FILE as if fetched from URL (200 response)."""
    when = _parse_time(fetched_at)
    try:
        body = click.get_binary_stream("stdin").read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {file}: {exc.strerror or exc}") from exc
    store = _open(ctx, create=True)
    try:
        headers = {"Content-Type": content_type} if content_type else {}
        res = store.record_response(url, status=200, headers=headers, body=body, fetched_at=when)
    finally:
        store.close()
    if as_json:
        _json({k: v for k, v in res.__dict__.items()})
        return
    if res.installment:
        series, year, number = res.installment
        what = f"installment {year}-{number}"
        if res.suspect:
            what += f": suspect ({res.suspect}), no revision"
        elif res.revision_new:
            what += ": new installment" if res.installment_new else ": new revision"
        else:
            what += ": unchanged"
    elif res.error:
        raise ParseError(f"{url}: raw page stored, but it does not parse: {res.error}")
    else:
        what = "not a series installment"
    click.echo(f"{url}: {what}" + (" (new blob)" if res.blob_new else " (known bytes)"))


@click.command("reparse")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.pass_context
def reparse_cmd(ctx: click.Context, as_json: bool) -> None:
    """Re-run the current parser over every stored page; record revisions only where it differs."""
    store = _open(ctx, write=True)
    try:
        counts = store.reparse()
    finally:
        store.close()
    if as_json:
        _json(counts)
    else:
        click.echo(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in counts.items()))


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (times in ISO 8601 with offset).")
@click.pass_context
def list_cmd(ctx: click.Context, as_json: bool) -> None:
    """List the installments in the store.

    On a terminal: a table. Piped or redirected: one full line per installment, tab-separated
    (ref, title, published, zones, revisions, last seen), so `grep` and `cut` see every field.
    """
    from chihwatch.timefmt import human, zone_name

    store = _open(ctx)
    try:
        rows = store.list_installments()
    finally:
        store.close()
    if as_json:
        _json(rows)
        return
    con = _console()
    cells = [
        (
            f"{r['year']}-{r['installment']}",
            r["title"],
            (r["published"] or "")[:10],
            "、".join(r["zones"]),
            str(r["revisions"]),
            human(r["last_seen"]),
        )
        for r in rows
    ]
    if not con.is_terminal:
        if not cells:
            click.echo("0 installments in the store", err=True)  # never a silent empty answer
        for row in cells:
            click.echo("\t".join(" ".join(c.split()) for c in row))
        return
    from rich.table import Table

    table = Table(title=f"{len(rows)} installments (times in {zone_name()})", title_justify="left")
    for col in ("ref", "title", "published", "zones", "revs", "last seen"):
        # Wrap long titles and zone lists onto more lines rather than cut them with "…".
        table.add_column(col, overflow="fold", no_wrap=col in ("ref", "published", "last seen"))
    for row in cells:
        table.add_row(*(_esc(c) for c in row))
    con.print(table)


@click.command("show")
@click.argument("installment")
@click.option(
    "--revision",
    "-r",
    type=click.IntRange(min=1),
    metavar="N",
    help="Show revision N (default latest).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def show_cmd(ctx: click.Context, installment: str, revision: int | None, as_json: bool) -> None:
    """Show an installment's latest revision.

    INSTALLMENT: 2024-5, 2024-⑤, 2024年⑤, its title (or part of it), its id or its URL.
    """
    from chihwatch.timefmt import human, zone_name

    store = _open(ctx)
    try:
        data = store.show(installment, revision=revision)
    finally:
        store.close()
    if as_json:
        _json(data)
        return
    con = _console()
    con.print(f"[bold]{_esc(data['title'])}[/bold]")
    rev = data["revision"] or {}
    con.print(
        f"{_esc(data['url'])}\npublished {human(data['published'], empty='?')} · revision "
        f"{rev.get('revision', '-')} of {len(data['revisions'])} · "
        f"{human(rev.get('created_at'))} ({zone_name()})"
    )
    for p in data["intro"]:
        con.print(f"\n{_esc(p)}")
    for z in data["zones"]:
        con.print(f"\n[bold cyan]{_esc(z['name'])}[/bold cyan]")
        for p in z["paragraphs"]:
            con.print(f"  {_esc(p)}")
        for t in z["figures"]:
            if t["kind"] != "other":
                con.print(f"  [yellow]◎ {_esc(t['indicator'])}: {_esc(t['text'])}[/yellow]")


def _esc(s: str) -> str:
    from rich.markup import escape

    return escape(s)


def _human_time(iso: str | None) -> str:
    from chihwatch.timefmt import human, zone_name

    return f"{human(iso)} {zone_name()}"


def _inline_text(inline: list[list[str]], styled: bool) -> str:
    out = []
    for op, t in inline:
        t = _esc(t) if styled else t
        if op == "=":
            out.append(t)
        elif op == "-":
            out.append(f"[red strike]{t}[/red strike]" if styled else f"[-{t}-]")
        else:
            out.append(f"[green underline]{t}[/green underline]" if styled else f"{{+{t}+}}")
    return "".join(out)


def render_diff_text(data: dict[str, Any], styled: bool) -> str:
    """The diff for a terminal (Rich markup when styled, else [-removed-] {+added+} markers)."""
    frm, to = data["from"], data["to"]
    lines = [
        (_esc(data["title"]) if styled else data["title"]),
        data["url"],
        f"revision {frm['revision'] if frm else '-'} -> {to['revision']}"
        + (f" ({to['cause']}, {_human_time(to['created_at'])})" if to else ""),
    ]
    if frm is None:
        lines.append("first revision: nothing to compare with")
    elif not data["changes"]:
        lines.append("no changes")
    for c in data["changes"]:
        zone = c["zone"] or "(intro)"
        lines.append("")
        lines.append(
            f"[bold]{_esc(zone)}[/bold] · {c['kind']}" if styled else f"{zone} · {c['kind']}"
        )
        lines.append("  " + _inline_text(c["inline"], styled))
    if data.get("sections") is not None:
        lines.append("")
        lines.append("against earlier installments:")
        esc = _esc if styled else str
        lines.append("  new to the series: " + (esc("、".join(data["new_zones"])) or "none"))
        for sec in data["sections"]:
            prev = sec["previous"]
            if prev is None:
                continue
            moved = [
                f"{t.get('subject') or t.get('indicator')} {t['before']} -> {t['after']}"
                for t in sec["target_changes"]
            ]
            lines.append(
                f"  {esc(sec['zone'])}: before in {prev['year']}-{prev['installment']}, "
                + _comparison_counts(sec)
                + (f"; targets: {esc('; '.join(moved))}" if moved else "")
            )
    return "\n".join(lines)


def _comparison_counts(sec: dict[str, Any]) -> str:
    """`1 similar, 1 same, 2 new, 1 not repeated paragraphs` of a cross-installment comparison."""
    rows = sec.get("comparison")
    if rows is None:  # data without a comparison (older callers): count the changes
        return f"{len(sec['changes'])} paragraph changes"
    similar = sum(r["kind"] == "similar" for r in rows)
    same = sum(len(r["after"]) for r in rows if r["kind"] == "same")
    new = sum(len(r["after"]) for r in rows if r["kind"] == "apart")
    gone = sum(len(r["before"]) for r in rows if r["kind"] == "apart")
    return f"paragraphs: {similar} similar, {same} same, {new} new, {gone} not repeated"


class ReversedRevisions(ChihwatchError):
    """`diff --from R --to S` with R not older than S: usage (exit 2), one line."""

    exit_code = 2


@click.command("diff")
@click.argument("installment")
@click.option("--from", "from_rev", type=int, metavar="R", help="Old revision number.")
@click.option("--to", "to_rev", type=int, metavar="R", help="New revision number (default latest).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "html"]),
    default="text",
    show_default=True,
)
@click.pass_context
def diff_cmd(
    ctx: click.Context, installment: str, from_rev: int | None, to_rev: int | None, fmt: str
) -> None:
    """Diff two revisions of an installment (default: the latest against the one before)."""
    if from_rev is not None and to_rev is not None:
        _check_order(installment, from_rev, to_rev)
    store = _open(ctx)
    try:
        data = store.diff(installment, from_rev=from_rev, to_rev=to_rev)
    finally:
        store.close()
    if data["from"] is not None:  # --from alone may name the latest revision
        _check_order(installment, data["from"]["revision"], data["to"]["revision"])
    if fmt == "json":
        _json(data)
    elif fmt == "html":
        from reports.diff_page import render_diff_page

        click.echo(render_diff_page(data), nl=False)
    else:
        con = _console()
        styled = con.is_terminal
        if styled:
            con.print(render_diff_text(data, True))
        else:
            click.echo(render_diff_text(data, False))


def _check_order(installment: str, frm: int, to: int) -> None:
    if frm == to:
        raise ReversedRevisions(
            f"--from {frm} --to {to}: a revision against itself shows nothing; "
            "give two different revisions"
        )
    if frm > to:
        raise ReversedRevisions(
            f"--from {frm} --to {to} is reversed: revision {frm} is newer than {to}; "
            f"use: chihwatch diff {installment} --from {to} --to {frm}"
        )


@click.group("db")
def db_group() -> None:
    """Database maintenance: init, upgrade (with a backup first), current."""


def _db_engine(ctx: click.Context, *, create: bool) -> Engine:
    from chihwatch.paths import resolve_db_url
    from storage.db import make_engine

    return make_engine(resolve_db_url(_db_url(ctx)), create=create, write=create)


@db_group.command("upgrade")
@click.pass_context
def db_upgrade_cmd(ctx: click.Context) -> None:
    """Migrate the schema to this chihwatch, keeping every row (a backup copy first on SQLite).

    Prints one line: the revisions, the backup file and each table's row count before and after.
    A missing or empty database is created at the current schema.
    """
    from storage.db import current_revision, head_revision, migrate

    engine = _db_engine(ctx, create=True)
    try:
        if current_revision(engine) not in (None, head_revision()):
            _refuse_beside_a_daemon(str(engine.url.render_as_string(hide_password=False)))
        done = migrate(engine, backup=True)
    finally:
        engine.dispose()
    click.echo(done.summary())


def _refuse_beside_a_daemon(url: str) -> None:
    """A daemon (of an older chihwatch) writing during the upgrade: stop it first (exit 8)."""
    from chihwatch.errors import AlreadyRunning
    from scheduler.lock import current_holder
    from storage.db import safe_url

    holder = current_holder(url)
    if holder is not None:
        raise AlreadyRunning(
            f"a chihwatch daemon runs on {safe_url(url)} ({holder.describe()}): "
            "stop it before `chihwatch db upgrade`"
        )


@db_group.command("init")
@click.pass_context
def db_init_cmd(ctx: click.Context) -> None:
    """Create a new database at the current schema (nothing to do if it is already there)."""
    from storage.db import ensure_schema, head_revision, safe_url

    engine = _db_engine(ctx, create=True)
    rev = head_revision()
    try:
        created = ensure_schema(engine, create=True)
    finally:
        engine.dispose()
    if created:
        click.echo(f"created new database {safe_url(engine.url)} at schema {rev}")
    else:
        click.echo(f"{safe_url(engine.url)}: already a chihwatch database at schema {rev}")


@db_group.command("current")
@click.pass_context
def db_current_cmd(ctx: click.Context) -> None:
    """Print the database's schema revision and the newest this code knows (never creates one)."""
    from storage.db import current_revision, head_revision, known_revisions, safe_url

    engine = _db_engine(ctx, create=False)
    try:
        cur = current_revision(engine)
    finally:
        engine.dispose()
    head = head_revision()
    state = (
        "up to date"
        if cur == head
        else "empty"
        if cur is None
        else "run `chihwatch db upgrade`"
        if cur in known_revisions()
        else "newer than this chihwatch"
    )
    click.echo(f"{safe_url(engine.url)}: schema {cur or '(empty)'}, code knows {head} ({state})")
