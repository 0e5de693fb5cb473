"""Figures in a zone's text: pure text in, rows out (docs/figures.md).

`extract_figures(paragraphs, year=2024)` reads every quantity of the series' prose
(`地区生产总值增长6%左右`, `营业收入突破2.6万亿元`, `新增上市企业3—5家`, `分别突破1500亿元和600亿元`)
into a `Figure`: the clause as published, a short canonical indicator (no zone name, year or verbs such
as 力争/确保/完成/实现), the value (or a range), a normalised unit, the relation (增长, 突破, 以上 ...),
the kind (target: a goal; actual: a reported result; other: a count of a plan's parts or a threshold
that defines what is counted, `10项攻坚行动`, `过10亿元项目`) and the period (the year it refers to).

Dates, years, installment numbers, ranks (第六, 前20名), names with digits (`3815`战略, `B16`项目,
`10GWh`) and Chinese numerals in set phrases (三大主导产业, 一件事) are not figures. Chinese numerals
are read only before a money unit (百亿元, 千亿元) or in a share (三分之一, 六成, 一半).

Indicator synonyms are data: parsers/data/indicators.toml (parsers/indicators.py).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from parsers.gazetteer import zones_named
from parsers.indicators import canonical_indicator, same_indicator
from parsers.series import cn_int

__all__ = [
    "Figure",
    "extract_figures",
    "canonical_indicator",
    "figure_display",
    "same_indicator",
    "KINDS",
    "RELATIONS",
]

KINDS = ("target", "actual", "other")
RELATIONS = ("增长", "达到", "突破", "超过", "以上", "不少于", "左右", "以内", "=")


@dataclass(frozen=True)
class Figure:
    """One figure of one paragraph (the figure model of docs/CONTRACTS.md, minus the page fields)."""

    paragraph: int  # index of the paragraph in the sequence given to extract_figures
    text: str  # the clause, exactly as published
    indicator: str  # canonical (canonical_indicator)
    value: float | None  # None for a range
    low: float | None
    high: float | None
    unit: str
    relation: str
    kind: str  # target | actual | other
    period: int | None
    shown: str = ""  # the figure as written (增长7%以上, 突破1.2万亿元); not part of the row

    def to_dict(self) -> dict[str, Any]:
        # By hand: dataclasses.asdict deep-copies and was a third of a report's figure time.
        return {
            "paragraph": self.paragraph,
            "text": self.text,
            "indicator": self.indicator,
            "value": _num(self.value),
            "low": _num(self.low),
            "high": _num(self.high),
            "unit": self.unit,
            "relation": self.relation,
            "kind": self.kind,
            "period": self.period,
        }

    def display(self) -> str:
        """The figure as an analyst reads it, whole: 增长7%以上, 突破1.2万亿元, 3—5家."""
        return self.shown or figure_display(self.to_dict())


def _num(v: float | None) -> float | int | None:
    if v is None:
        return None
    v = round(v, 6)
    return int(v) if v == int(v) else v


def _fmt(v: float | None) -> str:
    n = _num(v)
    return "" if n is None else f"{n:g}" if isinstance(n, float) else str(n)


def figure_display(row: dict[str, Any]) -> str:
    """`增长5%`, `突破1200亿元`, `100亿元以上`, `3—5家` from a row's value/low/high/unit/relation."""
    if row.get("value") is None and row.get("low") is not None:
        amount = f"{_fmt(row['low'])}—{_fmt(row['high'])}{row['unit']}"
    else:
        amount = f"{_fmt(row.get('value'))}{row['unit']}"
    rel = row.get("relation") or "="
    if rel in ("以上", "左右", "以内"):
        grew = row.get("unit") in ("%", "个百分点") and re.search(r"增长\d", row.get("text") or "")
        return ("增长" if grew else "") + amount + rel
    if rel == "=":
        return amount
    return rel + amount


# --- the figure regex ------------------------------------------------------------------------

