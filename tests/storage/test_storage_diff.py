"""The diff engine on small hand-checked examples (pure functions, no database)."""

from __future__ import annotations

import pytest

from storage.diff import Change, align_paragraphs, diff_zones, inline_ops


@pytest.mark.parametrize(
    ("before", "after", "ops"),
    [
        pytest.param("abc", "abc", [("=", "abc")], id="equal"),
        pytest.param("", "新增一句。", [("+", "新增一句。")], id="from-empty"),
        # An edited figure is replaced whole, relation and unit included (issue 13): never a
        # struck digit beside a new one, which reads "增长67%" where styles are lost.
        pytest.param(
            "固定资产投资增长5%。",
            "固定资产投资增长6%。",
            [("=", "固定资产投资"), ("-", "增长5%"), ("+", "增长6%"), ("=", "。")],
            id="one-digit",
        ),
        # Whole numbers change, not their middle digits: 100 -> 120 reads as one figure.
        pytest.param(
            "完成产值100亿元以上",
            "完成产值120亿元以上",
            [("=", "完成产值"), ("-", "100亿元以上"), ("+", "120亿元以上")],
            id="number",
        ),
        pytest.param(
            "增长3.5%",
            "增长4.5%",
            [("-", "增长3.5%"), ("+", "增长4.5%")],
            id="decimal",
        ),
        # Only the unit changed: still the whole figure.
        pytest.param(
            "投资5亿元,",
            "投资5万元,",
            [("=", "投资"), ("-", "5亿元"), ("+", "5万元"), ("=", ",")],
            id="unit",
        ),
        # A digit added inside a number (5% -> 5.5%) is an edit of that figure.
        pytest.param(
            "增长5%,",
            "增长5.5%,",
            [("-", "增长5%"), ("+", "增长5.5%"), ("=", ",")],
            id="insert-in-number",
        ),
        # Text appended after a figure does not touch the figure.
        pytest.param(
            "新增企业10家。",
            "新增企业10家,培育独角兽。",
            [("=", "新增企业10家"), ("+", ",培育独角兽"), ("=", "。")],
            id="after-figure-untouched",
        ),
        # A qualifier is part of the figure: 10家 -> 10家左右 is an edited figure.
        pytest.param(
            "新增企业10家",
            "新增企业10家左右",
            [("=", "新增企业"), ("-", "10家"), ("+", "10家左右")],
            id="qualifier",
        ),
        # Two figures edited in one sentence: each replaced whole, the text between kept.
        pytest.param(
            "产值增长8%,投资增长10%。",
            "产值增长9%,投资增长12%。",
            [
                ("=", "产值"),
                ("-", "增长8%"),
                ("+", "增长9%"),
                ("=", ",投资"),
                ("-", "增长10%"),
                ("+", "增长12%"),
                ("=", "。"),
            ],
            id="two-figures",
        ),
        # A range is one figure.
        pytest.param(
            "新增上市企业3—5家",
            "新增上市企业4—6家",
            [("=", "新增上市企业"), ("-", "3—5家"), ("+", "4—6家")],
            id="range",
        ),
        # The single shared "的" between two edits is folded in: one readable replacement.
        pytest.param(
            "加快甲的乙建设",
            "加快丙的丁建设",
            [("=", "加快"), ("-", "甲的乙"), ("+", "丙的丁"), ("=", "建设")],
            id="merge-tiny-equal",
        ),
        pytest.param(
            "推动项目建设。",
            "推动项目建设,确保投产。",
            [("=", "推动项目建设"), ("+", ",确保投产"), ("=", "。")],
            id="append",
        ),
    ],
)
def test_inline_ops(before: str, after: str, ops: list[tuple[str, str]]) -> None:
    assert list(inline_ops(before, after)) == ops
    # Ops always rebuild both sides exactly.
    assert "".join(t for op, t in ops if op != "+") == before
    assert "".join(t for op, t in ops if op != "-") == after


def test_align_pairs_edited_paragraph_and_keeps_inserted_one_apart() -> None:
    before = [
        "第一段不变。",
        "实施招商引资突破攻坚行动,力争新落地项目10个以上。",
        "第三段将被删除,内容与其他无关。",
    ]
    after = [
        "第一段不变。",
        "新增:实施人才引育行动,全年引进博士100人。",
        "实施招商引资突破攻坚行动,力争新落地项目12个以上。",
    ]
    changes = align_paragraphs("威海高新区", before, after)
    assert [(c.kind, c.before, c.after) for c in changes] == [
        ("added", None, after[1]),
        ("changed", before[1], after[2]),
        ("removed", before[2], None),
    ]
    assert changes[1].inline == (
        ("=", "实施招商引资突破攻坚行动,力争新落地项目"),
        ("-", "10个以上"),
        ("+", "12个以上"),
        ("=", "。"),
    )
    assert changes[0].to_dict() == {
        "zone": "威海高新区",
        "kind": "added",
        "before": None,
        "after": after[1],
        "inline": [["+", after[1]]],
    }


def test_diff_zones_covers_intro_added_and_removed_zones() -> None:
    before = [(None, ["导语。"]), ("威海高新区", ["甲。"]), ("兰州高新区", ["乙。"])]
    after = [(None, ["导语。"]), ("威海高新区", ["甲。"]), ("昆明高新区", ["丙。"])]
    assert diff_zones(before, after) == [
        Change("昆明高新区", "added", None, "丙。", (("+", "丙。"),)),
        Change("兰州高新区", "removed", "乙。", None, (("-", "乙。"),)),
    ]
    assert diff_zones(before, before) == []
