"""Cleaning: every kind of page chrome leaves the body; paragraph text is kept exactly."""

from __future__ import annotations

import pytest

from parsers import parse
from parsers.normalize import norm_text
from tests.parsers.chihparse_pages import COPYRIGHT, INTRO, P1, P2, P3, new_page, old_page

ARTICLE = "长三角国家高新区协同创新按下“快进键”"


def _body_with(chrome: str) -> str:
    """A non-series article body with chrome pasted between its paragraphs."""
    return f"<p>　　{INTRO}</p>\n{chrome}\n<p>　　{P1}</p>\n<p>　　{P3}</p>"


CHROME = {
    "script": ("<script>var note = '脚本里的文字，不是正文。';</script>", "脚本里的文字"),
    "style": ("<style>p.x:after { content: '样式文字'; }</style>", "样式文字"),
    "share bar": (
        '<div class="bdshare">分享到：<a href="#">微信</a><a href="#">微博</a></div>',
        "分享到",
    ),
    "share paragraph": ("<p>分享到：微信 微博 QQ空间</p>", "分享到"),
    "rank list": (
        '<div><h3>排行</h3><ul><li>全部/</li><li>本月</li></ul><ul><li><a href="/1.html">第一名的新闻标题</a></li>'
        '<li><a href="/2.html">第二名的新闻标题</a></li></ul></div>',
        "第一名的新闻标题",
    ),
    "编辑推荐": (
        '<div><p>编辑推荐</p><p><a href="/x.html">一条推荐的新闻标题</a></p></div>',
        "一条推荐",
    ),
    "QR captions": (
        "<p><img src='qr.png'/></p><p>扫描添加 中国高新APP客户端</p><p>（数字报）</p>",
        "扫描添加",
    ),
    "related links": (
        '<p>相关阅读：</p><p><a href="/a.html">国家高新区密集部署 2024年这样干！③</a></p>'
        '<p><a href="/b.html">国家高新区密集部署 2024年这样干！④</a></p>',
        "这样干！③",
    ),
    "image caption": (
        '<p style="text-align:center"><img src="a.jpg"/></p><p style="text-align:center">图为威海高新区产业园一角。</p>',
        "产业园一角",
    ),
    "image credit": ("<p>（图片来源：威海高新区管委会）</p>", "图片来源"),
    "photographer credit": (
        '<p><img src="b.jpg"/></p><p style="text-align:center">新区全景 张三 摄</p>',
        "张三",
    ),
    "breadcrumb": ("<p>首页 &gt; 热点 &gt; 要闻 &gt; 正文</p>", "首页"),
    "pager": ('<p><a href="/p.html">上一篇：另一篇新闻</a></p><p>下一篇：又一篇新闻</p>', "上一篇"),
    "hidden": ('<p style="display:none">隐藏的文字，不显示，不是正文。</p>', "隐藏的文字"),
}


@pytest.mark.parametrize("kind", sorted(CHROME))
def test_chrome_inside_the_body_is_removed(kind: str) -> None:
    html, marker = CHROME[kind]
    article = parse(old_page(_body_with(html), title=ARTICLE).encode("utf-8"))
    assert marker not in article.body_text
    assert article.intro == (INTRO, P1, P3)


@pytest.mark.parametrize("kind", sorted(CHROME))
def test_chrome_is_removed_on_the_generic_path_too(kind: str) -> None:
    html, marker = CHROME[kind]
    article = parse(new_page(_body_with(html), title=ARTICLE).encode("utf-8"))
    assert article.template == "generic"
    assert marker not in article.body_text
    assert article.intro == (INTRO, P1, P3)


def test_editor_line_becomes_metadata() -> None:
    body = _body_with("") + '\n<p style="text-align:right">（责任编辑：韩梦晨）</p>'
    article = parse(old_page(body, title=ARTICLE).encode("utf-8"))
    assert article.editor == "韩梦晨"
    assert "责任编辑" not in article.body_text


def test_copyright_block_in_the_body_ends_it() -> None:
    body = (
        _body_with("")
        + "\n"
        + COPYRIGHT.replace('<div class="banquan">', "<div>")
        + f"\n<p>{P2}</p>"
    )
    article = parse(old_page(body, title=ARTICLE, after_content="").encode("utf-8"))
    assert "版权与免责声明" not in article.body_text
    assert "凡本站注明" not in article.body_text
    assert P2 not in article.body_text  # whatever follows the copyright block is chrome too
    assert article.intro == (INTRO, P1, P3)


def test_copyright_block_circled_digits_are_not_an_installment() -> None:
    body = _body_with("") + "\n" + COPYRIGHT
    article = parse(
        old_page(body, title="国家高新区密集部署 2024年这样干！", after_content="").encode("utf-8")
    )
    assert article.series == "国家高新区密集部署"
    assert article.installment is None