# unit as written -> (normalised unit, factor)
_UNITS: dict[str, tuple[str, float]] = {
    "万亿元": ("亿元", 10000.0),
    "亿元": ("亿元", 1.0),
    "万元": ("亿元", 0.0001),
    "亿美元": ("亿美元", 1.0),
    "万美元": ("亿美元", 0.0001),
    "个百分点": ("个百分点", 1.0),
    "万平方米": ("平方米", 10000.0),
    "平方米": ("平方米", 1.0),
    "个工作日": ("个工作日", 1.0),
    "万户": ("户", 10000.0),
    "万家": ("家", 10000.0),
    "万人": ("人", 10000.0),
    "万个": ("个", 10000.0),
    "万名": ("名", 10000.0),
    "%": ("%", 1.0),
    "％": ("%", 1.0),
    "家": ("家", 1.0),
    "个": ("个", 1.0),
    "项": ("项", 1.0),
    "人": ("人", 1.0),
    "名": ("名", 1.0),
    "件": ("件", 1.0),
    "户": ("户", 1.0),
    "条": ("条", 1.0),
    "座": ("座", 1.0),
    "台": ("台", 1.0),
    "亩": ("亩", 1.0),
    "倍": ("倍", 1.0),
    "套": ("套", 1.0),
}
_MONEY = ("万亿元", "亿元", "万元", "亿美元", "万美元")
_UNIT_ALT = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
_CN = "零一二两三四五六七八九十百千"
_DEC = r"\d+(?:\.\d+)?"
# Two scans (each starts with a character class, which the regex engine skips to quickly): digits,
# then amounts of money written in characters or without a number (百亿元, 过亿元项目: one 亿元).
_SUF = r"(?P<suf>以上|左右|以内|以下|之内)?"
_FIG = re.compile(
    r"(?:"
    rf"(?P<lo>{_DEC})(?:%|％)?\s*(?:—{{1,2}}|–|-|－|~|～|至)\s*(?P<hi>{_DEC})"  # 3—5, 6%-7%
    rf"|(?P<lo2>{_DEC})到(?P<hi2>{_DEC})"
    rf"|(?P<num>{_DEC})"
    r")"
    rf"(?P<unit>{_UNIT_ALT})" + _SUF
)
_FIG_CN = re.compile(rf"(?P<cn>[{_CN}]*)(?P<unit>万亿元|亿元|万元|亿美元)" + _SUF)
_GATE = re.compile(r"[\d亿]")
# Shares written in characters, only after a relation word: 超过三分之一, 超过六成, 超过一半.
_SHARE = re.compile(
    r"(?<=超过|达到|占比|接近|将近|约占)(?:"
    r"(?P<den>[一二三四五六七八九十]+)分之(?P<nom>[一二三四五六七八九十]+)"
    r"|(?P<cheng>[一二三四五六七八九])成(?![果功立员为都本])"
    r"|(?P<half>一半)"
    r")"
)
# Words right before the number that state the relation (longest first).
_PREFIX = [
    ("同比增长", "增长"),
    ("不少于", "不少于"),
    ("不低于", "不少于"),
    ("不超过", "以内"),
    ("保持在", "达到"),
    ("控制在", "以内"),
    ("压缩至", "以内"),
    ("增长", "增长"),
    ("增速", "增长"),
    ("提高", "增长"),
    ("提升", "增长"),
    ("超过", "超过"),
    ("突破", "突破"),
    ("达到", "达到"),
    ("达", "达到"),
    ("超", "超过"),
    ("过", "超过"),
    ("逾", "超过"),
    ("约", "左右"),
    ("近", "左右"),
]
_SUFFIX = {"以上": "以上", "左右": "左右", "以内": "以内", "以下": "以内", "之内": "以内"}

