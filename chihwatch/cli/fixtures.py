"""`chihwatch fixtures check|save|update`: the saved-page workflow for parser work."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import click

from chihwatch.cli.fixturecheck import (
    F1_FLOOR,
    FixtureResult,
    baseline_path,
    check_all,
    dump_json,
    fixtures_dir,
    gate,
    load_baseline,
    load_expected,
    pin_scores,
)
from chihwatch.cli.parse import timeout_option
from chihwatch.errors import CheckFailed, ChihwatchError, InputError, OutputError

__all__ = ["fixtures_group", "summarise_changes"]

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def _dir_option(f: Any) -> Any:
    return click.option(
        "--dir",
        "directory",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Fixture directory (default: fixtures/pages of this checkout, or $CHIHWATCH_FIXTURES).",
    )(f)


def _writable_dir() -> Path:
    """Where save/update write by default: $CHIHWATCH_FIXTURES or the checkout's fixtures/pages."""
    import os

    from chihwatch.demo.bundled import checkout_pages

    if os.environ.get("CHIHWATCH_FIXTURES"):
        return fixtures_dir()
    pages = checkout_pages()
    if pages is None:
        raise click.UsageError(
            "no checkout to save fixtures into: pass --dir DIR (or set CHIHWATCH_FIXTURES)"
        )
    return pages


@click.group("fixtures")
def fixtures_group() -> None:
    """Saved pages with their expected parse: score them, save new ones, update after a change."""


@fixtures_group.command("check")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@_dir_option
@click.option(
    "--json", "as_json", is_flag=True, help="Print the results as JSON instead of a table."
)
@click.option(
    "--pin",
    is_flag=True,
    help="Pin these scores in scores.json (never lowers a pin of an unchanged fixture).",
)
def check_cmd(names: tuple[str, ...], directory: Path | None, as_json: bool, pin: bool) -> None:
    """Score every fixture (or NAME...): body P/R/F1, zones, metadata, against the floors and the
    pinned scores (scores.json). Exit 1 if any falls short or scores lower than its pin."""
    directory = directory or fixtures_dir()
    results = check_all(directory, names)
    if not results:
        raise InputError(f"no fixtures (NAME.html + NAME.json) in {directory}")
    # The figure gold (fixtures/figures_gold.json) is scored with the whole set, not with NAME...
    from chihwatch.cli.figurecheck_cli import figure_section

    figures = None if names else figure_section(directory)
    if as_json:
        out: Any = [_result_dict(r) for r in results]
        if figures is not None:
            out = {"pages": out, "figures": figures.to_dict()}
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        _print_table(results)
        if figures is not None:
            from chihwatch.cli.figurecheck_cli import print_figures

            print_figures(figures)
    failed = [r for r in results if not r.ok]
    if failed:
        raise CheckFailed(
            f"{len(failed)} of {len(results)} fixtures failed: {', '.join(r.name for r in failed)}"
        )
    if figures is not None and not figures.ok:
        raise CheckFailed("figures below the floor: " + "; ".join(figures.problems))
    if pin:
        refused = pin_scores(directory, results)
        if refused:
            raise CheckFailed("not pinned: " + "; ".join(refused))
        click.echo(f"pinned {len(results)} fixtures in {baseline_path(directory)}", err=True)
        return
    path = baseline_path(directory)
    if not path.exists():
        # A custom directory without pins: the floors were checked, the gate could not be.
        click.echo(f"no pinned scores ({path}): regression gate not applied", err=True)
        return
    problems = gate(directory, results, load_baseline(path))
    if problems:
        for problem in problems:
            click.echo(problem, err=True)
        raise CheckFailed(f"{len(problems)} fixture(s) below their pinned scores ({path})")


def _result_dict(r: FixtureResult) -> dict[str, Any]:
    return {
        "name": r.name,
        "ok": r.ok,
        "expected_error": r.expected_error,
        "error": r.got_error,
        "precision": r.body.precision if r.body else None,
        "recall": r.body.recall if r.body else None,
        "f1": r.body.f1 if r.body else None,
        "zones_ok": r.zones_ok,
        "zones": list(r.zones_got),
        "meta_diff": {k: list(v) for k, v in r.meta_diff.items()},
        "template": r.template,
        "confidence": r.confidence,
        "problems": list(r.problems),
    }


def _print_table(results: list[FixtureResult]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"fixtures (body F1 floor {F1_FLOOR})")
    for col, justify in (
        ("fixture", "left"),
        ("template", "left"),
        ("P", "right"),
        ("R", "right"),
        ("F1", "right"),
        ("paras", "right"),
        ("zones", "left"),
        ("metadata", "left"),
        ("conf", "right"),
        ("", "left"),
    ):
        table.add_column(col, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for r in results:
        if r.body is None:
            outcome = r.got_error or "article"
            table.add_row(
                r.name,
                r.template or "-",
                "",
                "",
                "",
                "",
                f"{r.expected_error} expected",
                f"got {outcome}",
                "",
                "ok" if r.ok else "[red]FAIL[/red]",
            )
            continue
        table.add_row(
            r.name,
            r.template or "-",
            f"{r.body.precision:.4f}",
            f"{r.body.recall:.4f}",
            f"{r.body.f1:.4f}",
            f"{r.paragraphs_got}/{r.paragraphs_expected}",
            f"{len(r.zones_got)} ok"
            if r.zones_ok
            else f"[red]{len(r.zones_got)}≠{len(r.zones_expected)}[/red]",
            "ok" if not r.meta_diff else "[red]" + ", ".join(r.meta_diff) + "[/red]",
            f"{r.confidence:.2f}" if r.confidence is not None else "",
            "ok" if r.ok else "[red]FAIL[/red]",
        )
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)  # piped or captured: no terminal width to fit, keep rows whole
    console.print(table)
    for r in results:
        for problem in r.problems:
            console.print(f"{r.name}: {problem}", markup=False, highlight=False)


