"""Charset truth from bytes: input bytes -> (text, charset, charset_source)."""

from __future__ import annotations

import codecs
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faultserver import encode_cp1258 as to_cp1258  # tests/ is on sys.path (pytest rootdir-less import)
from tasks.text.decode import canonical_charset, charset_from_markup, decode_html

ZH = "国务院新闻办公室今天举行新闻发布会，介绍前三季度国民经济运行情况。"
ZH_GBK_ONLY = "朱镕基同志在会上讲话，强调要坚持改革开放。"  # 镕 is in GBK, not in GB2312
ZH_GB18030_ONLY = "䶮（yǎn）是一个生僻字，新闻里偶尔出现。"  # 䶮 needs GB18030 four-byte form
ZH_HANT = "國務院新聞辦公室今天舉行新聞發佈會，介紹經濟運行情況。"
VI = "Bộ Thông tin và Truyền thông tổ chức hội nghị về chuyển đổi số quốc gia. Người dân được hưởng lợi."


def page(body: str, meta: str | None = None) -> str:
    m = f'<meta http-equiv="Content-Type" content="text/html; charset={meta}">' if meta else ""
    return f"<html><head>{m}<title>t</title></head><body><p>{body}</p></body></html>"


@pytest.mark.parametrize(
    ("raw", "headers", "expect_text", "charset", "source"),
    [
        (codecs.BOM_UTF8 + page(ZH).encode(), {"Content-Type": "text/html; charset=gbk"}, ZH, "utf-8", "bom"),
        (page(ZH).encode("utf-16"), None, ZH, "utf-16le", "bom"),
        (page(ZH).encode("utf-8"), {"Content-Type": "text/html; charset=gb2312"}, ZH, "utf-8", "utf-8"),
        (page(ZH).encode("gbk"), {"content-type": "text/html; charset=GB2312"}, ZH, "gb18030", "http-header"),
        (page(ZH_GBK_ONLY).encode("gbk"), {"Content-Type": "text/html; charset=gb2312"}, ZH_GBK_ONLY, "gb18030",
         "http-header"),
        (page(ZH_GB18030_ONLY, "gb2312").encode("gb18030"), None, ZH_GB18030_ONLY, "gb18030", "meta"),
        (page(ZH, "gbk").encode("gbk"), {"Content-Type": "text/html; charset=utf-8"}, ZH, "gb18030", "meta"),
        (page(ZH_HANT, "big5").encode("big5"), {"Content-Type": "text/html"}, ZH_HANT, "big5hkscs", "meta"),
        (page("“quoted” café", "iso-8859-1").encode("cp1252"), None, "“quoted” café", "windows-1252", "meta"),
        (b'<?xml version="1.0" encoding="gb2312"?><html><body>' + ZH.encode("gbk") + b"</body></html>", None, ZH,
         "gb18030", "xml-declaration"),
        (page(ZH).encode("gbk"), None, ZH, "gb18030", "detector"),
        # A server-default Latin-1 header loses to the page's own meta that decodes cleanly.
        (page(ZH_GBK_ONLY, "gbk").encode("gbk"), {"Content-Type": "text/html; charset=ISO-8859-1"}, ZH_GBK_ONLY,
         "gb18030", "meta"),
        (page("“quoted” café", "utf-8").encode("cp1252"), {"Content-Type": "text/html; charset=windows-1252"},
         "“quoted” café", "windows-1252", "http-header"),
    ],
)
def test_decode_table(raw: bytes, headers, expect_text: str, charset: str, source: str):
    d = decode_html(raw, headers)
    assert expect_text in d.text
    assert (d.charset, d.charset_source) == (charset, source)
    assert "\ufeff" not in d.text


def test_windows_1258_declared_keeps_every_letter():
    raw = to_cp1258(page(VI, "windows-1258"))
    d = decode_html(raw, {"Content-Type": "text/html"})
    assert (d.charset, d.charset_source) == ("windows-1258", "meta")
    # Decoding yields combining tone marks; NFC (the extractor's job) recomposes every letter.
    assert VI in unicodedata.normalize("NFC", d.text)


def test_windows_1258_undeclared_is_detected():
    d = decode_html(to_cp1258(page(VI)), None)
    assert d.charset_source == "detector"
    assert VI in unicodedata.normalize("NFC", d.text)


