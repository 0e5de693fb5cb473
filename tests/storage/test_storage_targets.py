"""Numeric targets read from sentences of the seed installment (⑤ of 2024), checked by hand."""

from __future__ import annotations

import pytest

from storage.targets import Target, compare_targets, extract_targets


def _one(sentence: str) -> tuple[str, float, str, str]:
    (t,) = extract_targets([sentence])
    return (t.subject, t.value, t.unit, t.kind)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "会议提出,2024年,昆明高新区经济社会发展主要目标是:固定资产投资增长5%,",
            ("固定资产投资", 5, "%", "增长"),
        ),
        ("一般公共预算收入增长3.5%。", ("一般公共预算收入", 3.5, "%", "增长")),
        ("力争2024年生物医药产业完成产值100亿元以上。", ("生物医药产业产值", 100, "亿元", "以上")),
        (
            "积极支持配套企业“二次创业”,力争2024年卷烟配套产业完成产值12亿元以上。",
            ("卷烟配套产业产值", 12, "亿元", "以上"),
        ),
        (
            "实施社会化招商,力争全年新落地过10亿元项目10个以上,“十强”产业",
            ("新落地过10亿元项目", 10, "个", "以上"),
        ),
        ("力争一季度开工率超过90%、", ("一季度开工率", 90, "%", "超过")),
        ("上半年确保开工率达到100%,", ("上半年开工率", 100, "%", "达到")),
        ("年内投产项目40个以上。", ("投产项目", 40, "个", "以上")),
        ("“十强”产业到位内资突破百亿元,", ("“十强”产业到位内资", 100, "亿元", "突破")),
    ],
)
def test_seed_sentences(sentence: str, expected: tuple[str, float, str, str]) -> None:
    assert _one(sentence) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "2月4日,2023年度威海高新区总结表彰大会召开,提出要抓好10项攻坚行动,奋力开创新局面。",
        "电子信息产业积极拓展汽车电子、卫星空间技术、半导体、打印机板块4条赛道,",
        "亿纬锂能10GWh动力储能电池生产项目建成试生产,",
        "1月31日,兰州高新区召开2024年工作会议。",
    ],
)
def test_counts_inside_noun_phrases_and_dates_are_not_targets(sentence: str) -> None:
    assert extract_targets([sentence]) == []


def test_whole_kunming_sentence_in_order() -> None:
    text = (
        "会议提出,2024年,昆明高新区经济社会发展主要目标是:固定资产投资增长5%,规模以上工业产值增长8%,"
        "社会消费品零售总额增长7%,一般公共预算收入增长3.5%。"
    )
    got = [(t.subject, t.display()) for t in extract_targets([text])]
    assert got == [
        ("固定资产投资", "增长5%"),
        ("规模以上工业产值", "增长8%"),
        ("社会消费品零售总额", "增长7%"),
        ("一般公共预算收入", "增长3.5%"),
    ]


def test_compare_same_subject_only_when_the_figure_changed() -> None:
    before = extract_targets(["固定资产投资增长5%,规模以上工业产值增长8%。"])
    after = extract_targets(["固定资产投资增长6%,规模以上工业产值增长8%,新增指标100个以上。"])
    assert compare_targets(before, after) == [
        {
            "subject": "固定资产投资",
            "before": "增长5%",
            "after": "增长6%",
            "before_value": 5.0,
            "after_value": 6.0,
            "unit": "%",
        }
    ]
    assert Target("x", 100.0, "亿元", "以上", "").to_dict()["value"] == 100