# Leaves room for ".html"/".json" within any file system's 255-byte name limit.
MAX_NAME = 100


def _check_name(name: str) -> str:
    if len(name) > MAX_NAME:
        raise click.BadParameter(
            f"at most {MAX_NAME} characters, got {len(name)}", param_hint="NAME"
        )
    if not _NAME_RE.match(name) or name.endswith((".html", ".json")):
        raise click.BadParameter(
            "use letters, digits, '.', '_' and '-', without an extension", param_hint="NAME"
        )
    return name


def _draft(data: bytes, url: str | None) -> dict[str, Any]:
    """Current parse of a page in fixture-JSON form (an error page becomes {url, error})."""
    from parsers import parse

    try:
        return parse(data, url=url).to_dict()
    except ChihwatchError as exc:
        return {"url": url, "error": type(exc).__name__}


def _write(path: Path, content: bytes | str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


@fixtures_group.command("save")
@click.argument("url", metavar="URL")
@click.argument("name", metavar="NAME")
@_dir_option
@click.option(
    "--force",
    is_flag=True,
    help="Overwrite an existing fixture of that name; keep a page cut short of its Content-Length.",
)
@timeout_option
def save_cmd(url: str, name: str, directory: Path | None, force: bool, timeout: float) -> None:
    """Fetch URL into NAME.html and write a DRAFT NAME.json from the current parse, to review by eye."""
    from chihwatch.cli.parse import fetch_page

    _check_name(name)
    if not url.startswith(("http://", "https://")):
        raise click.BadParameter("an http(s) URL is required", param_hint="URL")
    directory = directory or _writable_dir()
    html_path, json_path = directory / f"{name}.html", directory / f"{name}.json"
    if not force and (html_path.exists() or json_path.exists()):
        # Not an unreadable input (3): the command as typed would overwrite; --force says so.
        raise click.UsageError(
            f"fixture {name} already exists in {directory}: choose another NAME, "
            "or add --force to overwrite it"
        )
    page = fetch_page(url, timeout=timeout)
    if not page.complete and not force:
        # A fixture is a page as served: half of one would make a wrong expected parse.
        raise InputError(
            f"cannot save {url}: {page.shortfall()}; a short copy is not a fixture "
            "(use --force to keep it anyway)"
        )
    body, final_url = page.body, page.url
    # The bytes exactly as served: the fixture must exercise the parser's charset handling too.
    # (Headers are not saved, so a page whose charset is only in Content-Type must say it in <meta>.)
    draft = _draft(body, url)
    _write(html_path, body)
    _write(json_path, dump_json(draft))
    click.echo(
        f"saved {html_path} ({len(body)} bytes{'' if final_url == url else f', redirected to {final_url}'})"
    )
    if not page.complete:
        click.echo(f"warning: {page.shortfall()}: this copy is incomplete (kept with --force)")
    if "error" in draft:
        click.echo(f"draft {json_path}: the page does not parse ({draft['error']})")
    else:
        click.echo(
            f"draft {json_path}: {draft['template']}, {len(draft['intro'])} intro paragraphs, "
            f"{len(draft['zones'])} zones, confidence {draft['confidence']}"
        )
    click.echo(
        "This JSON is a DRAFT from the current parser: review every field and paragraph by eye before committing."
    )


@fixtures_group.command("update")
@click.argument("name", metavar="NAME")
@_dir_option
def update_cmd(name: str, directory: Path | None) -> None:
    """Rewrite NAME.json from the current parse (after a reviewed parser change); prints what changed."""
    _check_name(name)
    directory = directory or _writable_dir()
    html_path, json_path = directory / f"{name}.html", directory / f"{name}.json"
    if not html_path.exists():
        raise InputError(f"no such fixture: {html_path}")
    old = load_expected(json_path) if json_path.exists() else {}
    try:
        data = html_path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {html_path}: {exc.strerror or exc}") from None
    new = _draft(data, old.get("url"))
    changes = summarise_changes(old, new)
    if not changes:
        click.echo(f"{name}: unchanged")
        return
    _write(json_path, dump_json(new))
    click.echo(f"{name}: rewrote {json_path}")
    for line in changes:
        click.echo(f"  {line}")


def summarise_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """One line per difference between two fixture JSONs (confidence and warnings included)."""
    out: list[str] = []
    for key in sorted(set(old) | set(new)):
        if key in ("intro", "zones"):
            continue
        if old.get(key) != new.get(key):
            out.append(f"{key}: {old.get(key)!r} -> {new.get(key)!r}")
    if old.get("intro") != new.get("intro"):
        out.append(_para_change("intro", old.get("intro") or [], new.get("intro") or []))
    old_z = {z["name"]: z["paragraphs"] for z in old.get("zones") or []}
    new_z = {z["name"]: z["paragraphs"] for z in new.get("zones") or []}
    if list(old_z) != list(new_z):
        out.append(f"zones: {list(old_z)} -> {list(new_z)}")
    for zname in new_z:
        if zname in old_z and old_z[zname] != new_z[zname]:
            out.append(_para_change(f"zone {zname}", old_z[zname], new_z[zname]))
    return out


def _para_change(label: str, old: list[str], new: list[str]) -> str:
    removed = [p for p in old if p not in new]
    added = [p for p in new if p not in old]
    return (
        f"{label}: {len(old)} -> {len(new)} paragraphs, {len(removed)} removed, {len(added)} added"
    )
