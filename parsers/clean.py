"""DOM to paragraphs: walk a subtree into text blocks, then drop the page chrome among them."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from lxml import etree

from parsers.gazetteer import canonical_zone
from parsers.normalize import browser_ws, collapse_all, trim

__all__ = ["Block", "walk", "clean_blocks", "Cleaned", "EDITOR_RE", "is_boilerplate_class"]

log = logging.getLogger(__name__)

# Elements that start/end a paragraph (everything else is inline and joins its neighbours).
BLOCK_TAGS = frozenset(
    "p div section article main h1 h2 h3 h4 h5 h6 li ul ol dl dt dd table tbody thead tfoot tr td th "
    "blockquote pre figure center hr address details summary caption fieldset legend".split()
)
# Never text of an article: code, embedded objects, forms, figure captions, page furniture.
SKIP_TAGS = frozenset(
    "script style noscript iframe frame frameset object embed applet svg canvas template head title "
    "meta link base button input select option textarea form figcaption video audio map area nav "
    "aside footer header label dialog".split()
)
HEADING_TAGS = frozenset("h1 h2 h3 h4 h5 h6".split())
BOLD_TAGS = frozenset(("strong", "b"))

# class/id tokens (split on space, '-' and '_') of page chrome. Exact tokens, so "hotnews" or
# "content" never match; calibrated on chih.cn's older template and common CMS themes.
_CHROME_TOKENS = frozenset(
    """share sharebar bdshare bshare social jiathis rank ranking paihang recommend tuijian editorrec
    related relate xiangguan qrcode qr erweima ewm copyright banquan disclaimer statement mianze
    breadcrumb breadcrumbs crumb crumbs position location weizhi nav navbar menu sidebar side
    comment comments pinglun footer foot ad ads advert advertisement banner tags pagination pager
    print toolbar source addtime pubtime hidden sr-only""".split()
)
_TOKEN_SPLIT = re.compile(r"[\s_-]+")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_CENTER_STYLE = re.compile(r"text-align\s*:\s*center", re.IGNORECASE)
_BOLD_STYLE = re.compile(r"font-weight\s*:\s*(?:bold|bolder|[6-9]00)", re.IGNORECASE)

_CJK_PUNCT = "，。；：！？、“”‘’（）《》…—,.;:!?"
_PUNCT_RE = re.compile(f"[{re.escape(_CJK_PUNCT)}]")


def is_boilerplate_class(el: etree._Element) -> bool:
    """True when the element's class or id names page chrome (share bar, rank list, footer...)."""
    for attr in ("class", "id"):
        value = el.get(attr)
        if value:
            for token in _TOKEN_SPLIT.split(value.lower()):
                if token in _CHROME_TOKENS:
                    return True
    return False


@dataclass(frozen=True)
class Block:
    """One paragraph as rendered: text plus the markup facts that classify it."""

    text: str  # browser whitespace collapsed, padding trimmed
    element: etree._Element  # the block element it belongs to
    tag: str
    bold: bool = False  # every character is inside <strong>/<b>/font-weight:bold
    centered: bool = False
    heading: bool = False  # inside <h1>..<h6>
    link_chars: int = 0
    has_img: bool = False
    after_img: bool = False  # follows an image-only paragraph (a caption candidate)

    @property
    def link_density(self) -> float:
        return self.link_chars / max(1, len(self.text))

    @property
    def punct(self) -> int:
        return len(_PUNCT_RE.findall(self.text))


class _Acc:
    """Accumulates the inline pieces of the paragraph being built."""

    __slots__ = ("parts", "bold", "total", "link", "img", "after_img", "owner", "centered", "heading")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.bold = 0
        self.total = 0
        self.link = 0
        self.img = False
        self.after_img = False
        self.owner: etree._Element | None = None
        self.centered = False
        self.heading = False


_PAD_CHARS = " \t\n\r\f\u00a0\u3000"


