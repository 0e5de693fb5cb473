"""The diff engine on small hand-checked examples (pure functions, no database)."""

from __future__ import annotations

import pytest

from storage.diff import Budget, Change, align_paragraphs, diff_zones, inline_ops


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


def _edited_series(n: int) -> tuple[list[str], list[str]]:
    """n distinct target paragraphs of one shape, and the same with every first figure + 1."""
    before = [
        f"第{k}项:力争固定资产投资增长{k % 7 + 3}%,完成产值{k % 90 + 10}亿元以上,新落地项目"
        f"{k % 37 + 5}个以上。"
        for k in range(n)
    ]
    after = [p.replace(f"增长{k % 7 + 3}%", f"增长{k % 7 + 4}%", 1) for k, p in enumerate(before)]
    return before, after


def test_every_paragraph_edited_pairs_every_paragraph() -> None:
    # 1,000 edited paragraphs of one shape: each pairs with its own edit. The old greedy search
    # paired each old paragraph with the most similar new one anywhere ahead and so skipped most
    # of them (12 pairs, 988 "removed" + 988 "added").
    before, after = _edited_series(1000)
    changes = align_paragraphs("z", before, after)
    assert [c.kind for c in changes] == ["changed"] * 1000
    assert [(c.before, c.after) for c in changes] == list(zip(before, after, strict=True))
    k = 17
    assert changes[k].inline == (
        ("=", f"第{k}项:力争固定资产投资"),
        ("-", f"增长{k % 7 + 3}%"),
        ("+", f"增长{k % 7 + 4}%"),
        ("=", f",完成产值{k % 90 + 10}亿元以上,新落地项目{k % 37 + 5}个以上。"),
    )


def test_block_insertion_far_from_the_diagonal_keeps_the_pairs() -> None:
    # 300 unrelated paragraphs inserted on top of 1,000 edited ones: the candidate search follows
    # the shifted run, and each old paragraph still finds its edit.
    before, after = _edited_series(1000)
    inserted = [f"新增第{k}段:推进人才引育,引进博士后{k}人,建设孵化载体。" for k in range(300)]
    changes = align_paragraphs("z", before, inserted + after)
    assert [c.kind for c in changes] == ["added"] * 300 + ["changed"] * 1000
    assert [c.after for c in changes[300:]] == after


def test_moved_paragraph_is_found_by_its_rare_words() -> None:
    # One paragraph moved from the top to the bottom of a 200-paragraph block: beyond any window,
    # found through the bigrams only it has. Pairs never cross, so the block keeps the other 199
    # pairs and the moved one is removed at the top and added at the bottom, not paired with a
    # stranger.
    before, after = _edited_series(200)
    moved = "实施低空经济“起飞”计划,建设无人机试飞基地2个。"
    changes = align_paragraphs("z", [moved, *before], [*after, moved.replace("2个", "3个")])
    kinds = [c.kind for c in changes]
    assert kinds.count("changed") == 200 and kinds[0] == "removed" and kinds[-1] == "added"


def test_repeated_paragraphs_are_anchors_by_rank() -> None:
    # 6,000 copies of one line on both sides (a hostile page): one extra copy is one addition.
    assert [c.kind for c in align_paragraphs("z", ["。"] * 6000, ["。"] * 6001)] == ["added"]
    assert align_paragraphs("z", ["甲。"] * 5000, ["甲。"] * 5000) == []


def test_costly_pair_is_replaced_whole_between_common_head_and_tail() -> None:
    # Character diffs cost ~ count_a(c) * count_b(c) summed over characters: 3,000 x 3,000 of one
    # repeated character is over the budget, so the differing middle is one replacement.
    before, after = "开头" + "。" * 3000 + "甲" + "结尾", "开头乙" + "。" * 3000 + "结尾"
    assert inline_ops(before, after) == (
        ("=", "开头"),
        ("-", "。" * 3000 + "甲"),
        ("+", "乙" + "。" * 3000),
        ("=", "结尾"),
    )


def test_character_diff_budget_is_shared_by_one_diff() -> None:
    # Each pair's middle (the common tail "丁" trimmed) costs 3 x 3 + 1 = 10 units (three shared
    # "乙", one shared digit); a budget of 25 pays for two character diffs, the third pair is
    # still paired but its middle is replaced whole.
    before = [f"甲{k}乙乙乙丙丁" for k in range(3)]
    after = [f"戊{k}乙乙乙己丁" for k in range(3)]
    changes = align_paragraphs("z", before, after, threshold=0.3, budget=Budget(25))
    assert [c.kind for c in changes] == ["changed"] * 3
    assert [len(c.inline) for c in changes] == [6, 6, 3]
    assert changes[0].inline == (
        ("-", "甲"),
        ("+", "戊"),
        ("=", "0乙乙乙"),
        ("-", "丙"),
        ("+", "己"),
        ("=", "丁"),
    )
    assert changes[2].inline == (("-", "甲2乙乙乙丙"), ("+", "戊2乙乙乙己"), ("=", "丁"))