def test_nfd_vietnamese_utf8_is_not_normalised_here():
    nfd = unicodedata.normalize("NFD", VI)
    d = decode_html(page(nfd).encode(), None)
    assert nfd in d.text and d.charset_source == "utf-8"


def test_declared_charset_that_does_not_decode_falls_through():
    # Declared Shift_JIS, really GBK: the declaration fails strictly, the detector wins.
    raw = page(ZH * 3, "shift_jis").encode("gbk")
    d = decode_html(raw, None)
    assert ZH in d.text and d.charset == "gb18030"


def test_empty_and_unknown_labels():
    assert decode_html(b"", None).text == ""
    assert canonical_charset("x-no-such-charset") is None
    assert canonical_charset("GB2312") == "gb18030" and canonical_charset("windows-1258") == "windows-1258"
    assert canonical_charset("latin1") == "windows-1252"
    assert charset_from_markup(b"<meta charset='koi8-r'>") == ("koi8-r", "meta")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from([None, "gb2312", "utf-16", "bogus", "windows-1258", ""]))
def test_never_raises(raw: bytes, label: str | None):
    headers = {"Content-Type": f"text/html; charset={label}"} if label is not None else None
    d = decode_html(raw, headers)
    assert isinstance(d.text, str) and d.charset and d.charset_source
    if raw:
        assert d.text  # some text always comes back for non-empty bytes: nothing silently dropped


def test_gbk_page_with_a_cut_character_is_still_gb18030():
    # A real failure mode (a title truncated mid-character): strict GB18030 fails on one
    # byte and a detector that drops every failing codec guesses a Cyrillic code page.
    body = (ZH * 8).encode("gbk")
    raw = b"<html><body><p>" + body + b"</p><p>" + ZH.encode("gbk")[:5] + b"...</p><p>" + body + b"</p></body></html>"
    d = decode_html(raw, None)
    assert (d.charset, d.charset_source) == ("gb18030", "detector-lenient")
    assert ZH * 8 in d.text and d.text.count("\ufffd") == 1


def test_declared_charset_nearly_clean_is_kept_lenient():
    raw = page(ZH * 4, "utf-8").encode() .replace("。".encode(), "。".encode()[:2], 1)
    d = decode_html(raw, None)
    assert (d.charset, d.charset_source) == ("utf-8", "meta-lenient")
    assert d.text.count("\ufffd") == 1 and ZH[:10] in d.text


def test_single_byte_declarations_never_lenient():
    # Windows-1258 decodes nearly anything: "nearly clean" is no evidence for it.
    raw = to_cp1258(page(VI)) + b"\x81\x8d"  # bytes undefined in windows-1252
    d = decode_html(raw, {"Content-Type": "text/html; charset=windows-1252"})
    assert not d.charset_source.startswith("http-header")  # a failing single-byte label is not kept


def test_huge_junk_is_decoded_in_bounded_time():
    import os

    d = decode_html(os.urandom(2_000_000), None)
    assert d.text


def test_utf8_page_with_a_few_stray_latin1_bytes_stays_utf8():
    # A mostly-ASCII German page declared UTF-8: 100 umlauts as UTF-8, 3 image alt texts
    # pasted as Latin-1 ("K\xfcchenblogs"). A single-byte guess would garble every umlaut.
    text = "So schön winterlich ist es wie schon lange nicht mehr, für alle Küchen. " * 25
    raw = (
        b"<html><head><meta charset='UTF-8'></head><body><p>" + text.encode("utf-8")
        + b"</p><img alt='K\xfcchenblogs'><img alt='Hosting f\xfcr Profit' title='Hosting f\xfcr Profit'></body></html>"
    )
    d = decode_html(raw, None)
    assert (d.charset, d.charset_source) == ("utf-8", "meta-lenient")
    assert "So schön winterlich" in d.text and d.text.count("\ufffd") == 3


def test_latin1_page_mislabelled_utf8_is_not_kept_as_utf8():
    text = "Die Straße führt über die Brücke zur Bäckerei, wo es süße Brötchen gibt. " * 10
    raw = b"<html><head><meta charset='UTF-8'></head><body><p>" + text.encode("latin-1") + b"</p></body></html>"
    d = decode_html(raw, None)
    assert d.charset != "utf-8" and "Straße führt über" in d.text
