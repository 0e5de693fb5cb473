"""DOM to paragraphs: walk a subtree into text blocks, then drop the page chrome among them."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import NamedTuple

from lxml import etree

from parsers.gazetteer import canonical_zone
from parsers.normalize import ASCII_WS_RE, PAD, collapse_all

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

log = logging.getLogger(__name__)

# Elements that start/end a paragraph (everything else is inline and joins its neighbours).
BLOCK_TAGS = frozenset(
    "p div section article main h1 h2 h3 h4 h5 h6 li ul ol dl dt dd table tbody thead tfoot tr td th "
    "blockquote pre figure center hr address details summary caption fieldset legend".split()
)
# Never text of an article: code, embedded objects, forms, figure captions, page furniture.
SKIP_TAGS = frozenset(
    "script style noscript iframe frame frameset object embed applet svg canvas template head title "
    "meta link base button input select option textarea figcaption video audio map area nav "
    "aside footer header dialog".split()
)  # not <form>: ASP.NET pages wrap the whole page, article included, in one
HEADING_TAGS = frozenset("h1 h2 h3 h4 h5 h6".split())
BOLD_TAGS = frozenset(("strong", "b"))

# class/id tokens (split on space, '-' and '_') of page chrome. Exact tokens, so "hotnews" or
# "content" never match; calibrated on chih.cn's older template and common CMS themes, including
# the pinyin abbreviations Chinese CMS use (phb 排行榜, bjtj 编辑推荐, xgyd 相关阅读, xgxw 相关新闻).
_CHROME_TOKENS = frozenset(
    """share sharebar bdshare bshare social jiathis rank ranking paihang recommend tuijian editorrec
    related relate xiangguan qrcode qr erweima ewm copyright banquan disclaimer statement mianze
    breadcrumb breadcrumbs crumb crumbs weizhi nav navbar menu sidebar side comment comments
    pinglun footer foot ad ads advert advertisement banner tags pagination pager toolbar source
    addtime pubtime phb bjtj rdtj rmtj tjyd xgyd xgxw xgwz gg ggw guanggao adbox""".split()
)  # not utility-class words (hidden, position, print...): `overflow-hidden` may wrap an article
_TOKEN_SPLIT = re.compile(r"[\s_-]+")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_CENTER_STYLE = re.compile(r"text-align\s*:\s*center", re.IGNORECASE)
_BOLD_STYLE = re.compile(r"font-weight\s*:\s*(?:bold|bolder|[6-9]00)", re.IGNORECASE)

_CJK_PUNCT = "，。；：！？、“”‘’（）《》…—,.;:!?"


_CHROME_MEMO: dict[str, bool] = {}


def _chrome_value(value: str) -> bool:
    hit = _CHROME_MEMO.get(value)
    if hit is None:
        hit = any(token in _CHROME_TOKENS for token in _TOKEN_SPLIT.split(value.lower()))
        if len(_CHROME_MEMO) < 4096:  # class names repeat across pages; bound the memo anyway
            _CHROME_MEMO[value] = hit
    return hit


def _chrome_attr(cls: str | None, ident: str | None) -> bool:
    return bool((cls and _chrome_value(cls)) or (ident and _chrome_value(ident)))


def is_boilerplate_class(el: etree._Element) -> bool:
    """True when the element's class or id names page chrome (share bar, rank list, footer...)."""
    return _chrome_attr(el.get("class"), el.get("id"))


class Block(NamedTuple):
    """One paragraph as rendered: text plus the markup facts that classify it.

    A NamedTuple rather than a frozen dataclass: a page makes hundreds and creation is on the hot path.
    """

    text: str  # browser whitespace collapsed, padding trimmed
    element: etree._Element  # the block element it belongs to
    tag: str
    bold: bool = False  # every character is inside <strong>/<b>/font-weight:bold
    centered: bool = False
    heading: bool = False  # inside <h1>..<h6>
    link_chars: int = 0
    has_img: bool = False
    after_img: bool = False  # follows an image-only paragraph (a caption candidate)
    item: etree._Element | None = None  # nearest <li>/<dd>/<dt>: teaser lists are told apart by it

    @property
    def link_density(self) -> float:
        return self.link_chars / max(1, len(self.text))


class Span(NamedTuple):
    """A block-level element and the slice of the walk's blocks that lie inside it."""

    element: etree._Element
    start: int
    end: int
    depth: int


# findall beats str.translate with a deletion dict by 5x on CJK text (translate maps char by char).
_PUNCT_RE = re.compile(f"[{re.escape(_CJK_PUNCT)}]")


def count_punct(text: str) -> int:
    """Number of (Chinese or ASCII) punctuation marks in text."""
    return len(_PUNCT_RE.findall(text))