def walk(root: etree._Element, *, skip_chrome: bool = True) -> list[Block]:
    """Paragraph blocks of a subtree in page order; <br> and block elements split paragraphs."""
    out: list[Block] = []
    acc = _Acc()

    def flush() -> None:
        if acc.parts:
            text = trim(browser_ws("".join(acc.parts)))
            if text:
                owner = acc.owner if acc.owner is not None else root
                out.append(
                    Block(
                        text=text,
                        element=owner,
                        tag=owner.tag if isinstance(owner.tag, str) else "div",
                        bold=acc.total > 0 and acc.bold >= acc.total,
                        centered=acc.centered,
                        heading=acc.heading,
                        link_chars=acc.link,
                        has_img=acc.img,
                        after_img=acc.after_img,
                    )
                )
                acc.after_img = False
            elif acc.img:
                acc.after_img = True  # an image-only paragraph: the next one may be its caption
        elif acc.img:
            acc.after_img = True
        acc.parts = []
        acc.bold = acc.total = acc.link = 0
        acc.img = False

    def add(text: str, bold: bool, link: bool) -> None:
        acc.parts.append(text)
        n = len(text.strip(_PAD_CHARS))
        if n:
            acc.total += n
            if bold:
                acc.bold += n
            if link:
                acc.link += n

    def visit(
        el: etree._Element, owner: etree._Element, bold: bool, link: bool, centered: bool, heading: bool
    ) -> None:
        tag = el.tag
        if not isinstance(tag, str):  # comment / processing instruction: only its tail is text
            return
        tag = tag.lower()
        if tag in SKIP_TAGS:
            return
        if el is not root and skip_chrome and (el.get("class") or el.get("id")) and is_boilerplate_class(el):
            return
        style = el.get("style")
        if (style and _HIDDEN_STYLE.search(style)) or el.get("hidden") is not None:
            return
        if tag == "br":
            flush()
            acc.owner, acc.centered, acc.heading = owner, centered, heading
            return
        if tag == "img":
            acc.img = True
            return
        is_block = tag in BLOCK_TAGS
        if is_block:
            flush()
            owner = el
            align = el.get("align")
            if tag == "center" or (align and align.lower() == "center") or (style and _CENTER_STYLE.search(style)):
                centered = True
            elif align or (style and "text-align" in style):
                centered = False
            if tag in HEADING_TAGS:
                heading = True
            acc.owner, acc.centered, acc.heading = owner, centered, heading
        if tag in BOLD_TAGS or heading or (style and _BOLD_STYLE.search(style)):
            bold = True
        if tag == "a":
            link = True
        if el.text:
            if acc.owner is None:
                acc.owner, acc.centered, acc.heading = owner, centered, heading
            add(el.text, bold, link)
        for child in el:
            visit(child, owner, bold, link, centered, heading)
            tail = child.tail
            if tail:
                if acc.owner is None:
                    acc.owner, acc.centered, acc.heading = owner, centered, heading
                add(tail, bold, link)  # a tail is outside the child: the parent's context holds
        if is_block:
            flush()
            acc.owner = None

    visit(root, root, False, False, False, False)
    flush()
    return out


# --- text rules --------------------------------------------------------------------------------

# The editor line, read into `editor`: （责任编辑：韩梦晨） / (责任编辑:韩梦晨) / 责任编辑：韩梦晨
EDITOR_RE = re.compile(r"^[（(\[【]?\s*(?:责任编辑|责编)\s*[：:]\s*([^）)\]】]+?)\s*[）)\]】]?$")
_COPYRIGHT_RE = re.compile(r"^(?:版权与免责声明|版权声明|免责声明)")
# Whole-paragraph chrome: rank lists, 编辑推荐, QR captions, share bars, pagination, breadcrumbs.
_CHROME_TEXT_RE = re.compile(
    r"^(?:排行|点击排行|热门排行|全部\s*/\s*本月|全部|本月|编辑推荐|热点推荐|推荐阅读|热门推荐|热门文章|"
    r"扫描添加.*|扫一扫.*|微信扫.*|（数字报）|\(数字报\)|分享到.*|分享：.*|打印|关闭|【打印】.*|【关闭】.*|"
    r"上一篇.*|下一篇.*|返回顶部|返回首页|字号.*|评论：?\s*\d*|首页\s*[>›»].*|当前位置.*|您的位置.*)$"
)
# Headers of related-link lists: they and the link paragraphs after them go.
_RELATED_RE = re.compile(r"^(?:相关阅读|相关新闻|相关链接|相关文章|延伸阅读|相关报道|往期回顾|更多阅读)[：:]?$")
# Image captions and credits.
_CAPTION_RE = re.compile(
    r"^(?:[（(]?\s*(?:图为|图片为|上图|下图|左图|右图|图\d*\s*[：:]|图片来源|图片由|图源|图/|摄影[：:]|供图))"
    r"|(?:[（(]?(?:图片)?(?:来源|供图|摄影?)[：:][^）)]{1,30}[）)]?$)"
    r"|(?:[\u4e00-\u9fff]{2,4}\s*摄[）)]?$)"
)
_META_LINE_RE = re.compile(r"^(?:来源|作者|发布时间|发布日期|时间|日期|记者|通讯员)\s*[：:]")
_DATE_LINE_RE = re.compile(r"^\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?$")


@dataclass(frozen=True)
class Cleaned:
    """Body paragraphs after cleaning, plus what was read out of the chrome on the way."""

    blocks: tuple[Block, ...]
    editor: str | None
    dropped: int  # how many blocks were removed as chrome


def clean_blocks(blocks: list[Block], title: str | None = None) -> Cleaned:
    """Drop chrome among body blocks; stop at the copyright block; read the editor line."""
    keep: list[Block] = []
    editor: str | None = None
    dropped = 0
    title_key = collapse_all(title).replace(" ", "") if title else None
    in_related = False
    for block in blocks:
        text = block.text
        if _COPYRIGHT_RE.match(text):
            dropped += 1
            break  # the copyright block and whatever follows it (rank lists, QR codes) are chrome
        m = EDITOR_RE.match(text)
        if m:
            editor = editor or collapse_all(m.group(1))
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
            bool(_CAPTION_RE.search(text)) or ((block.after_img or block.has_img) and block.centered and not _punct_end(text))
        )
        if (
            _CHROME_TEXT_RE.match(text)
            or is_caption
            or (block.link_density > 0.5 and len(text) < 200)
            or (len(text) <= 80 and (_META_LINE_RE.match(text) or _DATE_LINE_RE.match(text)))
            or (title_key and len(text) < 120 and text.replace(" ", "").replace("\u00a0", "") == title_key)
        ):
            dropped += 1
            continue
        keep.append(block)
    return Cleaned(tuple(keep), editor, dropped)


def _punct_end(text: str) -> bool:
    return text[-1:] in "。！？；…”"
