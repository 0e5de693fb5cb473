"""What the workbench's pages share: the app state (`Workbench`: the read-only store, the search
index, the figures and an LRU of computed values) and the request helpers (parameters, the
installment and revision a URL names, the report period), which answer a bad request with `Problem`.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request

import reports
from reports import model
from storage import queries_web as q
from storage.store import Store
from web import figures as fig
from web.search import SearchIndex

SITE_TZ = ZoneInfo("Asia/Shanghai")


PER_PAGE = 100


CACHE_SIZE = 128  # reports, pages, rendered feeds, archives, diffs (revisions never change)


_REF = re.compile(r"(\d{4})-(\d{1,4})")


class Problem(Exception):
    """A request the app answers with an error page (400 bad parameter, 404 unknown thing)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Redirect(Exception):
    def __init__(self, location: str) -> None:
        self.location = location


def int_param(
    request: Request, name: str, *, default: int | None = None, lo: int = 1
) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < lo or len(raw) > 9:
        raise Problem(400, f"参数 {name} 应为不小于 {lo} 的整数，收到 {raw!r}")
    return int(raw)


def choice(request: Request, name: str, choices: tuple[str, ...]) -> str:
    raw = request.query_params.get(name) or choices[0]
    if raw not in choices:
        raise Problem(400, f"参数 {name} 只能是 {' / '.join(choices)}，收到 {raw!r}")
    return raw


def label(year: Any, number: Any) -> str:
    return model.installment_label({"year": year, "installment": number})


def ref_link(year: Any, number: Any) -> str:
    return f"/installments/{year}-{number}"


def bj(dt: datetime) -> str:
    return dt.astimezone(SITE_TZ).isoformat(timespec="seconds")


def week_start(dt: datetime) -> date:
    local = dt.astimezone(SITE_TZ) if dt.tzinfo else dt.replace(tzinfo=UTC).astimezone(SITE_TZ)
    d = local.date()
    return d - timedelta(days=d.weekday())


def day(text: str, name: str) -> datetime:
    try:
        d = date.fromisoformat(text)
    except ValueError:
        raise Problem(400, f"{name} 应为日期 YYYY-MM-DD，收到 {text!r}") from None
    return datetime.combine(d, time.min, tzinfo=SITE_TZ)


def installment_of(wb: Workbench, ref: str) -> dict[str, Any]:
    m = _REF.fullmatch(ref)
    if not m:
        raise Problem(400, f"期次应写作 年份-序号（如 2024-5），收到 {ref!r}")
    inst = q.installment_by_number(wb.engine, int(m[1]), int(m[2]))
    if inst is None:
        raise Problem(404, f"没有期次 {ref}（{label(int(m[1]), int(m[2]))}）")
    return inst


def revision_of(request: Request, revs: list[dict[str, Any]], name: str = "rev") -> dict[str, Any]:
    seq = int_param(request, name, default=None)
    if not revs:
        raise Problem(404, "该期次还没有任何版本")
    if seq is None:
        return revs[-1]
    for r in revs:
        if r["revision"] == seq:
            return r
    raise Problem(404, f"该期次没有第 {seq} 版（共 {len(revs)} 版）")


def report_period(request: Request) -> tuple[datetime, datetime]:
    since = day(request.path_params["start"], "起始日期")
    until_raw = request.query_params.get("until")
    until = day(until_raw, "until") + timedelta(days=1) if until_raw else since + timedelta(days=7)
    if until <= since:
        raise Problem(400, "until 应晚于起始日期")
    if until - since > timedelta(days=366):
        raise Problem(400, "报告期最长一年")
    return since, until


class Workbench:
    """What the pages share: the read-only store, the search index, the figures cache."""

    def __init__(self, store: Store, *, check_every: float = 2.0) -> None:
        self.store = store
        self.engine = store.engine
        self.index = SearchIndex(self.engine, check_every=check_every)
        self._fig_lock = threading.Lock()
        self._fig: tuple[tuple[int, int], Any] | None = None
        self._cache_lock = threading.Lock()
        self._cache: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()

    def all_figures(self) -> list[dict[str, Any]]:
        """Every figure of the latest revisions; recomputed when a revision is added."""
        return self._figures()[0]

    def figures_by(self, key: str, value: str) -> list[dict[str, Any]]:
        """The figures of one zone or one indicator (key "zone" / "indicator"), series order."""
        return self._figures()[1 if key == "zone" else 2].get(value, [])

    def _figures(self) -> tuple[list[dict[str, Any]], dict[str, list], dict[str, list]]:
        stamp = q.revision_stamp(self.engine)
        cached = self._fig
        if cached is not None and cached[0] == stamp:
            return cached[1]
        with self._fig_lock:
            if self._fig is not None and self._fig[0] == stamp:
                return self._fig[1]
            rows = [r | {"label": fig.figure_label(r)} for r in fig.figures_for_store(self.store)]
            by_zone: dict[str, list[dict[str, Any]]] = {}
            by_indicator: dict[str, list[dict[str, Any]]] = {}
            for r in rows:
                by_zone.setdefault(r["zone"], []).append(r)
                by_indicator.setdefault(r["indicator"], []).append(r)
            self._fig = (stamp, (rows, by_zone, by_indicator))
            return self._fig[1]

    def memo(self, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        """An LRU of computed values; `key` must name everything the value depends on."""
        with self._cache_lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        value = make()
        with self._cache_lock:
            self._cache[key] = value
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return value

    def report(self, since: datetime, until: datetime) -> dict[str, Any]:
        """Store.report_data, cached until the store changes (a report reads dozens of rows per
        installment; pages are read far more often than the crawler writes)."""
        key = ("report", since.isoformat(), until.isoformat(), q.store_stamp(self.engine))
        return self.memo(key, lambda: self.store.report_data(since, until))

    def rendered(self, since: datetime, until: datetime, fmt: str) -> str:
        """reports.render of that report, cached like the report itself."""
        key = ("render", fmt, since.isoformat(), until.isoformat(), q.store_stamp(self.engine))
        return self.memo(key, lambda: reports.render(self.report(since, until), fmt))

    def latest_window(self, days: int) -> tuple[datetime, datetime]:
        """The `days` ending now, or ending at the last activity if nothing happened since."""
        # Whole minutes: the same window (and cached report) for every request in a minute.
        now = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        since = now - timedelta(days=days)
        _lo, hi = q.activity_bounds(self.engine)
        if hi is not None:
            last = hi.replace(tzinfo=UTC) if hi.tzinfo is None else hi
            if last < since:
                until = last + timedelta(seconds=1)
                return until - timedelta(days=days), until
        return since, now