_BOLD, _LINK, _CENTER, _HEAD = 1, 2, 4, 8
_ITEM_TAGS = frozenset(("li", "dd", "dt"))
# Inline tags whose class never marks chrome on the pages we know (links are the most numerous
# elements of a page; skipping their class/id lookups is a measurable share of the walk).
_NO_CLASS_CHECK = frozenset("a i em strong b font u sup sub small big".split())
# Inline tags read in place when they have no children, with the context flag each one adds.
_LEAF_INLINE = {t: 0 for t in "span i em font u sup sub small big".split()}
_LEAF_INLINE.update(a=_LINK, strong=_BOLD, b=_BOLD)


def walk(
    root: etree._Element, *, skip_chrome: bool = True, spans: list[Span] | None = None
) -> list[Block]:
    """Paragraph blocks of a subtree in page order; <br> and block elements split paragraphs.

    With `spans`, every block-level element holding blocks is appended as (element, start, end,
    depth): the generic extractor scores subtrees from these slices without walking the tree again.

    This loop is the hot path of the whole parser: state lives in closure cells and one list
    (`st`), context (inside <strong>, <a>, centered, heading) travels as bit flags, and class/style
    checks are memoised, because a page has hundreds of elements and Python calls are dear.
    """
    out: list[Block] = []
    span_out: list[Span] = spans if spans is not None else []
    parts: list[str] = []
    # st: [bold chars, total chars, link chars, img seen, after an image-only paragraph, owner,
    #      flags, enclosing list item]
    st: list = [0, 0, 0, False, False, root, 0, None]
    append_part = parts.append
    append_block = out.append

    def flush() -> None:
        if parts:
            # browser_ws + trim, inlined: this runs once per paragraph of the page
            text = "".join(parts)
            if "\n" in text or "  " in text or "\t" in text or "\r" in text or "\f" in text:
                text = ASCII_WS_RE.sub(" ", text)
            text = text.strip(PAD)
            if text:
                owner = st[5]
                total = st[1]
                flags = st[6]
                append_block(
                    Block(
                        text,
                        owner,
                        owner.tag,
                        total > 0 and st[0] >= total,
                        bool(flags & _CENTER),
                        bool(flags & _HEAD),
                        st[2],
                        st[3],
                        st[4],
                        st[7],
                    )
                )
                st[4] = False
            elif st[3]:
                st[4] = True  # an image-only paragraph: the next one may be its caption
            parts.clear()
            st[0] = st[1] = st[2] = 0
        elif st[3]:
            st[4] = True
        st[3] = False

    def take(text: str, owner: etree._Element, flags: int) -> None:
        """Add a run of text to the open paragraph, counting its bold and link characters."""
        if text.isspace():
            if parts:
                append_part(text)
            return
        if not parts:
            st[5] = owner
            st[6] = flags
        append_part(text)
        n = len(text)
        st[1] += n
        if flags & _BOLD:
            st[0] += n
        if flags & _LINK:
            st[2] += n

    def visit(el: etree._Element, owner: etree._Element, flags: int, depth: int) -> None:
        tag = el.tag
        if tag.__class__ is not str or tag in SKIP_TAGS:  # comments/PIs: only their tail is text
            return
        if tag == "br":
            if parts or st[3]:
                flush()
            st[5] = owner
            st[6] = flags
            return
        if tag == "img":
            st[3] = True
            return
        # keys() once (a short list, empty for 4 elements in 10) instead of get() per attribute:
        # attribute lookups were a third of the walk.
        keys = el.keys()
        if keys:
            get = el.get
            if skip_chrome and tag not in _NO_CLASS_CHECK and el is not root:
                if "class" in keys and _chrome_value(get("class")):
                    return
                if "id" in keys and _chrome_value(get("id")):
                    return
            sflags = _style_flags(get("style")) if "style" in keys else 0
            if sflags & _S_HIDDEN:
                return
        else:
            sflags = 0
        is_block = tag in BLOCK_TAGS
        start = 0
        if is_block:
            if parts or st[3]:
                flush()
            owner = el
            align = el.get("align") if keys and "align" in keys else None
            if tag == "center" or sflags & _S_CENTER or (align and align.lower() == "center"):
                flags |= _CENTER
            elif align or sflags & _S_ALIGN:
                flags &= ~_CENTER
            if tag in HEADING_TAGS:
                flags |= _HEAD | _BOLD
            st[5] = owner
            st[6] = flags
            start = len(out)
            if tag in _ITEM_TAGS:
                outer_item = st[7]
                st[7] = el
        if tag in BOLD_TAGS or sflags & _S_BOLD:
            flags |= _BOLD
        if tag == "a":  # a bold link is still a link
            flags |= _LINK
        text = el.text
        if text:
            take(text, owner, flags)
        for child in el:
            ctag = child.tag
            if ctag in _LEAF_INLINE and not len(child):
                # An inline element without children (a link, an emphasis: half the elements of a
                # page) is read here rather than in a call of its own, unless an attribute of it
                # needs a look (style; class or id where chrome is checked).
                ckeys = child.keys()
                if ckeys and (
                    "style" in ckeys
                    or (
                        skip_chrome
                        and ctag not in _NO_CLASS_CHECK
                        and ("class" in ckeys or "id" in ckeys)
                    )
                ):
                    visit(child, owner, flags, depth + 1)
                else:
                    t = child.text
                    if t:
                        take(t, owner, flags | _LEAF_INLINE[ctag])
            else:
                visit(child, owner, flags, depth + 1)
            tail = child.tail
            if tail:  # a tail is outside the child: the parent's context holds
                take(tail, owner, flags)
        if is_block:
            if parts or st[3]:
                flush()
            if tag in _ITEM_TAGS:
                st[7] = outer_item
            end = len(out)
            if end > start:
                span_out.append(Span(el, start, end, depth))

    visit(root, root, 0, 0)
    if parts or st[3]:
        flush()
    return out


