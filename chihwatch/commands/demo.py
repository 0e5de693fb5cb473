"""`chihwatch demo`: the whole pipeline offline, against the bundled mirror site on 127.0.0.1.

Serves fixtures/site/ on a free local port, crawls it through its states (the series so far; a new
installment and an edit; a removed page and a site redesign), prints what a user would see after
each crawl, and ends with the report of everything it found.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from chihwatch.errors import InputError

__all__ = ["demo_cmd", "STATES"]

# What each mirror state shows, in the order the demo crawls them.
STATES = (
    ("state1", "the series so far"),
    ("state2", "a new installment is published, an older one is edited"),
    ("state3", "a page is removed, the site is redesigned (installments move to new URLs)"),
)


def _ref(item: dict[str, Any]) -> str:
    return f"{item['year']}-{item['installment']}"


def _short(text: str | None, width: int = 60) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


@click.command("demo")
@click.option(
    "--db",
    "demo_db",
    default=None,
    metavar="URL",
    help="Keep the demo's data in this database (default: a temporary SQLite file).",
)
@click.option(
    "--report-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Where to write the report (default: ./chihwatch-demo-report).",
)
@click.option("--verbose-crawl", is_flag=True, help="Show every page the crawler fetches.")
@click.pass_context
def demo_cmd(
    ctx: click.Context, demo_db: str | None, report_dir: Path | None, verbose_crawl: bool
) -> None:
    """Crawl the bundled mirror of the site through three states and show what changed."""
    from chihwatch.mirror import BUNDLED_SITE, MirrorServer
    from crawler.run import crawl_in_subprocess
    from crawler.settings import POLITE_OFF
    from storage import open_store

    root = BUNDLED_SITE
    if not root.is_dir():
        raise InputError(f"mirror site not found at {root} (run from a clone of the repository)")
    parent = ctx.parent
    global_db = None
    if (
        parent is not None
        and parent.get_parameter_source("db_url") is click.core.ParameterSource.COMMANDLINE
    ):
        global_db = ctx.obj.get(
            "db_url"
        )  # an explicit `chihwatch --db URL demo`, never $CHIHWATCH_DB
    tmp = Path(tempfile.mkdtemp(prefix="chihwatch-demo-"))
    db_url = demo_db or global_db or f"sqlite:///{tmp / 'demo.db'}"
    started = datetime.now(UTC) - timedelta(seconds=1)
    echo: Callable[..., None] = click.echo
    try:
        server = MirrorServer(root).start()
        try:
            store = open_store(db_url)
            echo(
                f"chihwatch demo: mirror of the site at {server.url}/, database {_where(db_url)}\n"
            )
            starts = [f"{server.url}/html/hotnews/yaowen/", f"{server.url}/yaowen/node_479.html"]
            # Local mirror: no politeness delays; robots.txt, scope and conditional requests as live.
            settings = {**POLITE_OFF, "HTTPCACHE_DIR": str(tmp / "httpcache")}
            before = {_ref(i): i for i in store.list_installments()}
            for n, (state, what) in enumerate(STATES, start=1):
                server.set_state(state)
                echo(click.style(f"[{n}/{len(STATES)}] {state}: {what}", bold=True))
                progress = (
                    (lambda line: echo(f"    {line}")) if verbose_crawl else (lambda _line: None)
                )
                summary = crawl_in_subprocess(
                    db_url, starts, timeout=300, settings=settings, progress=progress
                )
                echo(
                    f"  crawled: {summary.fetched} pages fetched, {summary.not_modified} not modified (304), "
                    f"{summary.requests} requests, {summary.seconds:.1f}s"
                )
                after = {_ref(i): i for i in store.list_installments()}
                _show_changes(echo, store, before, after, summary)
                before = after
                echo("")
            echo(click.style(f"{len(before)} installments in the store:", bold=True))
            for ref, item in sorted(
                before.items(), key=lambda kv: (kv[1]["year"], kv[1]["installment"])
            ):
                echo(
                    f"  {ref:<8} {_short(item['title'], 34):<34} rev {item['revisions']}  "
                    f"{', '.join(item['zones'])}"
                )
            _write_report(echo, store, started, report_dir)
            store.close()
        finally:
            server.stop()
    finally:
        shutil.rmtree(tmp / "httpcache", ignore_errors=True)
        if demo_db is None and global_db is None:
            shutil.rmtree(tmp, ignore_errors=True)


def _where(db_url: str) -> str:
    return "temporary SQLite file" if "chihwatch-demo-" in db_url else db_url.split("@")[-1]


def _show_changes(
    echo: Callable[..., None], store: Any, before: dict, after: dict, summary: Any
) -> None:
    """New installments, revisions (with their changes), moves and unavailable pages."""
    new = [after[r] for r in after if r not in before]
    if new:
        echo(f"  {len(new)} new installment{'s' if len(new) != 1 else ''}:")
        for item in sorted(new, key=lambda i: (i["year"], i["installment"])):
            echo(
                f"    + {_ref(item):<8} {_short(item['title'], 34):<34} zones: {', '.join(item['zones'])}"
            )
    revised = [
        after[r] for r in after if r in before and after[r]["revisions"] > before[r]["revisions"]
    ]
    for item in revised:
        diff = store.diff(_ref(item))
        echo(
            f"  edited: {_ref(item)} {_short(item['title'], 34)} (now {item['revisions']} revisions)"
        )
        for change in diff["changes"][:6]:
            zone = change.get("zone") or "intro"
            sign = {"added": "+", "removed": "-", "changed": "~"}.get(change["kind"], "?")
            if change["kind"] == "changed":
                echo(f"    {sign} {zone}: {_changed_span(change)}")
            else:
                echo(
                    f"    {sign} {zone}: {_short(change.get('after') or change.get('before'), 70)}"
                )
    moved = [after[r] for r in after if r in before and after[r]["url"] != before[r]["url"]]
    if moved:
        kept = all(after[_ref(m)]["revisions"] == before[_ref(m)]["revisions"] for m in moved)
        echo(
            f"  moved: {len(moved)} installment{'s' if len(moved) != 1 else ''} now at new URLs "
            f"({'history kept, no false revision' if kept else 'content changed too'}):"
        )
        for item in moved:
            echo(
                f"    {_ref(item):<8} {before[_ref(item)]['url'].split('/', 3)[-1]} -> {item['url'].split('/', 3)[-1]}"
            )
    unavailable = [m for m in summary.error_messages if "HTTP 4" in m or "HTTP 5" in m]
    for message in unavailable:
        url, _, status = message.rpartition(": ")
        title = next((i["title"] for i in after.values() if i["url"] == url), None)
        what = f"{_short(title, 34)} " if title else ""
        echo(
            f"  unavailable: {what}{url.split('/', 3)[-1]} answered {status} "
            "(recorded as an availability event; its text is kept, nothing marked deleted)"
        )
    if summary.suspects:
        echo(f"  suspect pages: {summary.suspects} (kept apart, not counted as changes)")
    if not (new or revised or moved or unavailable):
        echo("  nothing new")


def _changed_span(change: dict[str, Any]) -> str:
    """The changed characters of a paragraph, with a little context: …增长[-6-]{+7+}%左右…"""
    inline = change.get("inline") or []
    if not inline:
        return f"{_short(change.get('before'), 30)} -> {_short(change.get('after'), 30)}"
    out: list[str] = []
    for i, (op, text) in enumerate(inline):
        if op == "=":
            if i == 0:
                text = ("…" + text[-8:]) if len(text) > 8 else text
            elif i == len(inline) - 1:
                text = (text[:8] + "…") if len(text) > 8 else text
            elif len(text) > 16:
                text = text[:6] + "…" + text[-6:]
            out.append(text)
        elif op == "-":
            out.append(f"[-{text}-]")
        else:
            out.append(f"{{+{text}+}}")
    return "".join(out)


def _write_report(
    echo: Callable[..., None], store: Any, since: datetime, report_dir: Path | None
) -> None:
    """Write the weekly report of everything the demo crawled and say where it is."""
    from reports import publish

    target = (report_dir or Path.cwd() / "chihwatch-demo-report").resolve()
    until = datetime.now(UTC) + timedelta(seconds=1)
    written = publish(
        store,
        since,
        until,
        formats=("html", "md", "json", "atom"),
        targets=[{"type": "directory", "path": str(target)}],
    )
    html = next((w for w in written if w.endswith(".html")), written[0] if written else str(target))
    echo(click.style("\nReport written:", bold=True) + f" {html}")
    for other in written:
        if other != html:
            echo(f"  also: {other}")
    echo("Open the HTML file in a browser (e.g. xdg-open / open / start with that path).")
