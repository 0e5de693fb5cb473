"""`chihwatch parse SOURCE`: parse a saved page, stdin or a live URL and print the Article."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import click

from chihwatch import __version__
from chihwatch.cli.argcheck import url_option_callback
from chihwatch.errors import InputError

__all__ = [
    "parse_cmd",
    "read_source",
    "fetch_url",
    "fetch_page",
    "timeout_option",
    "USER_AGENT",
    "article_text",
]

# Honest about who we are (HTTP headers are Latin-1: no Chinese here).
USER_AGENT = f"chihwatch/{__version__} (change tracker for a chih.cn article series; python-urllib)"
MAX_BYTES = 20 * 1024 * 1024  # no article page is this big; anything larger is not one
FETCH_TIMEOUT = 30.0


def fetch_page(url: str, *, timeout: float = FETCH_TIMEOUT) -> Any:
    """GET url within `timeout` seconds overall: a chihwatch.cli.httpfetch.Fetched; InputError else."""
    from chihwatch.cli.httpfetch import fetch

    return fetch(url, deadline=timeout, user_agent=USER_AGENT, max_bytes=MAX_BYTES)


def fetch_url(url: str, *, timeout: float = FETCH_TIMEOUT) -> tuple[bytes, dict[str, str], str]:
    """GET url: (body, response headers, final URL after redirects); InputError when unreachable,
    not HTTP, slower than `timeout` overall, or cut short of its Content-Length."""
    page = fetch_page(url, timeout=timeout)
    if not page.complete:
        raise InputError(f"cannot fetch {url}: {page.shortfall()} (the answer is incomplete)")
    return page.body, page.headers, page.url


def _timeout(ctx: Any, param: Any, value: float | None) -> float | None:
    if value is not None and not (math.isfinite(value) and 0 < value <= 3600):
        raise click.BadParameter("seconds between 0 and 3600", param_hint="--timeout")
    return value


def timeout_option(f: Any) -> Any:
    """`--timeout SECONDS`: the overall time limit for fetching a URL."""
    return click.option(
        "--timeout",
        type=float,
        default=FETCH_TIMEOUT,
        show_default=True,
        metavar="SECONDS",
        callback=_timeout,
        help="Overall time limit for fetching a URL (connect, headers and body together).",
    )(f)


def read_source(
    source: str, *, timeout: float = FETCH_TIMEOUT
) -> tuple[bytes, dict[str, str] | None, str | None]:
    """Bytes of a file, `-` (stdin) or an http(s) URL, with HTTP headers and URL when fetched."""
    if source == "-":
        return sys.stdin.buffer.read(), None, None
    if source.startswith(("http://", "https://")):
        body, headers, final = fetch_url(source, timeout=timeout)
        return body, headers, final
    path = Path(source)
    try:
        if path.is_dir():
            raise InputError(f"cannot read {source}: is a directory")
        return path.read_bytes(), None, None
    except InputError:
        raise
    except OSError as exc:
        raise InputError(f"cannot read {source}: {exc.strerror or exc}") from None


def article_text(data: dict) -> str:
    """Human-readable rendering of Article.to_dict()."""
    lines = [data["title"] or "(no title)"]
    facts = [
        f"published {data['published']}" if data["published"] else "no time",
        f"来源 {data['source']}" if data["source"] else None,
        f"作者 {data['author']}" if data["author"] else None,
        f"责任编辑 {data['editor']}" if data["editor"] else None,
    ]
    lines.append(" · ".join(f for f in facts if f))
    if data["series"]:
        lines.append(f"series {data['series']} {data['year']} #{data['installment']}")
    lines.append(f"template {data['template']}, confidence {data['confidence']:.2f}")
    lines.extend(f"warning: {w}" for w in data["warnings"])
    lines.append("")
    lines.extend(data["intro"])
    for zone in data["zones"]:
        lines.append("")
        heading = zone.get("heading") or zone["name"]
        shown = heading if heading == zone["name"] else f"{heading} ({zone['name']})"
        lines.append(f"== {shown} ==")
        lines.extend(zone["paragraphs"])
    return "\n".join(lines) + "\n"


@click.command("parse")
@click.argument("source", metavar="SOURCE")
@click.option(
    "--url",
    metavar="U",
    callback=url_option_callback,
    help="The page's URL, when SOURCE is a file or stdin (recorded in the output).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "text"]),
    default="json",
    show_default=True,
    help="JSON (Article.to_dict(), as stored) or readable text.",
)
@timeout_option
def parse_cmd(source: str, url: str | None, fmt: str, timeout: float) -> None:
    """Parse SOURCE (a file, `-` for stdin, or an http(s) URL) into metadata, intro and zones.

    Exit codes: 0 parsed; 3 SOURCE unreadable (missing file; a URL unreachable, not answering
    HTTP, slower than --timeout overall, or cut short of its Content-Length); 4 not an article
    (empty input, binary or non-HTML data, a page with no article body such as a list page).
    """
    from parsers import parse  # imported here: `chihwatch --help` stays fast

    data, headers, fetched_url = read_source(source, timeout=timeout)
    article = parse(data, url=url or fetched_url, headers=headers)
    out = article.to_dict()
    if fmt == "json":
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        click.echo(article_text(out), nl=False)
