"""`chihwatch parse SOURCE`: parse a saved page, stdin or a live URL and print the Article."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

import click

from chihwatch import __version__
from chihwatch.errors import InputError

__all__ = ["parse_cmd", "read_source", "fetch_url", "USER_AGENT", "article_text"]

# Honest about who we are (HTTP headers are Latin-1: no Chinese here).
USER_AGENT = f"chihwatch/{__version__} (change tracker for a chih.cn article series; python-urllib)"
MAX_BYTES = 20 * 1024 * 1024  # no article page is this big; anything larger is not one
FETCH_TIMEOUT = 30.0


def fetch_url(url: str, *, timeout: float = FETCH_TIMEOUT) -> tuple[bytes, dict[str, str], str]:
    """GET url: (body, response headers, final URL after redirects); InputError when unreachable."""
    request = urllib.request.Request(
        url, headers={"User-Agent": USER_AGENT, "Accept": "text/html,*/*;q=0.8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http/https checked by caller)
            body = response.read(MAX_BYTES + 1)
            headers = {k: v for k, v in response.headers.items()}
            final = response.geturl()
    except urllib.error.HTTPError as exc:
        raise InputError(f"cannot fetch {url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise InputError(f"cannot fetch {url}: {reason}") from None
    if len(body) > MAX_BYTES:
        raise InputError(f"cannot fetch {url}: response larger than {MAX_BYTES} bytes")
    return body, headers, final


def read_source(source: str) -> tuple[bytes, dict[str, str] | None, str | None]:
    """Bytes of a file, `-` (stdin) or an http(s) URL, with HTTP headers and URL when fetched."""
    if source == "-":
        return sys.stdin.buffer.read(), None, None
    if source.startswith(("http://", "https://")):
        body, headers, final = fetch_url(source)
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
def parse_cmd(source: str, url: str | None, fmt: str) -> None:
    """Parse SOURCE (a file, `-` for stdin, or an http(s) URL) into metadata, intro and zones.

    Exit codes: 0 parsed; 3 SOURCE unreadable (missing file, unreachable URL); 4 not an article
    (empty input, binary or non-HTML data, a page with no article body such as a list page).
    """
    from parsers import parse  # imported here: `chihwatch --help` stays fast

    data, headers, fetched_url = read_source(source)
    article = parse(data, url=url or fetched_url, headers=headers)
    out = article.to_dict()
    if fmt == "json":
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        click.echo(article_text(out), nl=False)
