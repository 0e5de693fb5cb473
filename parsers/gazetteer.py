"""Gazetteer of China's national high-tech zones (国家高新区): canonical names and aliases."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "ZoneEntry",
    "ZONES",
    "canonical_zone",
    "printed_heading",
    "strip_heading",
    "zone_at_start",
    "zones_named",
]


@dataclass(frozen=True)
class ZoneEntry:
    """One national high-tech zone: canonical name, province, and the aliases that mean it."""

    name: str
    province: str
    aliases: tuple[str, ...]


# Data, not logic. One line per province: "省份: entry entry ...". An entry is a city ("威海" ->
# canonical 威海高新区) or "canonical|alias|alias" for zones whose usual short form is not
# "<city>高新区" (中关村, 苏州工业园区, 东湖高新区 ...) or that have well-known long names;
# "canonical@city|..." also prefixes the city to every form (东湖高新区@武汉 -> 武汉东湖新技术开发区).
# Every official and press form is generated from these (see _variants): X高新区, X国家高新区,
# X高新技术产业开发区, X新技术产业开发区, X国家自主创新示范区, province- and city-prefixed forms.
# Compiled from MOST's list of national high-tech zones; 信阳, 遵义 and 克拉玛依 were added by the
# State Council in June 2022 (173 zones then). The count reached 178 in November 2023; zones not
# listed here are found by their heading's shape instead (zones.py: `unknown zone`; docs/site.md).
_DATA = """
北京: 中关村@北京|中关村科技园区|中关村示范区|中关村国家自主创新示范区|北京中关村|中关村高新区|北京高新区
天津: 天津高新区|天津滨海高新区|滨海高新区|天津滨海高新技术产业开发区|天津国家高新区
河北: 石家庄 保定 唐山 承德 燕郊高新区|燕郊国家高新区|三河燕郊高新区
山西: 太原 长治
内蒙古: 包头稀土高新区|包头高新区|包头稀土高新技术产业开发区 呼和浩特金山高新区|呼和浩特高新区|金山高新区 鄂尔多斯
辽宁: 沈阳 大连 鞍山 营口 辽阳 本溪 阜新 锦州
吉林: 长春 吉林 延吉 长春净月高新区|净月高新区|长春净月国家高新区 通化医药高新区|通化高新区
黑龙江: 哈尔滨 大庆 齐齐哈尔
上海: 张江高新区@上海|张江示范区|张江 紫竹高新区@上海
江苏: 南京 苏州 无锡 常州 泰州 昆山 江阴 徐州 武进 南通 镇江 连云港 盐城 扬州 常熟 淮安 宿迁 苏州工业园区|苏州园区
浙江: 杭州 宁波 绍兴 温州 衢州 湖州莫干山高新区|莫干山高新区|湖州高新区 嘉兴高新区|嘉兴秀洲高新区|秀洲高新区 萧山临江高新区|临江高新区
安徽: 合肥 芜湖 蚌埠 马鞍山慈湖高新区|慈湖高新区|马鞍山高新区 铜陵狮子山高新区|铜陵高新区|狮子山高新区 淮南 安庆 滁州
福建: 福州 厦门高新区|厦门火炬高新区|厦门火炬高技术产业开发区 泉州 莆田 漳州 三明 龙岩
江西: 南昌 新余 景德镇 鹰潭 抚州 吉安 赣州 九江共青城高新区|共青城高新区 宜春丰城高新区|丰城高新区
山东: 济南 青岛 淄博 潍坊 威海高新区|威海火炬高新区|威海火炬高技术产业开发区 济宁 烟台 临沂 泰安 枣庄 莱芜 德州 黄河三角洲农业高新区|黄河三角洲农高区
河南: 郑州 洛阳 安阳 南阳 新乡 平顶山 焦作 信阳
湖北: 东湖高新区@武汉|武汉高新区|东湖示范区|中国光谷|光谷|东湖 襄阳 宜昌 孝感 荆门 随州 仙桃 咸宁 黄冈 荆州 黄石大冶湖高新区|大冶湖高新区|黄石高新区 潜江
湖南: 长沙 株洲 湘潭 益阳 衡阳 郴州 常德 怀化 宁乡
广东: 广州 深圳 珠海 仲恺高新区@惠州|惠州高新区 中山高新区|中山火炬高新区|中山火炬开发区|火炬开发区 佛山 江门 肇庆 松山湖高新区@东莞|松山湖 河源高新区|源城高新区|河源源城高新区 清远 汕头 湛江 茂名
广西: 南宁 桂林 柳州 北海
海南: 海口
重庆: 重庆 璧山 荣昌 永川
四川: 成都 绵阳 自贡 乐山 泸州 攀枝花 德阳 内江
贵州: 贵阳 安顺 遵义
云南: 昆明 玉溪 楚雄
陕西: 西安 宝鸡 杨凌示范区|杨凌农业高新技术产业示范区|杨凌农高区 渭南 榆林 咸阳 安康
甘肃: 兰州 白银
青海: 青海高新区|西宁高新区|青海国家高新区
宁夏: 银川 石嘴山
新疆: 乌鲁木齐 昌吉 石河子高新区|兵团石河子高新区 克拉玛依
"""

# Wrappers that decorate a heading without being part of the name: 【威海高新区】, ■ 威海高新区：
_DECOR = "【】〖〗[]「」『』《》<>■□◆◇●○▲△▶►▼★☆·•◎※—-－_~～:：|｜"
_DECOR_RE = re.compile(f"^[{re.escape(_DECOR)}\\s]+|[{re.escape(_DECOR)}\\s]+$")
# Whitespace a heading may be padded with, inside too (威 海 高 新 区 is never seen, but 威海 高新区 is).
_SPACE_RE = re.compile(r"[\s\u00a0\u3000\u2000-\u200b\ufeff]+")


def _variants(name: str, city: str | None, province: str) -> set[str]:
    """Spellings of one zone that the press uses for headings."""
    out = {name}
    stem = name[: -len("高新区")] if name.endswith("高新区") else None
    if stem:
        out |= {f"{stem}{suffix}" for suffix in _SUFFIXES}
        out |= {f"{stem}市高新区", f"国家{stem}高新区"}
    if city:
        out |= {city + form for form in list(out) if not form.startswith(city)}
    for form in list(out):
        if not form.startswith(province):
            out.add(province + form)
            out.add(province + ("省" if province not in _NOT_PROVINCE else "") + form)
    return out


# What follows a zone's stem in its names: the press form, the official name of almost every zone
# (X高新技术产业开发区), the older official form of the first zones (武汉东湖新技术开发区, 北京市新技术
# 产业开发试验区), and the independent innovation demonstration zones (中关村/东湖/张江/... 国家自主创新示范区).
_SUFFIXES = (
    "国家高新区",
    "高新技术产业开发区",
    "国家高新技术产业开发区",
    "高新技术开发区",
    "新技术产业开发区",
    "新技术开发区",
    "国家自主创新示范区",
    "自主创新示范区",
)

_NOT_PROVINCE = {"北京", "天津", "上海", "重庆", "内蒙古", "广西", "宁夏", "新疆"}


def _build() -> tuple[dict[str, ZoneEntry], dict[str, str]]:
    zones: dict[str, ZoneEntry] = {}
    lookup: dict[str, str] = {}
    for line in _DATA.strip().splitlines():
        province, _, entries = line.partition(":")
        province = province.strip()
        for entry in entries.split():
            parts = entry.split("|")
            head, _, at_city = parts[0].partition("@")
            if len(parts) == 1 and not at_city and not head.endswith(("高新区", "园区", "示范区")):
                name, aliases, city = head + "高新区", [], None
            else:
                name, aliases, city = head, parts[1:], at_city or None
            if name in zones:
                continue
            spellings = set(aliases)
            for form in [name, *aliases]:
                spellings |= _variants(form, city, province)
            spellings.discard(name)
            zones[name] = ZoneEntry(name=name, province=province, aliases=tuple(sorted(spellings)))
            lookup.setdefault(name, name)
            for alias in spellings:
                lookup.setdefault(alias, name)
    return zones, lookup


_ZONES, _LOOKUP = _build()
ZONES: Mapping[str, ZoneEntry] = MappingProxyType(_ZONES)


# Every spelling ends with one of these (checked at import): the finder looks for an ending, then
# for the longest spelling that ends there (a 4,000-way regex alternation is ~10x slower).
_ENDINGS = (
    "高新区",
    "园区",
    "示范区",
    "开发区",
    "农高区",
    "中关村",
    "光谷",
    "松山湖",
    "东湖",
    "张江",
)
_ENDING_RE = ENDING_RE = re.compile("|".join(_ENDINGS))
_LONGEST = max(map(len, _LOOKUP))
_FIRST_CHARS = FIRST_CHARS = frozenset(k[0] for k in _LOOKUP)
assert all(k.endswith(_ENDINGS) for k in _LOOKUP), "a zone spelling with a new ending"
# The last characters of those endings: a text without any (even spaced out) names no zone.
_ZONE_LAST = frozenset(e[-1] for e in _ENDINGS)
_LAST_CHAR_RE = re.compile(f"[{''.join(sorted(_ZONE_LAST))}]")
# What strip_heading may remove after the name: decorations and padding.
_TRAILING = frozenset(_DECOR + "\u00a0\u3000\u200b\ufeff")


# A zone name never ends a sentence: a cheap gate before the regexes of strip_heading.
_SENTENCE_END = frozenset("。；，！？”…、")


def printed_heading(text: str) -> str:
    """A heading as printed, for display and matching: outer padding and decorations (【】, ■, a
    colon) removed, runs of inner whitespace made one space; the name itself untouched."""
    return " ".join(_DECOR_RE.sub("", text.strip()).split())


def strip_heading(text: str) -> str:
    """A heading's text without padding, inner spaces, decorations (【】, a colon) and ordinals (一、)."""
    bare = _SPACE_RE.sub("", _DECOR_RE.sub("", text.strip()))
    return _DECOR_RE.sub("", _ORDINAL_RE.sub("", bare, count=1))


