"""report_data and the new-installment comparison on a small hand-built series (both backends)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage import Store
from tests.storage.storage_helpers import KUNMING, WEIHAI, article, page

BASE = "http://www.chinahightech.com/html/hotnews/yaowen/"
LANZHOU = ["1月31日,兰州高新区召开2023年工作会议。", "规模以上工业产值增长10%。"]
YUXI = [
    "2月2日上午,玉溪高新区召开2024年度工作会议。",
    "力争2024年生物医药产业完成产值100亿元以上。",
]
WEIHAI_24 = [WEIHAI[0], WEIHAI[1].replace("10个以上", "12个以上")]
KUNMING_24 = [KUNMING[0], KUNMING[1].replace("增长5%", "增长6%")]
KUNMING_EDIT = KUNMING + ["要坚定不移抓招商,开展“招引质效提振”行动。"]


def at(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 2, 0, tzinfo=UTC)


def build(store: Store) -> None:
    def put(url: str, art, when: datetime) -> None:  # noqa: ANN001
        res = store.record_response(
            BASE + url, status=200, headers={}, body=page(art), fetched_at=when
        )
        assert res.revision_new

    put(
        "2023-3.html",
        article(2023, 3, {"威海高新区": WEIHAI, "兰州高新区": LANZHOU}),
        at(2023, 3, 1),
    )
    put("2024-4.html", article(2024, 4, {"昆明高新区": KUNMING}), at(2024, 2, 2))
    put(
        "2024-5.html",
        article(2024, 5, {"威海高新区": WEIHAI_24, "昆明高新区": KUNMING_24, "玉溪高新区": YUXI}),
        at(2024, 2, 6),
    )
    put("2024-4.html", article(2024, 4, {"昆明高新区": KUNMING_EDIT}), at(2024, 2, 7))


def test_report_data_for_one_week(store: Store) -> None:
    build(store)
    since, until = at(2024, 2, 5), at(2024, 2, 12)
    data = store.report_data(since, until)
    assert data["since"] == since.isoformat() and data["until"] == until.isoformat()
    assert data["summary"] == {
        "new_installments": 1,
        "edited_installments": 1,
        "zones_covered": 3,
        "new_zones": 1,
        "suspects": 0,
        "crawl_problems": 0,
    }
    (new,) = data["new_installments"]
    assert (new["year"], new["installment"], new["url"]) == (2024, 5, BASE + "2024-5.html")
    assert new["zones"] == ["威海高新区", "昆明高新区", "玉溪高新区"]
    assert new["new_zones"] == ["玉溪高新区"]
    weihai, kunming, yuxi = new["sections"]
    # 威海: last covered in 2023 (another year), one figure changed.
    assert weihai["previous"]["year"] == 2023 and weihai["previous"]["installment"] == 3
    assert [c["kind"] for c in weihai["changes"]] == ["changed"]
    assert ["-", "10个以上"] in weihai["changes"][0]["inline"]
    assert ["+", "12个以上"] in weihai["changes"][0]["inline"]
    src_2023 = {"year": 2023, "installment": 3, "url": BASE + "2023-3.html"}
    src_2024 = {"year": 2024, "installment": 5, "url": BASE + "2024-5.html"}
    (wchange,) = weihai["target_changes"]
    assert {k: wchange[k] for k in ("zone", "indicator", "before", "after", "kind", "unit")} == {
        "zone": "威海高新区",
        "indicator": "新落地过10亿元项目",
        "before": "10个以上",
        "after": "12个以上",
        "kind": "target",
        "unit": "个",
    }
    assert (wchange["before_value"], wchange["after_value"], wchange["direction"]) == (10, 12, "up")
    assert {k: wchange["before_source"][k] for k in src_2023} == src_2023
    assert {k: wchange["after_source"][k] for k in src_2024} == src_2024
    # 昆明: compared with its most recent earlier section, ④ as it reads now (edited on the 7th).
    assert kunming["previous"]["installment"] == 4
    # Another installment is compared, not diffed: ④'s added paragraph is not in ⑤, so it stands
    # apart as earlier text, never as a deletion.
    assert [c["kind"] for c in kunming["changes"]] == ["changed"]
    assert [r["kind"] for r in kunming["comparison"]] == ["same", "similar", "apart"]
    assert kunming["comparison"][2] == {"kind": "apart", "before": [KUNMING_EDIT[2]], "after": []}
    assert [(t["indicator"], t["before"], t["after"]) for t in kunming["target_changes"]] == [
        ("固定资产投资", "增长5%", "增长6%")
    ]
    assert yuxi["previous"] is None and yuxi["changes"] == [] and yuxi["target_changes"] == []
    assert yuxi["targets"] == [
        {
            "series": "国家高新区密集部署",
            "year": 2024,
            "installment": 5,
            "url": BASE + "2024-5.html",
            "zone": "玉溪高新区",
            "heading": "玉溪高新区",
            "paragraph": 1,
            "text": "力争2024年生物医药产业完成产值100亿元以上",
            "indicator": "生物医药产业产值",
            "value": 100,
            "low": None,
            "high": None,
            "unit": "亿元",
            "relation": "以上",
            "kind": "target",
            "period": 2024,
        }
    ]
    (rev,) = data["revisions"]
    assert (rev["year"], rev["installment"], rev["cause"], rev["revision"]) == (2024, 4, "site", 2)
    assert rev["changes"] == [
        {
            "zone": "昆明高新区",
            "kind": "added",
            "before": None,
            "after": KUNMING_EDIT[2],
            "inline": [["+", KUNMING_EDIT[2]]],
        }
    ]
    assert data["series"] == [
        {"year": 2024, "installment": 4, "title": "国家高新区密集部署 2024年这样干!4", "zones": 1},
        {"year": 2024, "installment": 5, "title": "国家高新区密集部署 2024年这样干!5", "zones": 3},
    ]
    assert data["suspects"] == [] and data["availability"] == []


def test_published_earlier_weeks_are_not_new(store: Store) -> None:
    build(store)
    data = store.report_data(at(2024, 2, 7), at(2024, 2, 14))
    assert data["new_installments"] == [] and len(data["revisions"]) == 1
    first = store.report_data(at(2024, 2, 1), at(2024, 2, 5))
    # ④ first seen on the 2nd: 昆明 was never covered before ④, so it is new to the series.
    assert [n["installment"] for n in first["new_installments"]] == [4]
    assert first["new_installments"][0]["new_zones"] == ["昆明高新区"]
    assert first["revisions"] == []


def test_diff_includes_comparison_with_earlier_installments(store: Store) -> None:
    build(store)
    d = store.diff("2024-5")
    assert d["from"] is None and d["changes"] == []
    assert d["new_zones"] == ["玉溪高新区"] and d["covered_zones"] == ["威海高新区", "昆明高新区"]
    # An earlier installment never sees later ones as "before" it.
    d3 = store.diff("2023-3")
    assert d3["new_zones"] == ["威海高新区", "兰州高新区"]


def test_week_with_nothing(store: Store) -> None:
    build(store)
    data = store.report_data(at(2025, 1, 1), at(2025, 1, 8))
    assert data["summary"] == {
        "new_installments": 0,
        "edited_installments": 0,
        "zones_covered": 0,
        "new_zones": 0,
        "suspects": 0,
        "crawl_problems": 0,
    }
    assert data["series"] == []


def test_diff_text_summarises_the_series_comparison(
    store: Store, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from chihwatch.cli import main

    build(store)
    with pytest.raises(SystemExit) as exc:
        main(["--db", db_url, "diff", "2024-5"])
        raise SystemExit(0)
    out = capsys.readouterr().out
    assert exc.value.code == 0
    assert "new to the series: 玉溪高新区" in out
    assert (
        "威海高新区: before in 2023-3, paragraphs: 1 similar, 1 same, 0 new, 0 not repeated; "
        "targets: 新落地过10亿元项目 10个以上 -> 12个以上"
    ) in out
    assert (
        "昆明高新区: before in 2024-4, paragraphs: 1 similar, 1 same, 0 new, 1 not repeated; "
        "targets: 固定资产投资 增长5% -> 增长6%"
    ) in out
