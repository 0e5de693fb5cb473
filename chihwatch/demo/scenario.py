"""The demo's scenario: the bundled mirror's states played over SIMULATED WEEKS.

Serves the mirror (fixtures/site/ in a checkout, its packaged copy when installed) on a free local
port and plays its states: every crawl records its fetch times shifted into the past (the
crawler's CHIHWATCH_CLOCK_OFFSET), and a weekly report is written at the end of each simulated
week, so the last report shows a real week of the product: a new installment, an edit with its
figure change, installments moved by a redesign, a removed page (404) and a page that arrived
truncated (a suspect, kept apart). It ends by saying how to look at it (`list`, `show`, `diff`,
`serve --demo`). `chihwatch demo` (chihwatch/cli/demo.py) runs it.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click

__all__ = ["TIMELINE", "Step", "play", "final", "shown_path"]


@dataclass(frozen=True)
class Step:
    """One event of the simulated timeline, `days_ago` days before the demo's real now."""

    days_ago: float
    kind: str  # "crawl" | "report" (the weekly report for the 7 days up to this moment)
    state: str = ""
    what: str = ""
    truncate: str | None = None  # installment ref whose page arrives cut off during this crawl


TIMELINE = (
    Step(20, "crawl", "state1", "the series so far: the catalogue the weekly reports start from"),
    Step(14, "report"),
    Step(13, "crawl", "state1", "a quiet week: nothing new on the site"),
    Step(7, "report"),
    Step(6, "crawl", "state2", "a new installment is published, an older one is edited"),
    Step(
        3,
        "crawl",
        "state3",
        "a page is removed, the site is redesigned (installments move to new URLs), "
        "and one page arrives cut off",
        truncate="2025-2",
    ),
    Step(0, "report"),
)

FORMATS = ("html", "md", "json", "atom")


def _ref(item: dict[str, Any]) -> str:
    return f"{item['year']}-{item['installment']}"


def _short(text: str | None, width: int = 60) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def shown_path(path: Path) -> str:
    try:
        return f"./{path.relative_to(Path.cwd())}/"
    except ValueError:
        return f"{path}/"


def _when(moment: datetime) -> str:
    from chihwatch.timefmt import human

    return human(moment, minutes=True)


def play(
    echo: Callable[..., None],
    store: Any,
    server: Any,
    db_url: str,
    folder: Path,
    reports_at: Path,
    now: datetime,
    verbose_crawl: bool,
) -> list[tuple[datetime, datetime, list[str]]]:
    """Run the timeline; returns each written report's period and files."""
    written: list[tuple[datetime, datetime, list[str]]] = []
    before = {_ref(i): i for i in store.list_installments()}
    crawls = [s for s in TIMELINE if s.kind == "crawl"]
    week = 1
    for step in TIMELINE:
        moment = now - timedelta(days=step.days_ago)
        if step.kind == "report":
            since = moment - timedelta(days=7)
            files = _write_report(store, since, moment, reports_at, baseline=not written)
            written.append((since, moment, files))
            html = next((f for f in files if f.endswith(".html")), files[0])
            label = "baseline of the catalogue" if len(written) == 1 else "weekly report"
            echo(
                click.style(f"  ── end of week {week}: {label} ", bold=True)
                + f"{_when(since)} – {_when(moment)}: {shown_path(Path(html).parent)}"
                f"{Path(html).name}\n"
            )
            week += 1
            continue
        n = crawls.index(step) + 1
        server.set_state(step.state)
        server.faults.clear()
        if step.truncate:
            path = _mirror_path(server, step.state, step.truncate)
            server.faults.append((lambda p, path=path: p == path, _cut_off))
        echo(
            click.style(f"[{n}/{len(crawls)}] {_when(moment)}, week {week}", bold=True)
            + f" · {step.state}: {step.what}"
        )
        progress = (lambda line: echo(f"    {line}")) if verbose_crawl else (lambda _line: None)
        summary = _crawl(step, moment, server, db_url, folder, progress)
        echo(
            f"  crawled: {summary.fetched} pages fetched, {summary.not_modified} not modified "
            f"(304), {summary.requests} requests, {summary.seconds:.1f}s"
        )
        after = {_ref(i): i for i in store.list_installments()}
        _show_changes(echo, store, before, after, summary)
        before = after
        echo("")
    shutil.rmtree(folder / ".httpcache", ignore_errors=True)
    return written


def _crawl(
    step: Step,
    moment: datetime,
    server: Any,
    db_url: str,
    folder: Path,
    progress: Callable[[str], None],
) -> Any:
    """One crawl of the mirror as if at `moment`, logged as a crawl run (the report's counts)."""
    from crawler.run import crawl_in_subprocess
    from crawler.settings import POLITE_OFF
    from storage.crawl_health import record_crawl
    from storage.db import make_engine

    starts = [f"{server.url}/html/hotnews/yaowen/", f"{server.url}/yaowen/node_479.html"]
    # Local mirror: no politeness delays; robots.txt, scope and conditional requests as live.
    settings = {
        **POLITE_OFF,
        "HTTPCACHE_DIR": str(folder / ".httpcache"),
        "CHIHWATCH_CLOCK_OFFSET": -step.days_ago * 86400,
    }
    t0 = time.monotonic()
    summary = crawl_in_subprocess(db_url, starts, timeout=300, settings=settings, progress=progress)
    engine = make_engine(db_url)
    try:
        figures = summary.to_dict()
        figures.pop("changes", None)
        record_crawl(
            engine,
            started=moment,
            finished=moment + timedelta(seconds=time.monotonic() - t0),
            status="ok",
            figures=figures,
        )
    finally:
        engine.dispose()
    return summary


