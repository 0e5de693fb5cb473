"""The store with the real parser over the saved pages (fixtures/pages, fixtures/site), both backends."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chihwatch.cli import main
from storage import open_store
from storage.models import Blob, Fetch, Revision
from tests.storage.storage_helpers import count

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "fixtures" / "pages"
SITE = ROOT / "fixtures" / "site"
BASE = "http://www.chinahightech.com/html/hotnews/yaowen/"
# (fixture, url, first fetched): the 2019 template's installments of the series, in order.
SERIES = [
    ("chih2019-2023-03", "2023/0203/5672106.html", datetime(2023, 2, 3, 3, tzinfo=UTC)),
    ("chih2019-2024-01", "2024/0123/5696188.html", datetime(2024, 1, 23, 3, tzinfo=UTC)),
    ("chih2019-2024-02", "2024/0126/5697340.html", datetime(2024, 1, 26, 3, tzinfo=UTC)),
    ("chih2019-2024-03", "2024/0131/5698921.html", datetime(2024, 1, 31, 3, tzinfo=UTC)),
    ("chih2019-2024-04", "2024/0202/5699463.html", datetime(2024, 2, 2, 3, tzinfo=UTC)),
    ("chih2019-2024-05-gbk", "2024/0206/5700517.html", datetime(2024, 2, 6, 3, tzinfo=UTC)),
]


def ingest(
    db_url: str, name: str, url: str, when: datetime, capsys: pytest.CaptureFixture[str]
) -> dict:
    try:
        main(
            [
                "--db",
                db_url,
                "ingest",
                str(PAGES / f"{name}.html"),
                "--url",
                url,
                "--fetched-at",
                when.isoformat(),
                "--json",
            ]
        )
    except SystemExit as exc:  # pragma: no cover - a failure shows the message
        pytest.fail(f"ingest exited {exc.code}: {capsys.readouterr().err}")
    return json.loads(capsys.readouterr().out)


def test_series_from_saved_pages(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    for name, path, when in SERIES:
        res = ingest(db_url, name, BASE + path, when, capsys)
        assert res["installment_new"] and res["revision_new"], (name, res)
    # The same ⑤ saved as UTF-8: other bytes, same text -> a blob, no revision.
    res = ingest(
        db_url,
        "chih2019-2024-05-utf8",
        BASE + SERIES[-1][1],
        SERIES[-1][2] + timedelta(hours=1),
        capsys,
    )
    assert res["blob_new"] and not res["revision_new"] and res["installment"][1:] == [2024, 5]
    # ⑤ again after the site's redesign, at a new URL: the same installment, still one revision.
    moved = "http://www.chinahightech.com/yaowen/2024-02/06/content_5700517.html"
    res = ingest(db_url, "chih2025-2024-05", moved, SERIES[-1][2] + timedelta(days=400), capsys)
    assert (
        res["installment"][1:] == [2024, 5]
        and not res["installment_new"]
        and not res["revision_new"]
    )
    assert res["suspect"] is None

    st = open_store(db_url)
    try:
        rows = st.list_installments()
        assert [(r["year"], r["installment"], r["revisions"]) for r in rows] == [
            (2023, 3, 1),
            (2024, 1, 1),
            (2024, 2, 1),
            (2024, 3, 1),
            (2024, 4, 1),
            (2024, 5, 1),
        ]
        assert rows[-1]["url"] == moved
        week = st.report_data(datetime(2024, 2, 5, tzinfo=UTC), datetime(2024, 2, 12, tzinfo=UTC))
        (new,) = week["new_installments"]
        assert new["zones"] == [
            "威海高新区",
            "天津高新区",
            "兰州高新区",
            "昆明高新区",
            "玉溪高新区",
        ]
        # Hand-checked from the fixtures' zone lists: 兰州 and 玉溪 appear in no earlier installment;
        # 威海 was last covered in ② (2024), also in 2023's ③; 天津 in ③; 昆明 in ②.
        assert new["new_zones"] == ["兰州高新区", "玉溪高新区"]
        prev = {
            s["zone"]: s["previous"] and (s["previous"]["year"], s["previous"]["installment"])
            for s in new["sections"]
        }
        assert prev == {
            "威海高新区": (2024, 2),
            "天津高新区": (2024, 3),
            "兰州高新区": None,
            "昆明高新区": (2024, 2),
            "玉溪高新区": None,
        }
        kunming = next(s for s in new["sections"] if s["zone"] == "昆明高新区")
        assert ("固定资产投资", 5, "%") in [
            (t["indicator"], t["value"], t["unit"]) for t in kunming["targets"]
        ]
        # Re-running the same parser over everything stored changes nothing.
        counts = st.reparse()
        assert (
            counts["new_revisions"] == 0 and counts["unchanged"] == counts["parsed"] == 7
        )  # one per page
        assert count(st, Revision) == 6 and count(st, Blob) == 8 and count(st, Fetch) == 8
    finally:
        st.close()


def test_edited_installment_on_the_mirror_site(db_url: str) -> None:
    path = "html/hotnews/yaowen/2024/0126/5697340.html"
    st = open_store(db_url)
    try:
        for state, day in (("state1", 26), ("state2", 27)):
            body = (SITE / state / path).read_bytes()
            res = st.record_response(
                "http://www.chinahightech.com/" + path,
                status=200,
                headers={"Content-Type": "text/html"},
                body=body,
                fetched_at=datetime(2024, 1, day, 3, tzinfo=UTC),
            )
            assert res.revision_new and res.suspect is None
        d = st.diff("2024-2")
        assert [(c["zone"], c["kind"]) for c in d["changes"]] == [
            ("威海高新区", "changed"),
            ("威海高新区", "added"),
        ]
        assert [op for op in d["changes"][0]["inline"] if op[0] != "="] == [
            ["-", "增长6%左右"],
            ["+", "增长7%左右"],
        ]
        assert (
            d["changes"][1]["after"]
            == "会议还要求，威海高新区要加快推进重大项目建设，确保全年目标任务圆满完成。"
        )
    finally:
        st.close()


def test_non_article_pages(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    st = open_store(sqlite_url)
    try:
        other = st.record_response(
            BASE + "other.html",
            status=200,
            headers={},
            body=(PAGES / "chih2019-article-pingjia.html").read_bytes(),
        )
        assert other.installment is None and other.error is None and other.blob_new
    finally:
        st.close()
    code = 0
    try:
        main(
            ["--db", sqlite_url, "ingest", str(PAGES / "chih2019-list-yaowen.html"), "--url", BASE]
        )
    except SystemExit as exc:
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert code == 4 and "raw page stored" in err and err.count("\n") == 1