_S_HIDDEN, _S_CENTER, _S_ALIGN, _S_BOLD = 1, 2, 4, 8
_STYLE_MEMO: dict[str, int] = {}


def _style_flags(style: str) -> int:
    """What an inline style says about visibility, alignment and weight (memoised: styles repeat)."""
    hit = _STYLE_MEMO.get(style)
    if hit is None:
        hit = (
            (_S_HIDDEN if _HIDDEN_STYLE.search(style) else 0)
            | (_S_CENTER if _CENTER_STYLE.search(style) else 0)
            | (_S_ALIGN if "text-align" in style else 0)
            | (_S_BOLD if _BOLD_STYLE.search(style) else 0)
        )
        if len(_STYLE_MEMO) < 4096:
            _STYLE_MEMO[style] = hit
    return hit


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


def clean_blocks(blocks: list[Block], title: str | None = None) -> Cleaned:
    """Drop chrome among body blocks; stop at the copyright block; read the editor line."""
    keep: list[Block] = []
    editor: str | None = None
    dropped = 0
    title_key = collapse_all(title).replace(" ", "") if title else None
    in_related = False
    authors: list[str] = []
    source: str | None = None
    cited: str | None = None
    leads: list[str] = []
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
            editor = editor or _editor_in(blocks[i + 1 : i + 1 + EDITOR_AFTER_END])
            break
        m = EDITOR_RE.match(text) or (_EDITOR_IN_RE.search(text) if n <= 60 else None)
        if m:
            editor = editor or collapse_all(m.group(1))
            dropped += 1
            continue
        lead = _LEAD_RE.match(text) if text[0] in _LEAD_FIRST else None
        if lead:
            if lead.end() < n:
                leads.append(text[lead.end() :])
            dropped += 1
            continue
        if n <= 40 and text[0] in _SHORT_FIRST:
            names = read_byline(text)
            if names:
                authors.extend(x for x in names.split(" ") if x not in authors)
                dropped += 1
                continue
            sm = _SOURCE_LINE_RE.match(text)
            if sm:
                source = source or sm.group(1)
                dropped += 1
                continue
            cm = CITATION_RE.match(text)
            if cm:
                source = source or cm.group(1)
                cited = cited or cm.group(2)
                dropped += 1
                continue
        zone = canonical_zone(text) if len(text) <= 40 else None
        if zone is not None:
            in_related = False
            keep.append(block)
            continue
        if _RELATED_RE.match(text):
            in_related = True
            dropped += 1
            continue
        if in_related and (block.link_density > 0.5 or len(text) < 40):
            dropped += 1
            continue
        in_related = False
        is_caption = len(text) <= 80 and (
            is_caption_text(text)
            or ((block.after_img or block.has_img) and block.centered and not _punct_end(text))
        )
        if (
            _CHROME_TEXT_RE.match(text)
            or is_caption
            or (block.link_density > 0.5 and len(text) < 200)
            or (len(text) <= 80 and (_META_LINE_RE.match(text) or _DATE_LINE_RE.match(text)))
            or (
                title_key
                and len(text) < 120
                and text.replace(" ", "").replace("\u00a0", "") == title_key
            )
        ):
            dropped += 1
            continue
        keep.append(block)
    kept = _drop_repeats(keep, leads)
    dropped += len(keep) - len(kept)
    return Cleaned(tuple(kept), editor, dropped, " ".join(authors) or None, source, cited)


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