# Numbered headings: 一、威海高新区 / （二）天津高新区 / 3.兰州高新区 / 04 昆明高新区.
_ORDINAL_RE = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}[、.．]|[（(][一二三四五六七八九十\d]{1,3}[）)]|\d{1,2}[、.．]?)"
)


def canonical_zone(text: str) -> str | None:
    """Canonical zone name for a heading or alias (天津滨海高新区 -> 天津高新区), None if not a zone."""
    if not text or len(text) > 40 or text[-1] in _SENTENCE_END:
        return None
    last = text[-1]
    if last not in _ZONE_LAST and (
        (last not in _TRAILING and not last.isspace()) or _LAST_CHAR_RE.search(text) is None
    ):
        return None  # most short paragraphs: they end with something no zone name ends with
    hit = _LOOKUP.get(text)  # the heading as it usually is: the bare name
    if hit is not None:
        return hit
    key = strip_heading(text)
    hit = _LOOKUP.get(key)
    if hit is None and key.endswith("国家级高新区"):
        hit = _LOOKUP.get(key.replace("国家级高新区", "高新区"))
    return hit


def zones_named(text: str) -> list[str]:
    """Canonical zones whose name or alias occurs in running text, in order (longest spelling wins)."""
    out: list[str] = []
    done = 0  # spellings do not overlap: one may not start before the previous one ended
    for m in _ENDING_RE.finditer(text):
        end = m.end()
        for start in range(max(done, end - _LONGEST), m.start() + 1):
            if text[start] not in _FIRST_CHARS:  # cheaper than slicing and hashing
                continue
            hit = _LOOKUP.get(text[start:end])
            if hit is not None:
                out.append(hit)
                done = end
                break
    return out


def zone_at_start(text: str) -> str | None:
    """Canonical zone whose spelling opens `text` (威海高新区将… -> 威海高新区), else None."""
    if not text or text[0] not in _FIRST_CHARS:  # most paragraphs: 会议…, 今年…
        return None
    for m in _ENDING_RE.finditer(text):
        hit = _LOOKUP.get(text[: m.end()])
        if hit is not None:
            return hit
        if m.end() > _LONGEST:
            break
    return None
