"""Numeric targets in a zone's text (`固定资产投资增长5%`, `产值100亿元以上`) with their subject."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from parsers.series import cn_int

__all__ = ["Target", "extract_targets", "compare_targets", "subject_key"]


@dataclass(frozen=True)
class Target:
    """One numeric target: `subject` reaches `value` `unit`, qualified by `kind`."""

    subject: str
    value: float
    unit: str
    kind: str  # "增长", "以上", "不少于", "超过", "突破", "达到", "增长以上", ... or ""
    text: str  # the clause it was read from

    def display(self) -> str:
        """The figure as read: 增长5%, 100亿元以上."""
        suffix = _suffix_of(self.kind)
        prefix = self.kind[: len(self.kind) - len(suffix)]
        return f"{prefix}{_fmt(self.value)}{self.unit}{suffix}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "value": int(self.value) if self.value == int(self.value) else self.value,
            "unit": self.unit,
            "kind": self.kind,
            "text": self.text,
        }


# Longest first: the regex alternation takes the first that matches.
_UNITS = [
    "个百分点",
    "万平方米",
    "平方米",
    "亿美元",
    "万美元",
    "亿元",
    "万元",
    "万吨",
    "万人",
    "万户",
    "万家",
    "%",
    "％",
    "元",
    "个",
    "家",
    "项",
    "人",
    "件",
    "亩",
    "倍",
    "户",
    "座",
    "条",
    "吨",
    "台",
]
_SUFFIX_KINDS = ["以上", "左右", "以内", "以下"]
_NUM = r"(?P<num>\d+(?:\.\d+)?|[零一二两三四五六七八九十百千]+)"
_TARGET = re.compile(
    r"(?P<prefix>增长|增速|提高|超过|突破|达到|不少于|不低于|达)?"
    + _NUM
    + r"(?P<unit>"
    + "|".join(re.escape(u) for u in _UNITS)
    + r")"
    + r"(?P<suffix>以上|左右|以内|以下)?"
    # A target closes its clause; "10项攻坚行动" or "10亿元项目" are counts inside a noun phrase.
    + r"(?=[,，。;；、:：!！?？)）\s]|$|和|及|的目标)"
)
# Clause boundaries: the subject is read back from the figure to the previous one of these.
_CLAUSE_END = re.compile(r"[,，。;；、:：!！?？(（)）\s]")
# Words that frame a target without naming its subject: 力争2024年生物医药产业完成产值 -> 生物医药产业产值.
_FILLER = re.compile(
    r"(力争|争取|确保|预计|计划在|全年|今年|明年|年内|年底前|到\d{4}年底?|\d{4}年(?:全年)?|完成|实现|"
    r"要|将|再|新增加)"
)


def _fmt(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def _suffix_of(kind: str) -> str:
    for s in _SUFFIX_KINDS:
        if kind.endswith(s):
            return s
    return ""


def _cn_number(s: str) -> float | None:
    if s.isdigit() or re.fullmatch(r"\d+\.\d+", s):
        return float(s)
    value = cn_int(s)
    return None if value is None else float(value)


def subject_key(subject: str) -> str:
    """Comparison key of a subject: quotes and spaces dropped."""
    return re.sub(r"[\s“”\"'‘’《》]", "", subject)


def extract_targets(paragraphs: Iterable[str]) -> list[Target]:
    """Every numeric target in the paragraphs, in reading order."""
    out: list[Target] = []
    for para in paragraphs:
        for m in _TARGET.finditer(para):
            value = _cn_number(m.group("num"))
            if value is None:
                continue
            # "谋划10亿元、50亿元和100亿元3个级别": a figure in a list of figures is not a target.
            if para[m.end() : m.end() + 1] == "、" and re.match(
                r"\d", para[m.end() + 1 : m.end() + 2]
            ):
                continue
            start = m.start()
            head = para[:start]
            cut = max((b.end() for b in _CLAUSE_END.finditer(head)), default=0)
            raw_subject = head[cut:]
            if m.group("num")[0] in "一二两三四五六七八九十百千" and raw_subject.endswith(
                ("第", "前")
            ):
                continue
            subject = _FILLER.sub("", raw_subject).strip()
            if not subject or len(subject) < 2:
                continue
            prefix, suffix = m.group("prefix") or "", m.group("suffix") or ""
            unit = m.group("unit").replace("％", "%")
            out.append(
                Target(
                    subject=subject,
                    value=value,
                    unit=unit,
                    kind=prefix + suffix,
                    text=para[cut : m.end()],
                )
            )
    return out


def compare_targets(before: Sequence[Target], after: Sequence[Target]) -> list[dict[str, Any]]:
    """Targets whose subject appears in both lists with a different figure."""
    old: dict[str, Target] = {}
    for t in before:
        old.setdefault(subject_key(t.subject), t)
    changes: list[dict[str, Any]] = []
    seen: set[str] = set()
    for t in after:
        key = subject_key(t.subject)
        if key in seen or key not in old:
            continue
        seen.add(key)
        prev = old[key]
        if (prev.value, prev.unit, prev.kind) != (t.value, t.unit, t.kind):
            changes.append(
                {
                    "subject": t.subject,
                    "before": prev.display(),
                    "after": t.display(),
                    "before_value": prev.value,
                    "after_value": t.value,
                    "unit": t.unit,
                }
            )
    return changes
