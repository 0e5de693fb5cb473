"""The report of a real store (SQLite and PostgreSQL) filled from fixture pages, and the CLI."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lxml.etree as etree
import lxml.html
import pytest

import reports
import storage
from chihwatch.cli import main
from tests.reports.report_store_helpers import BEFORE, NEW, SINCE, UNTIL, expected, fill

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def filled(db_url: str) -> Iterator[tuple[str, dict[str, Any]]]:
    store = storage.open_store(db_url)
    try:
        fill(store)
        yield db_url, store.report_data(SINCE, UNTIL)
    finally:
        store.close()


def test_report_of_a_real_store(filled: tuple[str, dict[str, Any]]) -> None:
    _, data = filled
    five = expected(NEW)
    zones = [z["name"] for z in five["zones"]]
    earlier = {z["name"] for name in BEFORE for z in expected(name)["zones"]}
    new_zones = [z for z in zones if z not in earlier]
    assert new_zones == [
        "兰州高新区",
        "玉溪高新区",
    ]  # by hand: the other three appear in ②③ or 2023③
    assert data["summary"] == {
        "new_installments": 1,
        "edited_installments": 1,
        "zones_covered": len(zones),
        "new_zones": 2,
        "suspects": 1,
        "crawl_problems": 0,
    }

    html = reports.render(data, "html")
    doc = lxml.html.fromstring(html)
    text = doc.text_content()
    assert five["title"] in text
    for zone in zones:
        assert zone in text
    for zone in new_zones:
        h4 = next(h for h in doc.iter("h4") if h.text and h.text.startswith(zone))
        assert "首次出现" in h4.text_content()
    # 昆明高新区 was in ②: compared with it, linked, its 增长6% target now 增长8%.
    kunming = next(s for s in doc.iter("section") if s.findtext("h4", "").startswith("昆明高新区"))
    assert expected("chih2019-2024-02")["url"] in [a.get("href") for a in kunming.iter("a")]
    rows = [[td.text_content() for td in tr.iter("td")] for tr in kunming.iter("tr")]
    assert ["固定资产投资", "增长5%", "固定资产投资增长5%"] in rows
    assert ["规模以上工业总产值", "增长6%", "增长8%", "▲"] in rows
    # The edit of ④: the changed figure highlighted whole, in place, under its zone.
    li = next(li for li in doc.iter("li") if "技术合同成交额突破80亿元" in li.text_content())
    assert [d.text for d in li.iter("del")] == ["增长10%"]
    assert [i.text for i in li.iter("ins")] == ["增长12%"]
    # The page's hostile paragraph is text, not markup.
    assert not re.search(r"<\s*(script|img)", html, re.I)
    assert "<script>window.__pwned=1;alert(1)</script>" in text
    # ③'s 404 and its gutted page are listed apart, not as a deletion.
    assert "404" in doc.xpath("string(//h2[contains(., '访问异常')]/following-sibling::div[1])")
    apart = doc.find_class("apart")[0].text_content()
    assert "国家高新区密集部署 2024年这样干！③" in apart
    assert "③" not in "".join(h.text_content() for h in doc.iter("h3"))

    feed = etree.fromstring(reports.render(data, "atom").encode("utf-8"))
    titles = [e.findtext(f"{ATOM}title") for e in feed.iter(f"{ATOM}entry")]
    assert sorted(titles) == sorted(
        [f"新增：{five['title']}", f"修改（网站修改）：{expected('chih2019-2024-04')['title']}"]
    )
    md = reports.render(data, "md")
    assert "工业总产值[-增长10%-]{+增长12%+}" in md


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_report_formats_and_output(
    filled: tuple[str, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db_url, data = filled
    period = ["--since", "2024-02-05", "--until", "2024-02-11"]  # a bare --until includes that day
    code, out, err = _run(["--db", db_url, "report", *period, "--format", "json"], capsys)
    assert code == 0, err
    got = json.loads(out)
    assert got["new_installments"][0]["title"] == expected(NEW)["title"]
    assert got["summary"] == data["summary"]
    assert got["since"].startswith("2024-02-05T00:00:00+08:00")
    assert got["until"].startswith("2024-02-12T00:00:00+08:00")

    target = tmp_path / "weekly.html"
    code, out, err = _run(
        ["--db", db_url, "report", *period, "--format", "html", "-o", str(target)], capsys
    )
    assert code == 0, err
    assert out == ""
    assert "兰州高新区" in target.read_text(encoding="utf-8")

    code, out, _ = _run(["--db", db_url, "report", *period], capsys)  # default: Markdown
    assert code == 0 and out.startswith("# 国家高新区密集部署 · 周报")

    # The default period is the last seven days: nothing of 2024 in it.
    code, out, _ = _run(["--db", db_url, "report", "--format", "json"], capsys)
    assert code == 0 and json.loads(out)["new_installments"] == []


def test_cli_report_bad_output_and_dates(
    filled: tuple[str, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db_url, _ = filled
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    blocker = out_dir / "not-a-dir"
    blocker.write_text("x")
    code, out, err = _run(["--db", db_url, "report", "-o", str(blocker / "r.md")], capsys)
    assert code == 3
    assert err.startswith("chihwatch: cannot write ") and err.count("\n") == 1
    assert list(out_dir.iterdir()) == [blocker]  # no temporary file left behind

    # A mistyped date is usage (2), as for `ingest --fetched-at`, with the accepted form shown.
    code, _, err = _run(["--db", db_url, "report", "--since", "last week"], capsys)
    assert code == 2 and "not a date" in err and "e.g. 2024-02-05" in err
    code, _, err = _run(
        ["--db", db_url, "report", "--since", "2024-02-10", "--until", "2024-02-01"], capsys
    )
    assert code == 2 and "--since must be before --until" in err