# Clause boundaries: a subject never reaches back over these.
_CLAUSE = re.compile(r"[，,。；;：:！!？?（(）)\n]")
_SENTENCE = re.compile(r"[。；;！!？?]")
# What may close a figure (after it the clause ends); anything else after it is a noun it qualifies.
_ENDS = set("，,。；;：:！!？?）)”’\"'、 \u3000") | {""}

# Subject clean-up, applied repeatedly at the start / end of a subject.
_LEAD = re.compile(
    r"^(?:"
    r"到?\d{4}年(?:度|底|全年)?|今年|明年|全年|年内|年底前|上半年|下半年|一季度|二季度|三季度|四季度|"
    r"其中|同时|此外|另外|共计|合计|具体来看|主要预期目标为|主要目标包括|主要目标是|"
    r"(?:不少|多个|部分|各地|各)?(?:国家)?高新区|园区|示范区|全区|区内|"
    r"全力推动|全力|奋力|力争|争取|确保|推动|推进|预期|预计|计划在|计划|将|要|再|持续|加快|实现|完成|"
    r"建设|打造|保持|继续|[一二三四五六七八九十]是|（[^）]{0,12}）|\([^)]{0,12}\)"
    r")"
)
_TRAIL = re.compile(
    r"(?:同比增长|同比|预期|预计|保持在|保持|继续|达到|达|实现|完成|突破|超过|增长|提高|提升|为|"
    r"控制在|压缩至|不少于|不低于|分别|约|近|超|过)$"
)
_INSIDE = re.compile(r"完成(?=产值|投资|营业收入)|同比")
_ENUM = re.compile(
    r"^(?:[^、]{1,14}、)+[^、]{1,14}?(?:等(?=.)|(?=[一二两三四五六七八九十]大))"
)  # 量子信息、人工智能、集成电路等主导产业产值 -> 主导产业产值
_ZONE_END = re.compile(r"高新区|工业园区|园区|示范区|开发区|中关村|光谷")
_DISTRIBUTE = re.compile(r"^(新增|新引进|引进|新培育|培育)")
_TARGET_CUES = re.compile(
    r"力争|确保|预期|预计|目标|计划|争取|力求|奋力|全力|将|要|提出|明确|部署|任务|推动|打造"
)
_RESULT_CUES = re.compile(
    r"数据显示|共计|实现了|完成了|已经|已完成|集中开工|现场签约|集中签约|签约仪式|较上年|比上年"
)
# In a news article (results by default), only an explicit goal word makes a figure a target.
_GOAL_CUES = re.compile(r"力争|确保|预期|预计|目标|计划|争取|力求|将")
_YEAR = re.compile(r"(\d{4})年|(今年)|(明年)|(去年|上年)")


@dataclass
class _Hit:
    start: int  # of the prefix relation word, else of the number
    num_start: int
    end: int
    value: float | None
    low: float | None
    high: float | None
    unit: str
    relation: str
    kind: str = ""
    subject: str = ""
    indicator: str = ""
    period: int | None = None
    respective: bool = False  # 分别…和…
    lead: str = ""  # the relation word a listed figure shares (分别突破1500亿元和600亿元)


_PREFIX_MAP = dict(_PREFIX)
_PREFIX_LENS = sorted({len(w) for w in _PREFIX_MAP}, reverse=True)


def _prefix_of(text: str, pos: int) -> tuple[int, str | None]:
    for n in _PREFIX_LENS:  # longest first: 同比增长 before 增长
        rel = _PREFIX_MAP.get(text[max(0, pos - n) : pos]) if pos >= n else None
        if rel is not None:
            return pos - n, rel
    return pos, None


def _last(ends: list[int], pos: int) -> int:
    """The last boundary end at or before pos (0 if none)."""
    i = bisect_right(ends, pos)
    return ends[i - 1] if i else 0


