"""`chihwatch diff` through the real console script: reversed revisions, the HTML page (issue 15)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest

from storage import open_store
from tests.storage.storage_helpers import KUNMING, article, json_parse, page

URL = "http://www.chinahightech.com/html/hotnews/yaowen/2024/0206/5699999.html"
URL_2023 = "http://www.chinahightech.com/html/hotnews/yaowen/2023/0203/5672106.html"
CHIHWATCH = str(Path(sys.executable).with_name("chihwatch"))
EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'
# 昆明 in 2023: the same meeting notice a year earlier, and a sentence 2024 does not repeat.
KUNMING_2023 = [
    "1月30日,昆明高新区召开2023年工作会议。",
    "要坚定不移抓招商,开展“招引质效提振”行动,加强招商工作统筹。",
]


def seed(db_url: str) -> None:
    st = open_store(db_url, parse=json_parse)
    try:
        for url, art, when in (
            (URL_2023, article(2023, 3, {"昆明高新区": KUNMING_2023}), datetime(2023, 2, 3)),
            (URL, article(2024, 5, {"昆明高新区": KUNMING}), datetime(2024, 2, 6)),
            (
                URL,
                article(
                    2024, 5, {"昆明高新区": [KUNMING[0], KUNMING[1].replace("5%", "6%"), EVIL]}
                ),
                datetime(2024, 2, 7, 1, 30),
            ),
        ):
            res = st.record_response(
                url, status=200, headers={}, body=page(art), fetched_at=when.replace(tzinfo=UTC)
            )
            assert res.revision_new
    finally:
        st.close()


def chihwatch(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHIHWATCH, "--db", db_url, *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ("--from", "2", "--to", "1"),
            "--from 2 --to 1 is reversed: revision 2 is newer than 1; "
            "use: chihwatch diff 2024-5 --from 1 --to 2",
            id="reversed",
        ),
        pytest.param(
            ("--from", "2"),
            "--from 2 --to 2: a revision against itself shows nothing; give two different revisions",
            id="from-latest",
        ),
    ],
)
def test_reversed_or_equal_revisions_are_refused_in_one_line(
    sqlite_url: str, args: tuple[str, ...], message: str
) -> None:
    seed(sqlite_url)
    proc = chihwatch(sqlite_url, "diff", "2024-5", *args)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == f"chihwatch: {message}\n"
    # The right order works.
    ok = chihwatch(sqlite_url, "diff", "2024-5", "--from", "1", "--to", "2")
    assert ok.returncode == 0 and "[-增长5%-]{+增长6%+}" in ok.stdout


def test_diff_html_has_the_report_look_language_and_comparison(sqlite_url: str) -> None:
    seed(sqlite_url)
    proc = chihwatch(sqlite_url, "diff", "2024-5", "--format", "html")
    assert proc.returncode == 0, proc.stderr
    html = proc.stdout
    report_css = "--accent: #0b5cad"  # the weekly report's stylesheet
    assert html.startswith("<!DOCTYPE html>") and report_css in html
    assert "default-src 'none'" in html  # the report's Content-Security-Policy
    doc = lxml.html.fromstring(html)
    head = doc.find_class("period")[0].text_content()
    # Beijing time: revision 2 was stored at 01:30 UTC = 09:30 in Beijing.
    assert head == "修订 1（2024-02-06 08:00）→ 修订 2（2024-02-07 09:30，网站修改）北京时间"
    edits = doc.xpath("//h2[contains(., '本次修改')]/following-sibling::section[1]")[0]
    assert edits.findtext("h4") == "昆明高新区"
    changed = edits.xpath(".//li[contains(@class, 'changed')]")[0]
    assert [d.text for d in changed.iter("del")] == ["增长5%"]
    assert [i.text for i in changed.iter("ins")] == ["增长6%"]
    assert "固定资产投资增长5%→增长6%,规模以上" in changed.text_content()
    added = edits.xpath(".//li[contains(@class, 'added')]")[0]
    assert added.text_content() == "新增 " + EVIL  # page text escaped, shown as text
    assert "<script>" not in html and "<img" not in html
    # Against earlier installments: 昆明 was in 2023③; the notice is the same sentence a year
    # on, the rest is set side by side, not struck through.
    cmp = doc.find_class("cmp")[0]
    assert "与上次报道（2023年③）逐段对照：相近 1 段 · 本次新写 2 段 · 上次有而本次未提 1 段" in (
        cmp.text_content()
    )
    assert [r.get("class") for r in cmp.find_class("cmp-row")] == ["cmp-row similar", "cmp-row sep"]
    assert cmp.find(".//del") is None and cmp.find(".//ins") is None
    sep = cmp.find_class("sep")[0]
    assert KUNMING_2023[1] in sep.find_class("was")[0].text_content()
    assert KUNMING[1].replace("5%", "6%") in sep.find_class("now")[0].text_content()
    # This installment's text in full, unmarked.
    paras = [p.text for p in doc.find_class("para")]
    assert paras == [KUNMING[0], KUNMING[1].replace("5%", "6%"), EVIL]