def _mirror_path(server: Any, state: str, ref: str) -> str:
    import json

    layout = json.loads((Path(server.root) / "layout.json").read_text("utf-8"))
    return str(layout["states"][state]["installments"][ref])


def _cut_off(handler: Any, server: Any) -> tuple[int, int]:
    """A complete 200 response whose HTML stops inside the article (a CMS that died rendering)."""
    path = handler.path.split("?", 1)[0]
    res = server.resource(server.state, path)
    body: bytes = res.body
    ends = [
        m.end()
        for m in re.finditer(rb"<p\b[^>]*>(.*?)</p>", body, re.IGNORECASE | re.DOTALL)
        if len(re.sub(rb"<[^>]+>", b"", m.group(1))) > 60
    ]
    cut = ends[max(0, len(ends) // 3 - 1)] if ends else len(body) // 3
    part = body[:cut]
    handler.send_response(200)
    handler.send_header("Content-Type", res.content_type)
    handler.send_header("Content-Length", str(len(part)))
    handler.end_headers()
    handler.wfile.write(part)
    return 200, len(part)


def _show_changes(
    echo: Callable[..., None], store: Any, before: dict, after: dict, summary: Any
) -> None:
    """New installments, revisions (with their changes), moves and unavailable pages."""
    new = [after[r] for r in after if r not in before]
    if new:
        echo(f"  {len(new)} new installment{'s' if len(new) != 1 else ''}:")
        for item in sorted(new, key=lambda i: (i["year"], i["installment"])):
            echo(
                f"    + {_ref(item):<8} {_short(item['title'], 34):<34} "
                f"zones: {', '.join(item['zones'])}"
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
            old, new_url = before[_ref(item)]["url"], item["url"]
            echo(f"    {_ref(item):<8} {old.split('/', 3)[-1]} -> {new_url.split('/', 3)[-1]}")
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
        echo(
            f"  suspect pages: {summary.suspects} (a page that arrived cut off: kept apart, "
            "not counted as a change)"
        )
    if not (new or revised or moved or unavailable or summary.suspects):
        echo("  nothing new")


def _changed_span(change: dict[str, Any]) -> str:
    """The changed characters of a paragraph, with a little context: …[-增长6%左右-]{+增长7%左右+}…"""
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
    store: Any, since: datetime, until: datetime, target: Path, *, baseline: bool
) -> list[str]:
    """One week's report into the reports folder (dated files + the stable feed.atom)."""
    from reports.baseline import publish_baseline
    from reports.deliver import DirectoryTarget, deliver

    if baseline:
        return publish_baseline(store, since, until, formats=FORMATS, target=target)
    return deliver(
        DirectoryTarget(target),
        store.report_data(since, until),
        FORMATS,
        since=since,
        until=until,
    )


def final(
    echo: Callable[..., None],
    store: Any,
    written: list[tuple[datetime, datetime, list[str]]],
    db_url: str,
    own_folder: bool,
) -> None:
    """What is in the store, the last week's report, and how to look at it all."""
    items = store.list_installments()
    echo(click.style(f"{len(items)} installments in the store:", bold=True))
    for item in items:
        echo(
            f"  {_ref(item):<8} {_short(item['title'], 34):<34} rev {item['revisions']}  "
            f"{', '.join(item['zones'])}"
        )
    since, until, files = written[-1]
    html = next((f for f in files if f.endswith(".html")), files[0])
    echo(click.style("\nReport written:", bold=True) + f" {html}")
    for other in files:
        if other != html:
            echo(f"  also: {other}")
    echo(
        f"  (the week {_when(since)} – {_when(until)}; earlier weeks and the baseline are beside "
        "it, feed.atom is the feed to subscribe to)"
    )
    echo("Open the HTML file in a browser (e.g. xdg-open / open / start with that path).")
    db = _cli_db(db_url, own_folder)
    echo(click.style("\nLook at it:", bold=True))
    echo(f"  chihwatch --db {db} list")
    echo(f"  chihwatch --db {db} show 2024-2")
    echo(f"  chihwatch --db {db} diff 2024-2")
    echo(f"  chihwatch --db {db} report --since {_day(since)}")
    echo("  chihwatch serve --demo          (the web app, on the same demo database)")


def _day(moment: datetime) -> str:
    from chihwatch.timefmt import to_zone

    return to_zone(moment).strftime("%Y-%m-%d")


def _cli_db(db_url: str, own_folder: bool) -> str:
    """The --db value to type (absolute: a relative sqlite:/// path depends on the folder)."""
    return db_url