def _hits(para: str) -> list[_Hit]:
    out: list[_Hit] = []
    matches = list(_FIG.finditer(para)) + list(_FIG_CN.finditer(para)) if _GATE.search(para) else []
    for m in matches:
        s, e = m.start(), m.end()
        before = para[s - 1] if s else ""
        after = para[e] if e < len(para) else ""
        unit_w = m.group("unit")
        if before.isascii() and before.isalpha() or after.isascii() and after.isalpha():
            continue  # B16项目, 10GWh, 5G: names
        if before in ("第", "前", "."):
            continue  # ranks and ordinals: 第3个, 前20名
        if unit_w == "项" and after == "目":
            continue
        if unit_w == "个" and after in ("月", "季"):
            continue  # durations
        groups = m.groupdict()
        if "cn" in groups:
            if before.isdigit():
                continue  # 1.2万亿元, 2500万元: read by the digit scan
            if not groups["cn"]:
                if before not in ("过", "超") and groups["suf"] != "以上":
                    continue  # a bare 亿元 is one 亿元 only in 过亿元 / 亿元以上
                raw = 1.0
            else:
                n = cn_int(groups["cn"])
                if n is None:
                    continue
                raw = float(n)
        else:
            raw = None
        unit, factor = _UNITS[unit_w]
        lo = groups.get("lo") or groups.get("lo2")
        hi = groups.get("hi") or groups.get("hi2")
        if lo is not None and hi is not None:  # the pattern captures them as a pair
            value, low, high = None, float(lo) * factor, float(hi) * factor
        else:
            num = raw if raw is not None else float(groups["num"])
            value, low, high = num * factor, None, None
        pstart, prel = _prefix_of(para, s)
        suf = m.group("suf")
        relation = _SUFFIX[suf] if suf else prel or "="
        out.append(_Hit(pstart, s, e, value, low, high, unit, relation))
    shares = _SHARE.finditer(para) if ("分之" in para or "成" in para or "一半" in para) else ()
    for m in shares:
        if m.group("half"):
            v = 50.0
        elif m.group("cheng"):
            v = float(cn_int(m.group("cheng")) or 0) * 10
        else:
            v = 100.0 * (cn_int(m.group("nom")) or 0) / (cn_int(m.group("den")) or 1)
        pstart, prel = _prefix_of(para, m.start())
        out.append(_Hit(pstart, m.start(), m.end(), round(v, 2), None, None, "%", prel or "="))
    out.sort(key=lambda h: h.num_start)
    return out


def _strip_zone(s: str) -> str:
    for m in _ZONE_END.finditer(s[:24]):
        head = s[: m.end()]
        if zones_named(head):
            return s[m.end() :]
    return s


def _clean(subject: str, *, enum: bool = True) -> str:
    s = re.sub(r"[\s“”\"'‘’《》「」]", "", subject)
    for _ in range(12):
        before = s
        s = _strip_zone(s)
        s = _LEAD.sub("", s)
        s = _TRAIL.sub("", s)
        if s == before:
            break
    s = _INSIDE.sub("", s)
    m = _ENUM.match(s) if enum else None
    if m and m.end() < len(s):
        s = s[m.end() :]
    return s


def _period(sentence_head: str, para_head: str, year: int | None) -> int | None:
    for text in (sentence_head, para_head):
        found = None
        for m in _YEAR.finditer(text):
            if m.group(1):
                found = int(m.group(1))
            elif m.group(2):
                found = year
            elif m.group(3):
                found = year + 1 if year else None
            else:
                found = year - 1 if year else None
        if found is not None:
            return found
    return year


def _connected(para: str, a: _Hit, b: _Hit) -> bool:
    """b follows a in a list of figures: 10亿元、50亿元和100亿元 / 1500亿元和600亿元."""
    gap = para[a.end : b.start]
    return gap in ("、", "和", "及", "以及", "与")


