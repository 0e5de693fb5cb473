"""`ingest`, `reparse`, `list`, `show`, `diff` and `db upgrade`: the store from the command line."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from chihwatch.errors import InputError, ParseError

__all__ = ["ingest_cmd", "reparse_cmd", "list_cmd", "show_cmd", "diff_cmd", "db_group"]


def _db_url(ctx: click.Context) -> str | None:
    return (ctx.obj or {}).get("db_url")


def _open(ctx: click.Context) -> Any:
    from storage import open_store

    return open_store(_db_url(ctx))


def _console() -> Any:
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
@click.option("--url", required=True, help="The URL the page was saved from.")
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
    store = _open(ctx)
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
    store = _open(ctx)
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
        for t in z["targets"]:
            con.print(f"  [yellow]◎ {_esc(t['subject'])}: {_esc(t['text'])}[/yellow]")


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
            moved = [f"{t['subject']} {t['before']} -> {t['after']}" for t in sec["target_changes"]]
            lines.append(
                f"  {esc(sec['zone'])}: before in {prev['year']}-{prev['installment']}, "
                f"{len(sec['changes'])} paragraph changes"
                + (f"; targets: {esc('; '.join(moved))}" if moved else "")
            )
    return "\n".join(lines)


_HTML = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ d.title }} · revision {{ d.from.revision if d.from else '-' }} → {{ d.to.revision }}</title>
<style>
body{font-family:-apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;
max-width:50rem;margin:1rem auto;padding:0 1rem;line-height:1.7}
del{background:#fdd;color:#900}ins{background:#dfd;color:#060;text-decoration:none}
.kind{color:#666;font-size:.9em}h2{font-size:1.1em;margin-top:1.5em}
</style></head><body>
<h1>{{ d.title }}</h1>
<p><a href="{{ d.url }}">{{ d.url }}</a><br>
revision {{ d.from.revision if d.from else '-' }} → {{ d.to.revision }} ({{ d.to.cause }}, {{ d.to.created_at }})</p>
{% if not d.changes %}<p>No changes.</p>{% endif %}
{% for c in d.changes %}
<h2>{{ c.zone or "导语" }} <span class="kind">{{ c.kind }}</span></h2>
<p>{% for op, t in c.inline %}{% if op == "=" %}{{ t }}{% elif op == "-" %}<del>{{ t }}</del>{% else %}<ins>{{ t }}</ins>{% endif %}{% endfor %}</p>
{% endfor %}
</body></html>
"""


def render_diff_html(data: dict[str, Any]) -> str:
    """A self-contained HTML page of the diff; every piece of page text is escaped."""
    from jinja2 import Environment

    env = Environment(autoescape=True)
    return env.from_string(_HTML).render(d=data)


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
    store = _open(ctx)
    try:
        data = store.diff(installment, from_rev=from_rev, to_rev=to_rev)
    finally:
        store.close()
    if fmt == "json":
        _json(data)
    elif fmt == "html":
        click.echo(render_diff_html(data))
    else:
        con = _console()
        styled = con.is_terminal
        if styled:
            con.print(render_diff_text(data, True))
        else:
            click.echo(render_diff_text(data, False))


@click.group("db")
def db_group() -> None:
    """Database maintenance."""


@db_group.command("upgrade")
@click.pass_context
def db_upgrade_cmd(ctx: click.Context) -> None:
    """Create the schema or migrate it to this version of chihwatch."""
    from chihwatch.paths import resolve_db_url
    from storage.db import make_engine, safe_url, upgrade

    url = resolve_db_url(_db_url(ctx))
    engine = make_engine(url)
    try:
        before, after = upgrade(engine)
    finally:
        engine.dispose()
    if before == after:
        click.echo(f"{safe_url(url)}: schema {after}, up to date")
    else:
        click.echo(f"{safe_url(url)}: schema {before or '(empty)'} -> {after}")


@db_group.command("current")
@click.pass_context
def db_current_cmd(ctx: click.Context) -> None:
    """Print the database's schema revision and the newest this code knows."""
    from chihwatch.paths import resolve_db_url
    from storage.db import current_revision, head_revision, make_engine, safe_url, translate_error

    url = resolve_db_url(_db_url(ctx))
    engine = make_engine(url)
    try:
        cur = current_revision(engine)
    except Exception as exc:
        import sqlalchemy.exc as sa_exc

        if isinstance(exc, sa_exc.SQLAlchemyError):
            raise translate_error(exc, url) from exc
        raise
    finally:
        engine.dispose()
    click.echo(f"{safe_url(url)}: schema {cur or '(empty)'}, code knows {head_revision()}")
