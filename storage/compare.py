"""A zone's section against its section in an earlier installment: a comparison, not an edit.

Two installments (often two years apart) are two texts written for two meetings: most of their
paragraphs are different sentences, not edits of each other. Showing them as 删除/新增/修改 with
strike-through would present unrelated text as a deletion. So only paragraphs that are really
similar are aligned (the same sentence with the next year's dates or figures); everything else
is placed side by side, earlier report / this report, in order.

`compare_sections(zone, before, after)` returns
`{"comparison": [ROW...], "changes": [CHANGE...]}` where ROW is one of
- `{"kind": "same", "before": [p...], "after": [p...]}` — identical paragraphs (a run),
- `{"kind": "similar", "before": [p], "after": [q], "similarity": s, "inline": [[op, t]...]}`,
- `{"kind": "apart", "before": [p...], "after": [q...]}` — unaligned paragraphs between two
  aligned ones (either side may be empty),
and `changes` lists the similar pairs as CHANGE dicts (kind `changed`) for consumers of the
older contract; a cross-installment comparison never yields `added` / `removed`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from storage.align import pair, similarity
from storage.diff import Budget, Change, _anchor_opcodes, inline_ops

__all__ = ["SIMILAR_THRESHOLD", "compare_sections"]

# Calibrated on the fixtures' same-zone paragraph pairs across years (storage.align.similarity,
# 2·LCS / total length): the same sentence rewritten with the next year's dates and figures
# scores 0.72-0.91 (洛阳's target list 2023->2024 0.91, meeting notices "1月31日，合肥高新区召开2023年
# 度工作会议" -> "1月20日…2024年度…" 0.84-0.88, 威海/合肥 target lists 0.77-0.83); below 0.7 the pairs
# are different sentences of the same genre (a 一季度调度会 notice against a 工作会议 notice 0.55,
# differently worded goal lists 0.60-0.66), whose character diff is noise. Edits by the site of
# one installment use the lower storage.diff.PAIR_THRESHOLD.
SIMILAR_THRESHOLD = 0.7


def compare_sections(
    zone: str | None,
    before: Sequence[str],
    after: Sequence[str],
    threshold: float = SIMILAR_THRESHOLD,
) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    apart_before: list[str] = []
    apart_after: list[str] = []
    budget = Budget()

    def flush() -> None:
        if apart_before or apart_after:
            rows.append({"kind": "apart", "before": list(apart_before), "after": list(apart_after)})
            apart_before.clear()
            apart_after.clear()

    for tag, i1, i2, j1, j2 in _anchor_opcodes(before, after):
        if tag == "equal":
            flush()
            rows.append(
                {"kind": "same", "before": list(before[i1:i2]), "after": list(after[j1:j2])}
            )
            continue
        for i, j in pair(before[i1:i2], after[j1:j2], threshold):
            if i is not None and j is not None:
                a, b = before[i1 + i], after[j1 + j]
                flush()
                if a == b:
                    rows.append({"kind": "same", "before": [a], "after": [b]})
                    continue
                ops = inline_ops(a, b, budget)
                rows.append(
                    {
                        "kind": "similar",
                        "before": [a],
                        "after": [b],
                        "similarity": round(similarity(a, b), 3),
                        "inline": [list(op) for op in ops],
                    }
                )
                changes.append(Change(zone, "changed", a, b, ops).to_dict())
            elif i is not None:
                apart_before.append(before[i1 + i])
            elif j is not None:
                apart_after.append(after[j1 + j])
    flush()
    return {"comparison": rows, "changes": changes}
