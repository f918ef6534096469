"""Decode raw page bytes to text: charset truth from bytes, recorded with its source.

Contract: `decode_html(content: bytes, headers: dict[str, str] | None = None) -> Decoded`
with fields text (str), charset (str), charset_source ("bom" | "utf-8" | "http-header" |
"meta" | "detector" | ...). Never raises on any bytes.

Order (the bytes are the truth, declarations are hints):
1. a byte-order mark                                  -> charset_source "bom"
2. the bytes are valid UTF-8                          -> "utf-8"
3. the HTTP Content-Type charset, if it decodes cleanly -> "http-header"
   (except a header Latin-1/Windows-1252, a common server default, loses to a different
   markup declaration that also decodes cleanly)
4. a <meta> / XML-declaration charset, if it decodes cleanly -> "meta" / "xml-declaration"
5. a multi-byte charset (declared, or UTF-8/GB18030 confirmed by the detector) that fails
   on only a handful of bytes, those bytes replaced -> "<source>-lenient"
6. charset-normalizer's best guess                    -> "detector"
7. UTF-8 with U+FFFD replacements (nothing else fit)  -> "fallback"

A declared gb2312/gbk (and their aliases) decodes as GB18030, its superset: pages that
declare gb2312 routinely contain GBK/GB18030-only characters. Windows-1258 (Vietnamese)
decodes to base letters + combining tone marks; the text is kept as decoded (no
normalisation here) and the extractor applies NFC, which recomposes it.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

# How far into the document a <meta charset> is looked for (the HTML spec prescans 1024
# bytes; real pages put long <script>/<style> blocks first, so look further).
META_SCAN_BYTES = 16_384

_BOMS: tuple[tuple[bytes, str, str], ...] = (
    # (bom, python codec that strips it, reported charset); UTF-32 before UTF-16: FF FE 00 00
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32", "utf-32le"),
    (codecs.BOM_UTF32_BE, "utf-32", "utf-32be"),
    (codecs.BOM_UTF16_LE, "utf-16", "utf-16le"),
    (codecs.BOM_UTF16_BE, "utf-16", "utf-16be"),
)

# Declared labels decoded with a superset codec (what browsers do; WHATWG Encoding).
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "gb18030": "gb18030",
    "hz": "hz",
    "big5": "big5hkscs",
    "latin-1": "windows-1252",
    "iso8859-1": "windows-1252",
    "ascii": "windows-1252",
    "cp1252": "windows-1252",
    "iso8859-9": "windows-1254",
    "iso8859-11": "windows-874",
    "tis-620": "windows-874",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
}

_CT_CHARSET_RE = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:+\-]+)""", re.I)
_META_RE = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:+\-]+)""", re.I | re.S
)
_XML_DECL_RE = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9_.:+\-]+)["']""", re.I)


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    charset: str  # a canonical label, e.g. "utf-8", "gb18030", "windows-1258"
    # "bom" | "utf-8" | "http-header" | "meta" | "xml-declaration" | "detector" | "fallback",
    # or "<one of those>-lenient" when a handful of undecodable bytes became U+FFFD
    charset_source: str


def canonical_charset(label: str) -> str | None:
    """The codec to decode a declared label with (supersets applied), or None if unknown."""
    label = label.strip().strip("\"'").lower()
    if not label:
        return None
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    name = _SUPERSETS.get(name, name)
    if name.startswith("cp125"):
        name = "windows-" + name[2:]
    elif name == "utf_8":
        name = "utf-8"
    try:
        codecs.lookup(name)
    except LookupError:
        return None
    return name


def charset_from_content_type(content_type: str | None) -> str | None:
    """The raw charset label in a Content-Type header value, if any."""
    if not content_type:
        return None
    m = _CT_CHARSET_RE.search(content_type)
    return m.group(1) if m else None


