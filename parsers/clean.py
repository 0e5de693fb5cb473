"""Block cleaning: drop the page chrome among the body's blocks (parsers/blocks.py walks the DOM
into them) and read the metadata lines on the way (editor, byline, source, citation, lead box)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from parsers.blocks import Block, Span, count_punct, is_boilerplate_class, walk
from parsers.gazetteer import canonical_zone
from parsers.normalize import collapse_all

__all__ = [
    "Block",
    "Span",
    "walk",
    "clean_blocks",
    "Cleaned",
    "CITATION_RE",
    "EDITOR_RE",
    "read_byline",
    "count_punct",
    "is_boilerplate_class",
]

# --- text rules --------------------------------------------------------------------------------

# The editor line, read into `editor`: （责任编辑：韩梦晨） / (责任编辑:韩梦晨) / 责任编辑：韩梦晨
EDITOR_RE = re.compile(
    r"^[（(\[【]?\s*(?:责任编辑|责编|编辑)\s*[：:]\s*([^）)\]】]+?)\s*[）)\]】]?$"
)
# The editor line sharing a short block with other chrome: 【纠错】【责任编辑:韩梦晨】
_EDITOR_IN_RE = re.compile(r"(?:责任编辑|责编)\s*[：:]\s*([^）)\]】\s]{1,20})")
# The end of the article: the site's copyright block, and the notices portals put under a repost
# (特别声明：以上文章内容仅代表作者本人观点… / 平台声明：… / 返回搜狐，查看更多 / NetEase's Notice).
_COPYRIGHT_RE = re.compile(
    r"^(?:版权与免责声明|版权声明|免责声明|特别声明|平台声明|郑重声明|返回搜狐|Notice: The content above)"
)
# Whole-paragraph chrome: rank lists, 编辑推荐, QR captions, share bars, pagination, breadcrumbs.
_CHROME_TEXT_RE = re.compile(
    r"^(?:全部\s*/?\s*(?:本月)?|本月|本周|[【\[]纠错[】\]]|"
    r"扫描添加.*|扫一扫.*|微信扫.*|（数字报）|\(数字报\)|分享到.*|分享：.*|打印|关闭|【打印】.*|【关闭】.*|"
    r"上一篇.*|下一篇.*|返回顶部|返回首页|字号.*|评论：?\s*\d*|首页\s*[>›»].*|当前位置.*|您的位置.*|"
    # e-paper furniture: the page header 第A9版:园区党建, page and issue navigation
    r"第\s*[A-Z]?\d{1,3}\s*版\s*[：:].{0,16}|上一版|下一版|上一期|下一期|版面导航|标题导航|返回目录|"
    # portal comment boxes and in-article ad labels
    r"(?:我来说两句|我要评论|发表评论|网友评论|查看评论|全部评论|热门评论|最新评论|登录后发表评论|"
    r"文明上网理性发言|(?:已有)?\s*\d+\s*人参与|\d+\s*条评论).{0,30}|广告|推广|AD)$"
)
# Headers of related-link lists: they and the link paragraphs after them go.
# Headers of link lists (related articles, rank lists, recommendations): they and the short or
# link-only paragraphs right after them go.
_RELATED_RE = re.compile(
    r"^(?:相关阅读|相关新闻|相关链接|相关文章|延伸阅读|相关报道|往期回顾|更多阅读|"
    r"排行|点击排行|热门排行|排行榜|编辑推荐|热点推荐|推荐阅读|热门推荐|热门文章|精彩推荐)[：:]?$"
)
# Image captions and credits.
_CAPTION_START_RE = re.compile(
    r"[（(]?\s*(?:图为|图片为|上图|下图|左图|右图|图\d*\s*[：:]|图片来源|图片由|图源|图/|摄影[：:]|供图|视频[：:]|视频来源)"
)
# Credits at the end: （图片来源：…） / 张三 摄 / （合肥高新区供图）. Searched only when a marker occurs.
_CAPTION_END_RE = re.compile(
    r"(?:[（(]?(?:图片)?(?:来源|供图|摄影?)[：:][^）)]{1,30}[）)]?$)|(?:[\u4e00-\u9fff]{2,12}\s*(?:摄|供图)[）)]?$)"
)
_CAPTION_MARKERS = ("摄", "来源", "供图")


def is_caption_text(text: str) -> bool:
    """A short paragraph that reads like an image/video caption or credit."""
    if len(text) > 80:
        return False
    if _CAPTION_START_RE.match(text):
        return True
    return any(m in text for m in _CAPTION_MARKERS) and _CAPTION_END_RE.search(text) is not None


_META_LINE_RE = re.compile(r"^(?:来源|作者|发布时间|发布日期|时间|日期|记者|通讯员)\s*[：:]")
_DATE_LINE_RE = re.compile(
    r"^\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?"
    r"(?:\s*(?:星期|周)[一二三四五六日天])?$"
)


# A byline paragraph: 本报记者 罗晓燕 / 文/张三 / 记者 张三 通讯员 李四 / （本报记者 王五 报道）.
# Short and without sentence punctuation; the names go to `author`.
_BYLINE_RE = re.compile(
    r"^[■●◆□▲]?\s*[（(]?\s*(?:文\s*[/／|]\s*)?"
    r"(?:本报|本网|本刊)?(?:特约|见习)?(?:记者|通讯员)|^[■●◆□▲]?\s*[（(]?\s*文\s*[/／|]"
)
_BYLINE_ROLE_RE = re.compile(
    r"(?:本报|本网|本刊)?(?:特约|见习)?(?:记者|通讯员)|文\s*[/／|]|图\s*[/／|]|报道|[：:（）()■●◆□▲]"
)
_BYLINE_NAME_RE = re.compile(r"^[\u4e00-\u9fff·]{2,4}$")
# Words of a sentence about a reporter (记者获悉, 记者从会上了解到), never of a name.
_NOT_NAME_RE = re.compile(r"获悉|了解|表示|采访|会上|看到|发现|从|在|说|称|日")
_SENTENCE_MARKS = frozenset("，。；！？,;!?“”")
# A source line inside the body, as reposts carry it: （来源：中国高新网）
_SOURCE_LINE_RE = re.compile(
    r"^[（(]?\s*(?:来源|稿件来源|文章来源)\s*[：:]\s*([^）)\s]{2,30})\s*[）)]?$"
)
# The e-paper's citation line: 《中国高新技术产业导报》（2025年03月24日 第A9版）
CITATION_RE = re.compile(
    r"^《([^》]{2,30})》\s*[（(]\s*(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)"
    r"\s*(?:第?\s*[A-Z]?\d{1,3}\s*版)?\s*[）)]$"
)
# A lead box label: 导读 / 【导读】 / 内容提要：…; the box repeats or summarises the body.
_LEAD_RE = re.compile(r"^[【\[]?(?:导读|导语|内容提要|内容摘要|摘要)[】\]]?\s*[：:]?\s*")
# A paragraph this long that occurs twice is one text repeated (a lead box, a pasted duplicate).
DUPLICATE_MIN_CHARS = 20


def read_byline(text: str) -> str | None:
    """The names of a byline paragraph (`本报记者 罗晓燕 通讯员 王明` -> `罗晓燕 王明`), else None."""
    if len(text) > 40 or not _BYLINE_RE.match(text) or any(c in _SENTENCE_MARKS for c in text):
        return None
    rest = _BYLINE_ROLE_RE.sub(" ", text)
    parts = [n for n in re.split(r"[\s、/／|，,\u00a0\u3000]+", rest) if n]
    names: list[str] = []
    for part in parts:  # 高 翔: a two-character name spaced out to the width of three
        if names and len(names[-1]) == 1:
            names[-1] += part
        else:
            names.append(part)
    if not names or not all(_BYLINE_NAME_RE.match(n) and not _NOT_NAME_RE.search(n) for n in names):
        return None
    return " ".join(names)


@dataclass(frozen=True)
class Cleaned:
    """Body paragraphs after cleaning, plus what was read out of the chrome on the way."""

    blocks: tuple[Block, ...]
    editor: str | None
    dropped: int  # how many blocks were removed as chrome
    author: str | None = None  # names of byline paragraphs inside the body
    source: str | None = None  # a source line inside the body （来源：…）, or the citation's paper
    cited: str | None = None  # the date of an e-paper citation line (2025年03月24日)


@dataclass
class _Read:
    """What clean_blocks reads out of the chrome it drops (editor, byline names, source, citation)."""

    editor: str | None = None
    authors: list[str] = field(default_factory=list)
    source: str | None = None
    cited: str | None = None
    leads: list[str] = field(default_factory=list)  # texts of lead boxes (导读：…)


def clean_blocks(blocks: list[Block], title: str | None = None) -> Cleaned:
    """Drop chrome among body blocks; stop at the copyright block; read the editor line.

    One pass with two pieces of state: what was read (`_Read`) and whether the blocks follow a
    related-links header (`in_related`, ended by the next kept block).
    """
    keep: list[Block] = []
    read = _Read()
    dropped = 0
    title_key = collapse_all(title).replace(" ", "") if title else None
    in_related = False
    for i, block in enumerate(blocks):
        text = block.text
        n = len(text)
        if n > 80 and text[0] not in _LONG_FIRST:
            # Fast path (most body paragraphs): no anchored chrome pattern can start here.
            if block.link_chars * 2 > n and (n < 200 or in_related):
                dropped += 1
            else:
                in_related = False
                keep.append(block)
            continue
        if _COPYRIGHT_RE.match(text):
            dropped += len(blocks) - i
            # The copyright block, a portal's notice and whatever follows them (rank lists, QR
            # codes, comment boxes) are chrome; a portal's editor line may still follow.
            read.editor = read.editor or _editor_in(blocks[i + 1 : i + 1 + EDITOR_AFTER_END])
            break
        if _read_line(text, read):
            dropped += 1
            continue
        if n <= 40 and canonical_zone(text) is not None:
            in_related = False
            keep.append(block)
            continue
        if _RELATED_RE.match(text):
            in_related = True
            dropped += 1
            continue
        if in_related and (block.link_density > 0.5 or n < 40):
            dropped += 1
            continue
        in_related = False
        if _is_chrome(block, title_key):
            dropped += 1
            continue
        keep.append(block)
    kept = _drop_repeats(keep, read.leads)
    dropped += len(keep) - len(kept)
    authors = " ".join(read.authors) or None
    return Cleaned(tuple(kept), read.editor, dropped, authors, read.source, read.cited)


def _read_line(text: str, read: _Read) -> bool:
    """Whether the paragraph is a line of metadata (editor, lead box, byline, source, citation),
    read into `read`: such a line is dropped from the body."""
    n = len(text)
    m = EDITOR_RE.match(text) or (_EDITOR_IN_RE.search(text) if n <= 60 else None)
    if m:
        read.editor = read.editor or collapse_all(m.group(1))
        return True
    lead = _LEAD_RE.match(text) if text[0] in _LEAD_FIRST else None
    if lead:
        if lead.end() < n:
            read.leads.append(text[lead.end() :])
        return True
    if n > 40 or text[0] not in _SHORT_FIRST:
        return False
    names = read_byline(text)
    if names:
        read.authors.extend(x for x in names.split(" ") if x not in read.authors)
        return True
    sm = _SOURCE_LINE_RE.match(text)
    if sm:
        read.source = read.source or sm.group(1)
        return True
    cm = CITATION_RE.match(text)
    if cm:
        read.source = read.source or cm.group(1)
        read.cited = read.cited or cm.group(2)
        return True
    return False


def _is_chrome(block: Block, title_key: str | None) -> bool:
    """Whole-paragraph chrome: a chrome phrase, a caption, a link line, a byline or date line, or
    the title repeated."""
    text = block.text
    n = len(text)
    if n <= 80 and (
        is_caption_text(text)
        or ((block.after_img or block.has_img) and block.centered and not _punct_end(text))
    ):
        return True
    return bool(
        _CHROME_TEXT_RE.match(text)
        or (block.link_density > 0.5 and n < 200)
        or (n <= 80 and (_META_LINE_RE.match(text) or _DATE_LINE_RE.match(text)))
        or (title_key and n < 120 and text.replace(" ", "").replace("\u00a0", "") == title_key)
    )


# How many blocks after the end of the article are searched for a portal's editor line.
EDITOR_AFTER_END = 6


def _editor_in(blocks: list[Block]) -> str | None:
    for block in blocks:
        m = EDITOR_RE.match(block.text)
        if m:
            return collapse_all(m.group(1))
    return None


def _drop_repeats(blocks: list[Block], leads: list[str]) -> list[Block]:
    """Blocks without a repeated lead: one of the first LEAD_WINDOW paragraphs whose text the body
    gives again later is a lead box (or the e-paper's lead paragraph) and goes; repeats further
    down are the article's own (two zones may share a sentence) and stay."""
    head = []
    for i, b in enumerate(blocks[:LEAD_WINDOW]):
        if len(b.text) <= 40 and canonical_zone(b.text):
            break  # a zone's section has begun: what repeats there is the article's own
        if len(b.text) >= DUPLICATE_MIN_CHARS:
            head.append(i)
    if not head:
        return blocks
    later: set[str] = {b.text for b in blocks[LEAD_WINDOW:]}
    drop = set()
    for i in head:
        text = blocks[i].text
        if text in later or any(b.text == text for b in blocks[i + 1 : LEAD_WINDOW]):
            drop.add(i)
    return [b for i, b in enumerate(blocks) if i not in drop] if drop else blocks


# How many paragraphs at the top of the body may be a repeated lead.
LEAD_WINDOW = 3


# First characters of every anchored rule that can hit a paragraph longer than 80 characters.
_LONG_FIRST = frozenset("版免（([【责扫微分上下字首当您特平郑返N导内摘")
_LEAD_FIRST = frozenset("导内摘【[")
# First characters of a byline, a source line and a citation line (a gate before their regexes).
_SHORT_FIRST = frozenset("■●◆□▲（(文本记通特见来稿《")


def _punct_end(text: str) -> bool:
    return text[-1:] in "。！？；…”"
