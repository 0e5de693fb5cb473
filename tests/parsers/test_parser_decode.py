"""Decoding: charset from header, BOM, <meta>; GB2312/GBK as GB18030; undeclared GBK; no mojibake."""

from __future__ import annotations

import codecs

import pytest

from parsers import parse
from parsers.decode import decode, normalise_charset, sniff_meta_charset
from tests.parsers.chihparse_pages import P1, P2, P3, P4, old_page, series_body

# 喆 is in GBK but not in GB2312: a strict GB2312 decoder fails on it, a browser (GBK) does not.
GBK_ONLY = "喆"


def _gbk_page(meta: str | None) -> bytes:
    body = series_body().replace(P2, P2 + f"（{GBK_ONLY}）")
    return old_page(body, charset_meta=meta).encode("gbk")


def test_gbk_declared_only_in_meta_http_equiv() -> None:
    data = _gbk_page('<meta http-equiv="Content-Type" content="text/html; charset=gb2312">')
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    with pytest.raises(UnicodeDecodeError):
        data.decode("gb2312")  # the declared charset itself is too narrow
    article = parse(data)
    assert article.title == "国家高新区密集部署 2024年这样干！⑤"
    assert article.zones[0].paragraphs[1] == P2 + f"（{GBK_ONLY}）"
    assert not article.warnings


def test_charset_from_http_header_only() -> None:
    data = _gbk_page(None)
    article = parse(data, headers={"Content-Type": "text/html; charset=GBK"})
    assert article.zones[0].paragraphs == (P1, P2 + f"（{GBK_ONLY}）")
    assert decode(data, {"content-type": "text/html; charset=GBK"}).how == "header"


def test_header_beats_a_wrong_meta() -> None:
    # The header says GBK, the page's own <meta> wrongly says Big5: header first, as browsers do.
    data = _gbk_page('<meta charset="big5">')
    decoded = decode(data, {"Content-Type": "text/html; charset=gbk"})
    assert decoded.how == "header" and decoded.encoding == "gb18030"
    assert GBK_ONLY in decoded.text


def test_undeclared_gbk_is_sniffed_not_mojibake() -> None:
    data = _gbk_page(None)
    decoded = decode(data)
    assert decoded.encoding == "gb18030" and decoded.how == "sniffed"
    article = parse(data)
    assert article.intro[0].startswith("2024年是实现“十四五”")
    assert "\ufffd" not in article.body_text


def test_utf8_bom_beats_a_lying_meta() -> None:
    text = old_page(series_body(), charset_meta='<meta charset="gbk">')
    data = codecs.BOM_UTF8 + text.encode("utf-8")
    decoded = decode(data)
    assert decoded.how == "bom" and decoded.encoding == "utf-8"
    assert parse(data).zones[1].paragraphs[0].startswith("2月1日，天津高新区")


def test_utf16_bom_page() -> None:
    data = codecs.BOM_UTF16_LE + old_page(series_body(), charset_meta=None).encode("utf-16-le")
    article = parse(data)
    assert [z.name for z in article.zones] == ["威海高新区", "天津高新区"]


def test_declared_latin1_but_utf8_bytes() -> None:
    # Servers that default to ISO-8859-1 while sending UTF-8: decoding as declared is mojibake.
    data = old_page(series_body(), charset_meta=None).encode("utf-8")
    article = parse(data, headers={"Content-Type": "text/html; charset=ISO-8859-1"})
    assert article.zones[0].paragraphs[0] == P1


def test_truncated_multibyte_tail_is_not_a_lie() -> None:
    data = old_page(series_body()).encode("utf-8")
    cut = data[: data.index(P2.encode("utf-8")) + 7]  # inside a 3-byte character
    decoded = decode(cut)
    assert decoded.encoding == "utf-8" and decoded.lossy


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("GB2312", "gb18030"),
        ("gbk", "gb18030"),
        ("x-gbk", "gb18030"),
        ("GB18030", "gb18030"),
        ("UTF8", "utf-8"),
        ("utf-8", "utf-8"),
        ("no-such-charset", None),
        (None, None),
    ],
)
def test_normalise_charset(label: str | None, codec: str | None) -> None:
    assert normalise_charset(label) == codec


def test_sniff_meta_charset_forms() -> None:
    assert sniff_meta_charset(b'<meta charset="GBK">') == "GBK"
    assert (
        sniff_meta_charset(b"<META HTTP-EQUIV='Content-Type' CONTENT='text/html; charset=gb2312'>")
        == "gb2312"
    )
    assert sniff_meta_charset(b"<meta name='x' content='y'>") is None


def test_utf8_declared_as_gbk_is_read_as_utf8() -> None:
    # UTF-8 bytes also "decode" as GB18030 (into mojibake): valid UTF-8 wins over the declaration.
    data = old_page(series_body(), charset_meta='<meta charset="gbk">').encode("utf-8")
    assert parse(data).zones[0].paragraphs[0] == P1
    assert (
        parse(data, headers={"Content-Type": "text/html; charset=gb2312"}).zones[0].paragraphs[0]
        == P1
    )


def test_a_stray_bad_byte_does_not_turn_utf8_into_mojibake() -> None:
    data = old_page(series_body()).encode("utf-8")
    i = data.index(P1.encode("utf-8"))
    article = parse(data[:i] + b"\xff" + data[i:])
    assert article.zones[0].paragraphs[0].endswith(P1)
    assert article.zones[1].paragraphs == (P3, P4)  # the rest of the page is read as written
    assert any("could not be decoded" in w for w in article.warnings)


def test_gb18030_four_byte_characters_fall_back_from_gbk() -> None:
    """GBK is tried first for speed; a character only GB18030 encodes (4 bytes) must still decode."""
    rare = "𠀀㐀"  # outside GBK: four-byte sequences in GB18030
    body = series_body().replace(P2, P2 + rare)
    data = old_page(body, charset_meta='<meta charset="gb18030">').encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("gbk")
    article = parse(data)
    assert article.zones[0].paragraphs[1] == P2 + rare
    assert decode(data).text == data.decode("gb18030")


def test_gbk_fast_decode_equals_gb18030_on_every_two_byte_code() -> None:
    checked = 0
    for lead in range(0x81, 0xFF):
        for trail in range(0x40, 0xFF):
            code = bytes((lead, trail))
            try:
                gbk = code.decode("gbk")
            except UnicodeDecodeError:
                continue  # decode() falls back to GB18030 for the whole page
            assert gbk == code.decode("gb18030"), code.hex()
            checked += 1
    assert checked > 20000


def test_a_few_bad_bytes_close_together_keep_utf8() -> None:
    """The quick window check after the first bad byte must not turn a nearly-UTF-8 page to GBK."""
    data = old_page(series_body()).encode("utf-8")
    i = data.index(P1.encode("utf-8"))
    article = parse(data[:i] + b"\xff\xfe\xff" + data[i:])
    assert article.zones[0].paragraphs[0].endswith(P1) and article.zones[1].paragraphs == (P3, P4)
    gbk = old_page(series_body(), charset_meta=None).encode("gbk")
    assert decode(gbk).encoding == "gb18030"  # a GBK page fails the window check