def extract_figures(
    paragraphs: Iterable[str], *, year: int | None = None, series: bool = True
) -> list[Figure]:
    """Every figure of the paragraphs, in reading order.

    `year`: the year the text is about (an installment's year, else its publication year), for
    periods and to tell last year's results from this year's goals. `series`: the text is a series
    installment (plans by default) rather than a news article (results by default).
    """
    out: list[Figure] = []
    for pi, para in enumerate(paragraphs):
        hits = _hits(para)
        if not hits:
            continue
        clause_ends = [m.end() for m in _CLAUSE.finditer(para)]
        sent_ends = [m.end() for m in _SENTENCE.finditer(para)]
        _mark_other(para, hits)
        _subjects(para, hits, clause_ends, sent_ends)
        _respective(para, hits)
        _kinds(para, hits, sent_ends, year, series)
        for h in hits:
            clause_start = _last(clause_ends, h.start)
            out.append(
                Figure(
                    paragraph=pi,
                    text=para[clause_start : h.end],
                    indicator=h.indicator,
                    value=h.value,
                    low=h.low,
                    high=h.high,
                    unit=h.unit,
                    relation=h.relation,
                    kind=h.kind,
                    period=h.period,
                    shown=h.lead + para[h.start : h.end],
                )
            )
    return out


def _mark_other(para: str, hits: list[_Hit]) -> None:
    """Step 1, kind "other": a figure followed by the noun it qualifies (10项攻坚行动, 过亿元项目)."""
    for i in range(len(hits) - 1, -1, -1):
        h = hits[i]
        nxt = hits[i + 1] if i + 1 < len(hits) else None
        after = para[h.end : h.end + 1]
        if nxt is not None and _connected(para, h, nxt):
            h.kind = nxt.kind or "pending"
        elif after in _ENDS or para.startswith("的目标", h.end) or after == "和":
            h.kind = "pending"
        else:
            h.kind = "other"


def _subjects(para: str, hits: list[_Hit], clause_ends: list[int], sent_ends: list[int]) -> None:
    """Step 2, subjects and indicators: back to the clause start or to the previous measured figure."""
    for i, h in enumerate(hits):
        clause_start = _last(clause_ends, h.start)
        start = clause_start
        prev = None
        for j in range(i - 1, -1, -1):
            p = hits[j]
            if p.end <= clause_start:
                break
            if p.kind != "other":
                prev = p
                start = max(start, p.end)
                break
        if h.kind == "other":
            _qualified_noun(para, hits, i)
        else:
            _measured_subject(para, hits, i, start, prev, sent_ends)
    for i in range(len(hits) - 2, -1, -1):
        h = hits[i]
        nxt = hits[i + 1]
        if (
            h.kind == "other"
            and not h.indicator
            and (_connected(para, h, nxt) or nxt.start == h.end)
        ):
            h.indicator = nxt.indicator  # 10亿元、50亿元和100亿元3个级别


def _qualified_noun(para: str, hits: list[_Hit], i: int) -> None:
    """A figure of kind other: its indicator is the noun it qualifies, up to the next figure or
    the clause end."""
    h = hits[i]
    stop = len(para)
    cm = _CLAUSE.search(para, h.end)
    if cm:
        stop = cm.start()
    for n in hits[i + 1 :]:
        if n.start >= h.end:
            stop = min(stop, n.start)
            break
    noun = para[h.end : stop].lstrip("、和及")
    h.subject = noun
    h.indicator = canonical_indicator(_TRAIL.sub("", noun.split("、")[0]))