def test_padding_is_trimmed_and_inner_text_kept_exactly() -> None:
    body = (
        "<p>&nbsp;&nbsp;　　" + P1 + "&nbsp;　</p>\n"
        "<p>\n      会议提出，全年力争\n      新落地项目10个以上，<strong>重点</strong>推进R&amp;D投入。  </p>\n"
        "<p>甲方&nbsp;乙方，合作“双赢”，达成协议，签约金额100亿元。</p>"
    )
    article = parse(old_page(body, title=ARTICLE).encode("utf-8"))
    assert article.intro[0] == P1
    # Source-formatting newlines collapse to one space, as a browser renders them; <strong> stays.
    assert article.intro[1] == "会议提出，全年力争 新落地项目10个以上，重点推进R&D投入。"
    # An NBSP inside a paragraph is published text: kept.
    assert article.intro[2] == "甲方\u00a0乙方，合作“双赢”，达成协议，签约金额100亿元。"


def test_br_splits_paragraphs() -> None:
    body = f"<p>　　{P1}<br/>　　{P2}<br><br>　　{P3}</p>"
    article = parse(old_page(body, title=ARTICLE).encode("utf-8"))
    assert article.intro == (P1, P2, P3)


def test_inline_markup_stays_inside_its_paragraph() -> None:
    body = f'<p>　　<strong>会议强调</strong>，{P1}<a href="/gxq/">威海高新区</a>将<span style="color:red">持续发力</span>。</p>'
    article = parse(old_page(body + f"<p>{P3}</p>", title=ARTICLE).encode("utf-8"))
    assert article.intro[0] == f"会议强调，{P1}威海高新区将持续发力。"


def test_norm_text_collapses_every_whitespace_kind() -> None:
    assert norm_text("\u3000\u00a0 甲  乙\u00a0\u00a0丙\n丁 \u3000") == "甲 乙 丙 丁"
    assert norm_text("") == ""


def test_whole_page_in_a_form_and_utility_classes_are_not_chrome() -> None:
    # ASP.NET pages wrap everything in <form>; CSS frameworks put words like "hidden" and
    # "position" in class names of the very container that holds the article.
    page = new_page(_body_with(""), title=ARTICLE).replace(
        "<body>", '<body><form id="form1" method="post">'
    )
    page = page.replace(
        'class="art-body"', 'class="art-body overflow-hidden position-relative print-area"'
    )
    article = parse(page.replace("</body>", "</form></body>").encode("utf-8"))
    assert article.intro == (INTRO, P1, P3)


def test_editor_line_sharing_a_block_with_other_chrome() -> None:
    tail = '<div id="articleEdit"><span>【纠错】</span><span class="ed">【责任编辑:韩梦晨】</span></div>'
    article = parse(new_page(_body_with("") + tail, title=ARTICLE).encode("utf-8"))
    assert article.editor == "韩梦晨"
    assert article.intro == (INTRO, P1, P3)


def test_title_and_byline_above_the_body_are_not_body() -> None:
    # Headings never count as body evidence, and colons/dashes are not sentence punctuation.
    page = f"""<html><head><meta charset="utf-8"><title>{ARTICLE}-新华网</title></head><body>
    <div class="main"><div class="head-line"><h1>{ARTICLE}</h1>
    <div class="info">2024-02-06 08:53:40 来源：中国高新技术产业导报</div></div>
    <div id="detail"><p>{INTRO}</p><p>{P1}</p><p>{P3}</p></div></div></body></html>"""
    article = parse(page.encode("utf-8"))
    assert article.intro == (INTRO, P1, P3)
    assert (
        article.published == "2024-02-06T08:53:40+08:00"
        and article.source == "中国高新技术产业导报"
    )


def test_walk_reads_childless_inline_elements_with_their_context() -> None:
    """Leaf <a>/<strong>/<span> are read in place (a fast path): their flags and skips must hold."""
    from lxml import etree

    from parsers.clean import walk

    root = etree.fromstring(
        "<div><p><strong>威海高新区</strong></p>"
        '<p>正文<a href="/x">链接文字</a>结束。<span style="display:none">隐藏</span>'
        '<span class="share">分享</span><span class="note">注</span><b>粗</b></p>'
        '<p><a href="/y" style="font-weight:bold">全是链接</a></p></div>',
        etree.HTMLParser(),
    ).find(".//div")
    blocks = walk(root)
    assert [b.text for b in blocks] == ["威海高新区", "正文链接文字结束。注粗", "全是链接"]
    assert blocks[0].bold and not blocks[1].bold and blocks[2].bold
    assert blocks[1].link_chars == len("链接文字") and blocks[2].link_chars == len("全是链接")
