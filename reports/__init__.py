"""Weekly report: render Store.report_data() as Markdown, HTML, JSON or Atom, and deliver it."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

import jinja2

from chihwatch.errors import ConfigError
from reports import model
from reports.svg import series_chart

if TYPE_CHECKING:
    from reports.targets import Target

__all__ = ["FORMATS", "EXTENSIONS", "render", "publish"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

FORMATS = ("md", "html", "json", "atom")
EXTENSIONS = {"md": "md", "html": "html", "json": "json", "atom": "atom"}
MEDIA_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "json": "application/json",
    "atom": "application/atom+xml",
}


@cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("reports", "templates"),
        # Markdown is the one non-markup output; it escapes with its own |md filter instead.
        autoescape=lambda name: name is not None and not name.endswith(".md.j2"),
        undefined=jinja2.ChainableUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )
    env.filters.update(model.template_filters(), md=model.md_escape)
    return env


def _context(data: Mapping[str, Any]) -> dict[str, Any]:
    """Template variables: the report dict (every key: storage.report_shape) and what the
    templates derive from it (the series chart, the installments it highlights)."""
    # Late: `import reports` stays free of SQLAlchemy (importing storage opens its package).
    from storage.report_shape import complete

    full = complete(data)
    news = full["new_installments"]
    highlight = {
        (n.get("year"), n.get("installment")) for n in news if n.get("installment") is not None
    }
    series = [s for s in full["series"] if s.get("installment") is not None]
    return {
        **full,
        "baseline": full.get("baseline"),
        "zone_label": model.zone_label(),
        "series": series,
        "highlight": highlight,
        "chart": series_chart(series, highlight) if series else "",
        "generated": full.get("generated_at"),
    }


def _rfc3339(iso: Any, fallback: str) -> str:
    for value in (iso, fallback):
        if not value:
            continue
        try:
            dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            continue
        if dt.tzinfo is None:  # Atom requires an offset; naive times from storage are UTC
            dt = dt.replace(tzinfo=UTC)
        # One offset for every stamp, so they also sort as strings.
        return dt.astimezone(model.BEIJING).isoformat(timespec="seconds")
    return datetime.now(UTC).isoformat(timespec="seconds")


def _atom_entries(ctx: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One entry per new installment and per edited installment, newest first."""
    env = _env()
    fragment = env.get_template("entry.html.j2")
    until = str(ctx["until"] or "")
    entries: list[dict[str, Any]] = []
    for item in ctx["new_installments"]:
        label = model.installment_label(item)
        new = list(item.get("new_zones") or [])
        summary = f"新增期次 {label}：{'、'.join(item.get('zones') or [])}"
        if new:
            summary += f"（首次出现：{'、'.join(new)}）"
        entries.append(
            {
                "id": f"urn:chihwatch:installment:{item.get('year')}-{item.get('installment')}"
                if item.get("installment") is not None
                else f"urn:chihwatch:page:{model.stable_id(item.get('url'))}",
                "title": f"新增：{item.get('title') or label}",
                "updated": _rfc3339(item.get("published"), until),
                "published": _rfc3339(item.get("published"), until),
                "link": model.http_link(item.get("url")),
                "zones": list(item.get("zones") or []),
                "summary": summary,
                # str(): the HTML fragment must be escaped once more inside <content type="html">.
                "content": str(fragment.render(kind="new", item=item)),
            }
        )
    for rev in ctx["revisions"]:
        label = model.installment_label(rev)
        zones = [g.zone for g in model.group_by_zone(rev.get("changes") or []) if g.zone]
        cause = "解析器更新" if rev.get("cause") == "parser" else "网站修改"
        entries.append(
            {
                # The same edit seen by two reports keeps its id: hash of what changed.
                "id": f"urn:chihwatch:revision:{rev.get('year')}-{rev.get('installment')}:"
                f"{model.stable_id(rev.get('url'), rev.get('changes'))}",
                "title": f"修改（{cause}）：{rev.get('title') or label}",
                "updated": _rfc3339(rev.get("created_at"), until),
                "published": None,
                "link": model.http_link(rev.get("url")),
                "zones": zones,
                "summary": f"{label} {len(rev.get('changes') or [])} 处变化"
                + (f"：{'、'.join(zones)}" if zones else ""),
                "content": str(fragment.render(kind="revision", item=rev)),
            }
        )
    for mv in ctx.get("moves") or []:
        label = model.installment_label(mv)
        entries.append(
            {
                "id": f"urn:chihwatch:move:{mv.get('year')}-{mv.get('installment')}:"
                f"{model.stable_id(mv.get('to'))}",
                "title": f"迁移：{mv.get('title') or label} 换了网址",
                "updated": _rfc3339(mv.get("at"), until),
                "published": None,
                "link": model.http_link(mv.get("to")),
                "zones": [],
                "summary": f"{label} 迁移到新网址（历史保留，不是内容变化）：{mv.get('from')} → "
                f"{mv.get('to')}",
                "content": "",
            }
        )
    base = ctx.get("baseline")
    if base and base.get("installments"):
        items = base["installments"]
        entries.append(
            {
                "id": f"urn:chihwatch:baseline:{until[:10]}",
                "title": f"基线：目录中已有 {len(items)} 期",
                "updated": _rfc3339(until, ""),
                "published": None,
                "link": None,
                "zones": [],
                "summary": "、".join(model.installment_label(i) for i in items),
                "content": "",
            }
        )
    entries.sort(key=lambda e: e["updated"], reverse=True)
    return entries