def _measured_subject(
    para: str, hits: list[_Hit], i: int, start: int, prev: _Hit | None, sent_ends: list[int]
) -> None:
    """A measured figure: its subject is the text before it, from `start` (the clause start or the
    end of the previous measured figure `prev`)."""
    h = hits[i]
    raw = para[start : h.start]
    if prev is not None:
        raw = raw.lstrip("、和及与")
    # A leading count of a plan's parts is not part of the subject (99个重点项目投资).
    for n in hits[:i]:
        if n.kind == "other" and n.num_start >= start and n.unit not in _MONEY_UNITS:
            if para[start : n.start].strip() == "":
                raw = para[n.end : h.start]
    h.subject = raw
    h.respective = raw.endswith("分别")
    cleaned = _clean(raw)
    if not cleaned:
        # 同比增长7.1% after 地区生产总值突破3200亿元: the previous figure's indicator
        sent = _last(sent_ends, h.start)
        for p in reversed(hits[:i]):
            if p.num_start < sent:
                break
            if p.kind != "other" and p.indicator:
                cleaned = p.indicator
                break
    elif (
        prev is not None
        and para[prev.end : h.start].startswith("、")
        and not _DISTRIBUTE.match(cleaned)
    ):
        lead = _DISTRIBUTE.match(prev.indicator)
        if lead:  # 新增高新技术企业100家以上、科技型中小企业200家以上
            cleaned = lead.group(1) + cleaned
    h.indicator = canonical_indicator(cleaned) if cleaned else ""


def _respective(para: str, hits: list[_Hit]) -> None:
    """Step 3, 分别…和…: one indicator per listed item."""
    for i, h in enumerate(hits):
        if not h.respective:
            continue
        group = [h]
        for n in hits[i + 1 :]:
            if _connected(para, group[-1], n):
                group.append(n)
            else:
                break
        base = _clean(h.subject[: -len("分别")], enum=False)
        items = base.split("、")
        if len(items) != len(group) or len(group) <= 1:
            continue
        tail_m = _RESPECTIVE_TAIL.match(items[-1])
        tail = ""
        if tail_m and tail_m.group(3):
            items[-1] = tail_m.group(1)
            tail = tail_m.group(3)
        for item, g in zip(items, group, strict=True):
            name = item + tail[2:] if item.endswith("产业") else item + tail
            g.indicator = canonical_indicator(name)
            if g.relation == "=" and g is not h:
                g.relation = h.relation  # 分别突破1500亿元和600亿元: both 突破
                g.lead = para[h.start : h.num_start]


# The shared ending of a 分别 list's last item (…和电子信息三大主导产业): each item gets it.
_RESPECTIVE_TAIL = re.compile(
    r"^(.*?)([一二两三四五六七八九十]+大(?:主导|先导|新兴|重点)?)?(产业.*)$"
)


def _kinds(
    para: str, hits: list[_Hit], sent_ends: list[int], year: int | None, series: bool
) -> None:
    """Step 4, kind target / actual and period, per sentence; a list shares its last figure's kind."""
    for h in hits:
        sent_start = _last(sent_ends, h.start)
        sent_end_m = _SENTENCE.search(para, h.end)
        sentence = para[sent_start : sent_end_m.end() if sent_end_m else len(para)]
        h.period = _period(para[sent_start : h.start], para[: h.start], year)
        if h.kind == "other":
            continue
        if year is not None and h.period is not None and h.period < year:
            h.kind = "actual"  # last year's result quoted in this year's text
        elif series:
            # Plans say 同比增长 too: only a reported-result wording makes a figure a result.
            strong = _RESULT_CUES.search(sentence) and not _TARGET_CUES.search(sentence)
            h.kind = "actual" if strong else "target"
        else:
            h.kind = "target" if _GOAL_CUES.search(sentence) else "actual"
    for i in range(len(hits) - 2, -1, -1):
        if _connected(para, hits[i], hits[i + 1]) and hits[i].kind != "other":
            hits[i].kind = hits[i + 1].kind


_MONEY_UNITS = {"亿元", "亿美元"}


def rows_for_sections(
    sections: Sequence[tuple[str | None, str, Sequence[str]]],
    *,
    year: int | None,
    series: bool = True,
) -> list[tuple[str | None, str, Figure]]:
    """(zone, heading, figure) for each (zone, heading, paragraphs) section, in order."""
    out = []
    for zone, heading, paras in sections:
        for f in extract_figures(paras, year=year, series=series):
            out.append((zone, heading, f))
    return out
