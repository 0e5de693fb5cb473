"""parsers.figures on sentences of the series, expectations written by hand from the text."""

from __future__ import annotations

import pytest

from parsers.figures import canonical_indicator, extract_figures


def rows(text: str, year: int = 2024, series: bool = True) -> list[tuple]:
    return [
        (
            f.indicator,
            f.value if f.value is not None else (f.low, f.high),
            f.unit,
            f.relation,
            f.kind,
        )
        for f in extract_figures([text], year=year, series=series)
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # ranges: the old regex read the subject as 新增上市企业3— and dropped 6%-7%
        ("新增上市企业3—5家。", [("新增上市企业", (3, 5), "家", "=", "target")]),
        ("地区生产总值增长6%-7%。", [("地区生产总值", (6, 7), "%", "增长", "target")]),
        # 万亿元 / 百亿元 / 千亿元 / 万元 normalised to 亿元
        (
            "力争电子信息产业规模突破1.2万亿元。",
            [("电子信息产业规模", 12000, "亿元", "突破", "target")],
        ),
        ("“十强”产业到位内资突破百亿元，", [("十强产业到位内资", 100, "亿元", "突破", "target")]),
        ("工业总产值达到三千亿元，", [("工业总产值", 3000, "亿元", "达到", "target")]),
        ("研发投入2500万元。", [("研发投入", 0.25, "亿元", "=", "target")]),
        ("新增市场主体2万户以上，", [("新增市场主体", 20000, "户", "以上", "target")]),
        # 分别…和…: one row per item, each with its own indicator
        (
            "电子信息、医药健康两大主导产业营业收入分别突破1500亿元和600亿元。",
            [
                ("电子信息产业营业收入", 1500, "亿元", "突破", "target"),
                ("医药健康产业营业收入", 600, "亿元", "突破", "target"),
            ],
        ),
        # 同比增长: the subject is never 同比
        ("营业收入同比增长8%。", [("营业收入", 8, "%", "增长", "target")]),
        # zone name, year and verbs are not part of the indicator; synonyms apply
        ("2024年合肥高新区地区生产总值增长8.5%，", [("地区生产总值", 8.5, "%", "增长", "target")]),
        ("全力推动R&D经费支出占GDP比重达到8%以上，", [("研发投入强度", 8, "%", "以上", "target")]),
        (
            "力争2024年卷烟配套产业完成产值12亿元以上。",
            [("卷烟配套产业产值", 12, "亿元", "以上", "target")],
        ),
        # 左右 / 以内 / 不少于
        ("地区生产总值增长6%左右，", [("地区生产总值", 6, "%", "左右", "target")]),
        (
            "力争企业开办时间压缩至1个工作日以内。",
            [("企业开办时间", 1, "个工作日", "以内", "target")],
        ),
        ("年内竣工投产项目不少于35个。", [("竣工投产项目", 35, "个", "不少于", "target")]),
        # other: counts of a plan's parts and thresholds that define what is counted
        (
            "全年新开工过亿元项目40个以上。",
            [
                ("项目", 1, "亿元", "超过", "other"),
                ("新开工过亿元项目", 40, "个", "以上", "target"),
            ],
        ),
        ("提出要抓好10项攻坚行动，", [("攻坚行动", 10, "项", "=", "other")]),
    ],
)
def test_phrases(text: str, expected: list[tuple]) -> None:
    assert rows(text) == expected


def test_result_and_goal_in_one_text() -> None:
    text = "2024年全年地区生产总值突破3200亿元，同比增长7.1%；2025年地区生产总值预期增长7%。"
    got = [(f.indicator, f.value, f.kind, f.period) for f in extract_figures([text], year=2025)]
    assert got == [
        ("地区生产总值", 3200, "actual", 2024),
        ("地区生产总值", 7.1, "actual", 2024),
        ("地区生产总值", 7, "target", 2025),
    ]


def test_news_article_reports_results() -> None:
    got = rows("2月10日，成都高新区集中开工重大项目18个，总投资约210亿元。", 2025, series=False)
    assert got == [
        ("集中开工重大项目", 18, "个", "=", "actual"),
        ("总投资", 210, "亿元", "左右", "actual"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "1月31日，兰州高新区召开2024年工作会议。",
        "位列全国高新区第六，连续三年进入前20强。",
        "围绕“3815”战略，推进B16项目建设，做强三大主导产业。",
        "亿纬锂能10GWh动力储能电池生产项目建成试生产，",
        "推进“高效办成一件事”改革，本报今日刊发第四期。",
        "加力落实天津市高质量发展“十项行动”，持续打造“四大高地”。",
    ],
)
def test_not_figures(text: str) -> None:
    assert extract_figures([text], year=2024) == []


def test_synonyms_are_data() -> None:
    assert canonical_indicator("GDP") == canonical_indicator("生产总值") == "地区生产总值"
    assert canonical_indicator("规上工业增加值") == "规模以上工业增加值"
    assert canonical_indicator("R&D投入强度") == "研发投入强度"


def test_row_carries_the_clause_as_published() -> None:
    (f,) = extract_figures(["会议提出，2024年威海高新区地区生产总值增长6%左右。"], year=2024)
    assert f.text == "2024年威海高新区地区生产总值增长6%左右"
    assert f.display() == "增长6%左右" and f.paragraph == 0 and f.period == 2024


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_ALPHABET = list(
    "0123456789.%—-~至到亿万元千百十一二三两家个项以上左右以内分别和、，。；增长突破超过达到不少于"
    "同比年月日第前过超约成分之半高新区合肥规上GDP“”（）"
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(alphabet=_ALPHABET, max_size=60), max_size=4), st.sampled_from([None, 2024])
)
def test_any_text_gives_well_formed_rows(paras: list[str], year: int | None) -> None:
    for f in extract_figures(paras, year=year):
        assert f.kind in ("target", "actual", "other") and f.unit
        assert f.text in paras[f.paragraph] and f.shown and f.text[-1] == f.shown[-1]
        assert (f.value is None) == (f.low is not None)