def render(data: Mapping[str, Any], fmt: str, *, self_url: str | None = None) -> str:
    """The report `data` (Store.report_data's dict) as md, html, json or atom text.

    `self_url`: for atom, the feed's own address (`<link rel="self">`), e.g. a directory's feed.atom.
    """
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r} (choose from {', '.join(FORMATS)})")
    ctx = _context(data)
    env = _env()
    if fmt == "md":
        text = env.get_template("report.md.j2").render(ctx)
    elif fmt == "html":
        text = env.get_template("report.html.j2").render(ctx)
    else:
        entries = _atom_entries(ctx)
        updated = max([e["updated"] for e in entries], default=_rfc3339(ctx["until"], ""))
        # The same feed every week, so a reader subscribed to the file keeps one subscription.
        feed_id = "urn:chihwatch:feed:changes"
        text = env.get_template("feed.atom.j2").render(
            ctx, entries=entries, updated=updated, feed_id=feed_id, self_url=self_url
        )
    return model.strip_xml_invalid(text)


class ReportSource(Protocol):
    """What publish reads the report from (storage.store.Store)."""

    def report_data(self, since: datetime, until: datetime) -> dict[str, Any]: ...


def publish(
    store: ReportSource,
    since: datetime,
    until: datetime,
    *,
    formats: Iterable[str] = ("html", "md", "json", "atom"),
    targets: Sequence[Target | Mapping[str, Any]],
    log: bool = True,
) -> list[str]:
    """Render the report for [since, until) and deliver it to each target; returns where it went.

    Every target is tried; if any fails, DeliveryError (an OutputError) lists the failures and
    carries `.delivered` with what did go out.
    """
    from reports.deliver import DeliveryError, deliver, deliver_each

    fmts = tuple(dict.fromkeys(formats))
    for fmt in fmts:
        if fmt not in FORMATS:
            raise ConfigError(f"unknown report format {fmt!r} (choose from {', '.join(FORMATS)})")
    data = store.report_data(since, until)
    # Each target alone: one that fails (garbage answer, deadline, bad config) never stops the rest.
    outcomes = deliver_each(
        targets, lambda target: deliver(target, data, fmts, since=since, until=until), log=log
    )
    delivered = [w for o in outcomes for w in o.where]
    for o in outcomes:
        if o.ok:
            logger.info("report delivered to %s", ", ".join(o.where) or o.describe)
    failures = [o.failure for o in outcomes if not o.ok]
    if failures:
        raise DeliveryError(failures, delivered, outcomes)
    return delivered
