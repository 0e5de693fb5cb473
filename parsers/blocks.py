"""DOM to paragraph blocks: walk a subtree once into Blocks (text plus the markup facts that
classify it), skipping elements that are never article text and those whose class or id names page
chrome. parsers/clean.py then drops the chrome among the blocks."""

from __future__ import annotations

import re
from typing import NamedTuple

from lxml import etree

from parsers.normalize import ASCII_WS_RE, PAD

__all__ = [
    "Block",
    "Span",
    "walk",
    "count_punct",
    "is_boilerplate_class",
    "BLOCK_TAGS",
    "SKIP_TAGS",
    "HEADING_TAGS",
    "BOLD_TAGS",
]

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

    Why walk (~160 lines) and visit (~90) stay long: flush, take and visit are closures over the
    same cells, and visit is called once per element; moving its steps (attribute checks, block
    start, the inlined leaf children) into functions of their own would add a call and its
    arguments per element, or per child, on the loop that costs most of a parse (docs/parsing.md,
    "Where the time goes"). Its steps are marked by the comments inside instead.
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
        # 1. elements that are never text, or only a break or an image mark
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
        # 2. chrome and hidden elements (by class, id, style), skipped with their subtree;
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
        # 3. a block element closes the open paragraph and sets the context of the next one
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
        # 4. the element's text, its children (childless inline ones read in place) and their tails
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
        # 5. a block element closes its last paragraph and records its slice of blocks
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
