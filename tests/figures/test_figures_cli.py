"""`chihwatch targets`, the figure gold in `fixtures check`, and target_changes of a site edit,
through the real console script and the real parser over saved pages."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "fixtures" / "pages"
SITE = ROOT / "fixtures" / "site"
CHIHWATCH = str(Path(sys.executable).with_name("chihwatch"))


def cli(*args: str, db: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CHIHWATCH_DB"}
    pre = ["--db", db] if db else []
    return subprocess.run(
        [CHIHWATCH, *pre, *args], capture_output=True, text=True, env=env, timeout=120
    )


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('fig') / 'store.db'}"
    for name in ("chih2019-2023-03", "chih2019-2024-01", "chih2025-2025-02"):
        exp = json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))
        r = cli("ingest", str(PAGES / f"{name}.html"), "--url", exp["url"], db=url)
        assert r.returncode == 0, r.stderr
    return url


def test_targets_json_rows_follow_the_figure_model(db: str) -> None:
    r = cli("targets", "--zone", "合肥", "--indicator", "GDP", "--format", "json", db=db)
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [
        (x["year"], x["zone"], x["indicator"], x["value"], x["unit"], x["kind"]) for x in rows
    ] == [
        (2023, "合肥高新区", "地区生产总值", 9, "%", "target"),
        (2024, "合肥高新区", "地区生产总值", 8.5, "%", "target"),
    ]
    assert list(rows[0]) == [
        "series", "year", "installment", "url", "zone", "heading", "paragraph", "text",
        "indicator", "value", "low", "high", "unit", "relation", "kind", "period",
    ]  # fmt: skip
    assert rows[0]["text"] == "2023年合肥高新区地区生产总值增长9%"


def test_targets_csv_has_a_bom_and_xlsx_a_sheet_per_indicator(db: str, tmp_path: Path) -> None:
    out = tmp_path / "f.csv"
    r = cli("targets", "--year", "2024", "--format", "csv", "-o", str(out), db=db)
    assert r.returncode == 0, r.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert {x["year"] for x in table} == {"2024"}
    assert any(x["indicator"] == "电子信息产业规模" and x["value"] == "12000" for x in table)

    from openpyxl import load_workbook

    xlsx = tmp_path / "f.xlsx"
    r = cli("targets", "--kind", "target", "--format", "xlsx", "-o", str(xlsx), db=db)
    assert r.returncode == 0, r.stderr
    wb = load_workbook(xlsx)
    grid = {row[0]: row[1:] for row in wb["地区生产总值"].iter_rows(values_only=True)}
    assert grid["地区生产总值"] == (2023, 2024, 2025)
    assert grid["成都高新区"] == (None, "增长7%以上", "增长6.5%")
    assert grid["合肥高新区"] == ("增长9%", "增长8.5%", None)


def test_targets_says_when_there_is_nothing(db: str, tmp_path: Path) -> None:
    r = cli("targets", "--zone", "珠海", db=db)
    assert r.returncode == 6 and "no figures for zone 珠海" in r.stderr
    missing = f"sqlite:///{tmp_path / 'none.db'}"
    r = cli("targets", db=missing)
    assert r.returncode == 5 and "no database" in r.stderr and r.stderr.count("\n") == 1
    assert not (tmp_path / "none.db").exists()
    r = cli("targets", "--format", "xlsx", db=db)
    assert r.returncode == 2


def test_fixtures_check_scores_the_gold() -> None:
    r = cli("fixtures", "check", "--json")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    fig = json.loads(r.stdout)["figures"]
    assert fig["pages"]["gold"] >= 250 and fig["phrases"]["gold"] >= 15
    for part in ("pages", "phrases"):
        for metric in ("precision", "recall", "kind", "indicator"):
            assert fig[part][metric] >= 0.95, (part, metric)


def test_fixtures_check_fails_below_the_floor(tmp_path: Path) -> None:
    gold = json.loads((ROOT / "fixtures" / "figures_gold.json").read_text(encoding="utf-8"))
    for doc in gold["docs"].values():  # label every figure with the wrong kind
        for row in doc["figures"]:
            row[5] = "actual" if row[5] == "target" else "target"
    (tmp_path / "pages").mkdir()
    (tmp_path / "figures_gold.json").write_text(json.dumps(gold, ensure_ascii=False), "utf-8")
    for name in ("chih2019-2024-01",):
        for ext in (".html", ".json"):
            (tmp_path / "pages" / f"{name}{ext}").write_bytes((PAGES / f"{name}{ext}").read_bytes())
    os.symlink(SITE, tmp_path / "site")
    for src in PAGES.glob("*.html"):
        if not (tmp_path / "pages" / src.name).exists():
            (tmp_path / "pages" / src.name).symlink_to(src)
    r = cli("fixtures", "check", "--dir", str(tmp_path / "pages"))
    assert r.returncode == 1 and "figures below the floor" in r.stderr and "kind" in r.stderr


def test_site_edit_of_a_figure_is_a_target_change(tmp_path: Path) -> None:
    from storage import open_store

    st = open_store(f"sqlite:///{tmp_path / 's.db'}")
    try:
        url = "http://www.chinahightech.com/html/hotnews/yaowen/2024/0126/5697340.html"
        t0 = datetime(2024, 1, 26, tzinfo=UTC)
        rel = "html/hotnews/yaowen/2024/0126/5697340.html"
        for state, when in (("state1", t0), ("state2", t0 + timedelta(days=10))):
            body = (SITE / state / rel).read_bytes()
            st.record_response(url, status=200, headers={}, body=body, fetched_at=when)
        data = st.report_data(t0 + timedelta(days=7), t0 + timedelta(days=14))
    finally:
        st.close()
    (rev,) = data["revisions"]
    (change,) = rev["target_changes"]
    assert (change["zone"], change["indicator"], change["before"], change["after"]) == (
        "威海高新区",
        "地区生产总值",
        "增长6%左右",
        "增长7%左右",
    )
    assert change["kind"] == "target" and change["direction"] == "up"
    assert (change["before_source"]["revision"], change["after_source"]["revision"]) == (1, 2)
    assert data["target_changes"] == [{**change, "via": "edit"}]