def charset_from_markup(content: bytes) -> tuple[str, str] | None:
    """(label, "meta" | "xml-declaration") declared in the first bytes of the markup."""
    head = content[:META_SCAN_BYTES]
    m = _XML_DECL_RE.search(head)
    if m:
        return m.group(1).decode("ascii", "replace"), "xml-declaration"
    m = _META_RE.search(head)
    if m:
        return m.group(1).decode("ascii", "replace"), "meta"
    return None


def _header(headers: dict[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    name = name.lower()
    for k, v in headers.items():
        if k.lower() == name:
            return v
    return None


def _try_declared(content: bytes, label: str | None) -> tuple[str, str] | None:
    """(text, charset) if `label` names a codec that decodes `content` without errors."""
    if not label:
        return None
    codec = canonical_charset(label)
    # A UTF-16/32 declaration without a BOM cannot be right for markup we could read
    # the declaration from in ASCII (WHATWG: treat as UTF-8); it was handled above.
    if codec is None or codec.startswith(("utf-16", "utf-32", "utf_16", "utf_32")):
        return None
    try:
        return content.decode(codec, errors="strict"), codec
    except (UnicodeDecodeError, LookupError):
        return None


def decode_html(content: bytes, headers: dict[str, str] | None = None) -> Decoded:
    """Decode page bytes; never raises. See the module docstring for the order."""
    if not content:
        return Decoded("", "utf-8", "empty")

    for bom, codec, label in _BOMS:
        if content.startswith(bom):
            try:
                return Decoded(content.decode(codec), label, "bom")
            except UnicodeDecodeError:
                return Decoded(content.decode(codec, errors="replace"), label, "bom")

    try:
        return Decoded(content.decode("utf-8", errors="strict"), "utf-8", "utf-8")
    except UnicodeDecodeError:
        pass

    markup = charset_from_markup(content)
    from_markup = _try_declared(content, markup[0]) if markup else None
    from_header = _try_declared(content, charset_from_content_type(_header(headers, "content-type")))
    if from_header:
        # Many servers (Tomcat, old PHP setups) add "charset=ISO-8859-1" by default, and
        # Windows-1252 decodes almost any bytes "cleanly": a page's own, different
        # declaration that also decodes cleanly is the better witness.
        if from_header[1] == "windows-1252" and from_markup and from_markup[1] != "windows-1252":
            return Decoded(from_markup[0], from_markup[1], markup[1])  # type: ignore[index]
        return Decoded(from_header[0], from_header[1], "http-header")
    if from_markup:
        return Decoded(from_markup[0], from_markup[1], markup[1])  # type: ignore[index]

    nearly = _nearly_clean(content, headers, markup)
    if nearly:
        return nearly

    guess = _detect(content)
    if guess:
        return guess
    return Decoded(content.decode("utf-8", errors="replace"), "utf-8", "fallback")


def _invalid_spans(content: bytes, codec: str, limit: int) -> list[tuple[int, int]] | None:
    """Byte spans `codec` cannot decode (resuming after each, as errors='replace' does);
    None when there are more than `limit` of them."""
    spans: list[tuple[int, int]] = []
    offset = 0
    view = memoryview(content)  # slices without copying: each retry costs up to its error
    while True:
        try:
            str(view[offset:], codec, "strict")
            return spans
        except UnicodeDecodeError as exc:
            spans.append((offset + exc.start, offset + exc.end))
            if len(spans) > limit:
                return None
            offset += exc.end
        except LookupError:
            return None


def _nearly_clean(content: bytes, headers: dict[str, str] | None, markup: tuple[str, str] | None) -> Decoded | None:
    """A multi-byte charset that fails on only a handful of bytes (a title cut mid-character,
    one corrupt byte) is still the page's charset; without this step the detector, which
    drops every codec with any error, guesses e.g. a Cyrillic code page for a GBK page.

    Declared charsets (header, then markup) win if they are nearly clean; an undeclared
    UTF-8 or GB18030 candidate must be confirmed by the detector run on the bytes with the
    bad spans removed. The few bad bytes become U+FFFD; charset_source gets '-lenient'."""
    high = sum(1 for b in content if b >= 0x80)
    limit = min(32, max(2, high // 1000))  # a handful, and bounded work on huge pages
    declared: list[tuple[str, str]] = []
    header_label = charset_from_content_type(_header(headers, "content-type"))
    if header_label:
        declared.append((header_label, "http-header"))
    if markup:
        declared.append(markup)
    for label, source in declared:
        codec = canonical_charset(label)
        if codec is None or codec.startswith(("utf-16", "utf-32")) or not _is_multibyte(codec):
            continue
        # A declared multi-byte charset: a handful of bad bytes; for UTF-8 also (a mostly-ASCII
        # page with a few stray Latin-1 bytes, "K\xfcchenblogs") under 5 % of the page's high
        # bytes. UTF-8's multi-byte sequences almost never occur by chance, unlike the CJK
        # code pages' (GBK bytes read as Shift_JIS fail on only a few of them).
        spans = _invalid_spans(content, codec, 32)
        few = len(spans or ()) <= limit or (codec == "utf-8" and 20 * sum(e - b for b, e in spans or ()) <= high)
        if spans and few:
            return Decoded(content.decode(codec, errors="replace"), codec, f"{source}-lenient")
    for codec in ("utf-8", "gb18030"):
        spans = _invalid_spans(content, codec, limit)
        if not spans:
            continue
        repaired = bytearray(content)
        for start, end in reversed(spans):
            del repaired[start:end]
        confirmed = _detect(bytes(repaired))
        if confirmed and confirmed.charset == codec:
            return Decoded(content.decode(codec, errors="replace"), codec, "detector-lenient")
    return None


def _is_multibyte(codec: str) -> bool:
    # Single-byte codecs decode almost anything; "nearly clean" says nothing about them.
    return codec in {"utf-8", "gb18030", "big5hkscs", "big5", "cp950", "cp949", "cp932", "euc_jp", "euc_kr",
                     "shift_jis", "hz", "iso2022_jp", "gb2312", "gbk"}


def _detect(content: bytes) -> Decoded | None:
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(content).best()
    except Exception:  # the detector must never take a page down with it
        return None
    if best is None or not best.encoding:
        return None
    codec = canonical_charset(best.encoding) or best.encoding
    try:
        return Decoded(content.decode(codec, errors="strict"), codec, "detector")
    except (UnicodeDecodeError, LookupError):
        try:
            return Decoded(content.decode(codec, errors="replace"), codec, "detector")
        except LookupError:
            return None


# --------------------------------------------------------------------------- compressed and binary bodies

# A body is judged by its first bytes, never by its label: gzip bytes served as text/html
# (no Content-Encoding) must not become a document of binary garbage.
_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# Formats that are never a page (images, archives, documents): refused with their name.
_BINARY_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg"), (b"GIF87a", "gif"), (b"GIF89a", "gif"),
    (b"%PDF-", "pdf"), (b"PK\x03\x04", "zip"), (b"7z\xbc\xaf\x27\x1c", "7z"), (b"\xfd7zXZ\x00", "xz"),
    (b"BZh", "bzip2"), (b"Rar!\x1a\x07", "rar"), (b"\x7fELF", "elf"), (b"MZ", "exe"),
    (b"\x00\x00\x01\x00", "ico"), (b"OggS", "ogg"), (b"ID3", "mp3"), (b"\x1aE\xdf\xa3", "webm"),
)
MAX_LAYERS = 3  # gzip inside zstd inside gzip... a few layers at most


class BodyError(ValueError):
    """A body we refuse to read as a page; `reason` is a short code for rejections and exit messages."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def _gunzip(content: bytes, max_bytes: int) -> bytes:
    import zlib

    out = bytearray()
    data = content
    while data.startswith(_GZIP_MAGIC):  # concatenated members, as gzip(1) writes them
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out += d.decompress(data, max_bytes + 1 - len(out))
        except zlib.error as exc:
            raise BodyError("bad_compressed_body", f"gzip: {exc}") from None
        if len(out) > max_bytes or d.unconsumed_tail:
            raise BodyError("too_large", f"gzip body exceeds max_bytes {max_bytes} after decompression")
        if not d.eof:
            raise BodyError("bad_compressed_body", "gzip: truncated stream")
        data = d.unused_data
    return bytes(out)


def _unzstd(content: bytes, max_bytes: int) -> bytes:
    import io

    import zstandard

    try:
        with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(content), read_across_frames=True) as reader:
            out = reader.read(max_bytes + 1)
    except zstandard.ZstdError as exc:
        raise BodyError("bad_compressed_body", f"zstd: {exc}") from None
    if len(out) > max_bytes:
        raise BodyError("too_large", f"zstd body exceeds max_bytes {max_bytes} after decompression")
    return bytes(out)


def _unbrotli(content: bytes, max_bytes: int) -> bytes | None:
    """Brotli has no magic bytes: a body that decodes completely as brotli is brotli, else None."""
    import brotli

    d = brotli.Decompressor()
    try:
        out = bytearray(d.process(content, output_buffer_limit=max_bytes + 1))
        while len(out) <= max_bytes and not d.is_finished() and not d.can_accept_more_data():
            out += d.process(b"", output_buffer_limit=max_bytes + 1 - len(out))
    except brotli.error:
        return None
    if len(out) > max_bytes:
        raise BodyError("too_large", f"brotli body exceeds max_bytes {max_bytes} after decompression")
    return bytes(out) if d.is_finished() and out else None


def _looks_binary(content: bytes) -> bool:
    """More than 1 in 20 of the first 512 bytes are control bytes no 8-bit or multi-byte text
    charset uses (NUL and ESC aside: UTF-16 and ISO-2022 have them)."""
    head = content[:512]
    return bool(head) and sum(b < 0x09 and b != 0 or 0x0E <= b < 0x1B or 0x1C <= b < 0x20 for b in head) > len(head) // 20


def _is_utf16(content: bytes) -> bool:
    """UTF-16 text without a BOM (Cyrillic, Greek, Vietnamese code units hold control bytes)."""
    head = content[: 4096 & ~1]
    for codec in ("utf-16-le", "utf-16-be"):
        try:
            head.decode(codec)
        except UnicodeDecodeError:
            continue
        return True
    return False


def unwrap_body(content: bytes, max_bytes: int | None = None) -> tuple[bytes, list[str]]:
    """(page bytes, the compressions removed): gzip, zstd (magic bytes) and brotli (a body that
    is not text and decodes completely as brotli) are decompressed within `max_bytes`; images,
    archives, other known binary formats and bytes full of control codes raise
    BodyError("binary_body"). Anything else is returned as it is (the decoder and the
    extractor judge it). `max_bytes`: the fetcher's limit, sources.yaml's default when None."""
    if max_bytes is None:
        from tasks.models import FetchDefaults

        max_bytes = FetchDefaults().max_bytes
    layers: list[str] = []
    while len(layers) <= MAX_LAYERS:
        if content.startswith(_GZIP_MAGIC):
            content, kind = _gunzip(content, max_bytes), "gzip"
        elif content.startswith(_ZSTD_MAGIC):
            content, kind = _unzstd(content, max_bytes), "zstd"
        else:
            for magic, name in _BINARY_MAGIC:
                if content.startswith(magic):
                    raise BodyError("binary_body", f"{name} bytes, not a page")
            binary = _looks_binary(content)
            plain = _unbrotli(content, max_bytes) if binary else None
            if plain is None:
                if binary and not _is_utf16(content):
                    raise BodyError("binary_body", "control bytes no text has, and not gzip, zstd or brotli")
                return content, layers
            content, kind = plain, "brotli"
        layers.append(kind)
    raise BodyError("bad_compressed_body", f"more than {MAX_LAYERS} layers of compression ({'+'.join(layers)})")
