"""Decoding, parsing and the text helpers every extraction step shares: NFC and
whitespace normalisation, the page's text blocks, the "reads like prose / a sentence"
tests, and `ExtractionError`.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator

from lxml import etree
from lxml import html as lxml_html

from tasks.langs import HAN, HAN_RE


class ExtractionError(Exception):
    """Nothing usable could be extracted; `reason` is a short code for rejections."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


# --------------------------------------------------------------------------- decoding


def _decode(content: bytes, headers: dict[str, str] | None) -> tuple[str, str, str]:
    """(text, charset, charset_source) via tasks.text.decode (owned by the fetch stage)."""
    from tasks.text.decode import decode_html

    decoded = decode_html(content, headers or {})
    return decoded.text, decoded.charset, decoded.charset_source


# --------------------------------------------------------------------------- text helpers

_CJK_PUNCT = r"\u3000-\u303f\uff00-\uffef"
_CJK_ANY = HAN + _CJK_PUNCT + r"\u3040-\u30ff"
# A line break between two CJK characters is a wrap in the source, not a space
# (spaces typed between CJK fields, e.g. "来源：新华社 作者：张三", are kept).
_CJK_GAP_RE = re.compile(rf"(?<=[{_CJK_ANY}])[ \t\u3000]*[\r\n]\s*(?=[{_CJK_ANY}])")
_SPACE_RE = re.compile(r"[ \t\r\n\f\v\u00a0\u2000-\u200b\u202f\u205f\ufeff]+")
_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f\ufffe\uffff]")
# Scripts written without spaces between words (Han, kana) or in dense syllable blocks
# (Hangul): their length is measured in characters, never in "words".
_DENSE_RE = re.compile(rf"[{HAN}\u3040-\u30ff\u31f0-\u31ff\uac00-\ud7af]")
_WORD_RE = re.compile(r"\w+")


def normalize_text(text: str) -> str:
    """NFC, collapse whitespace (dropping wraps inside CJK text), strip; keep U+3000 indents out."""
    text = unicodedata.normalize("NFC", text)
    # Control characters (BEL, ESC, ...) are never text and XML/PostgreSQL cannot carry them.
    text = _CONTROL_RE.sub("", text)
    text = _CJK_GAP_RE.sub("", text)
    text = text.replace("\u3000", " ")
    return _SPACE_RE.sub(" ", text).strip()


# --------------------------------------------------------------------------- parsing

_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)


def _parse(text: str) -> lxml_html.HtmlElement:
    text = _XML_DECL_RE.sub("", text, count=1)
    if not text.strip():
        raise ExtractionError("empty_page", "no content after decoding")
    try:
        # huge_tree: old portals nest unclosed <font>/<div> tags past libxml2's default
        # depth of 255, where the default parser silently drops the rest of the page.
        tree = lxml_html.document_fromstring(text, parser=_PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionError("unparsable_html", str(exc)) from exc
    _into_body(tree)
    return tree


def _into_body(tree: lxml_html.HtmlElement) -> None:
    """What follows <body> goes into it, as a browser puts it: after a stray `</html>` or
    `</body>` (a header fragment included with its own closing tags) libxml2 leaves the
    rest of the page, the article included, beside <body>, where nothing looks for it."""
    body = tree.find("body")
    if body is None:
        return
    siblings = list(body.itersiblings())
    for top in tree.itersiblings():  # libxml2 starts a second <html> after a stray </html>
        if isinstance(top.tag, str):
            siblings += list(top)
    rest: list[etree._Element] = []
    for el in siblings:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if tag == "body":
            rest += list(el)  # a second <body>: its children
        elif tag != "head":
            rest.append(el)
    if body.tail and body.tail.strip():
        if len(body):
            body[-1].tail = (body[-1].tail or "") + body.tail
        else:
            body.text = (body.text or "") + body.tail
    body.tail = None
    for el in rest:
        body.append(el)  # moves it, with its tail


def _strip_comments(tree: lxml_html.HtmlElement) -> None:
    """Comments and processing instructions go; their tails (visible text) stay.

    Done after dating: portals hide the publication date in comments (htmldate reads them).
    """
    etree.strip_tags(tree, etree.Comment, etree.ProcessingInstruction)


_PARSER = lxml_html.HTMLParser(huge_tree=True)


_BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "body", "center", "dd", "details", "dialog",
    "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1",
    "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "li", "main", "menu", "nav",
    "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    "br", "caption", "summary", "html", "noscript",
}
_SKIP_TAGS = {
    "script", "style", "noscript", "template", "svg", "math", "iframe", "object", "embed",
    "select", "option", "button", "input", "textarea", "canvas", "video", "audio", "map",
    "head", "title", "meta", "link",
    "rt", "rp",  # ruby annotations: the reading of the characters (furigana, pinyin), not text
}


def _hidden(el: etree._Element) -> bool:
    return el.get("hidden") is not None or "display:none" in (el.get("style") or "").replace(" ", "").lower()


def _events(root: etree._Element) -> Iterator[tuple[str, etree._Element | str]]:
    """("open", el) / ("text", str) / ("close", el) over visible content, without recursion.

    Skipped: scripts, styles, forms controls... and hidden elements (their tails are
    still text of the parent). Depth is unbounded (pages nest thousands deep).
    """
    walker = etree.iterwalk(root, events=("start", "end"))
    skipped: set[etree._Element] = set()
    for event, el in walker:
        if event == "start":
            tag = el.tag.lower() if isinstance(el.tag, str) else ""
            if not tag or tag in _SKIP_TAGS or _hidden(el):
                skipped.add(el)
                walker.skip_subtree()
                continue
            yield "open", el
            if el.text:
                yield "text", el.text
        else:
            if el in skipped:
                skipped.discard(el)
            else:
                yield "close", el
            if el is not root and el.tail:
                yield "text", el.tail


def block_texts(element: lxml_html.HtmlElement) -> list[str]:
    """Visible text of `element` split at block boundaries (and <br>), normalised, in order."""
    out: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            t = normalize_text("".join(buf))
            if t:
                out.append(t)
            buf.clear()

    for kind, item in _events(element):
        if kind == "text":
            buf.append(item)  # type: ignore[arg-type]
        elif item.tag.lower() in _BLOCK_TAGS:  # type: ignore[union-attr]
            flush()
    flush()
    return out


def _count_chars(text: str) -> int:
    return sum(1 for c in text if not c.isspace())

# --------------------------------------------------------------------------- entry point


def _reads_like_prose(text: str) -> bool:
    """At least a short sentence: 10+ Han characters or 6+ words."""
    return len(HAN_RE.findall(text)) >= 10 or len(_WORD_RE.findall(text)) >= 6


_TOKEN_RE = re.compile(rf"[\u3040-\u30ff{HAN}\uac00-\ud7af]|[^\W_]+")


def _tokens(paras: list[str]) -> Counter[str]:
    """Bag of tokens: each CJK character one token, other text split into words."""
    return Counter(_TOKEN_RE.findall(unicodedata.normalize("NFKC", " ".join(paras)).lower()))


def _has_a_sentence(text: str) -> bool:
    """Prose (6+ words or 10+ Han characters) with sentence punctuation (a table row may hold
    the article: "| menu | Text. More text. |"): not a menu item."""
    return _reads_like_prose(text) and bool(_SENTENCE_STOP_RE.search(text))


_SENTENCE_STOP_RE = re.compile(r"[.!?。！？…]['\"”’」』)）]*(\s|$)")


def _reads_like_sentence(text: str) -> bool:
    """A full sentence: 8+ words (or 15+ Han chars) ending in sentence punctuation."""
    long_enough = len(HAN_RE.findall(text)) >= 15 or len(_WORD_RE.findall(text)) >= 8
    return long_enough and bool(_SENTENCE_END_RE.search(text))


_SENTENCE_END_RE = re.compile(r"[.!?。！？…]['\"”’」』)）]*$")


def _dense_script(*candidates: list[str]) -> bool:
    """Most characters of the candidates' first paragraphs are Han, kana or Hangul."""
    sample = "".join(p for c in candidates for p in c[:50])
    return len(_DENSE_RE.findall(sample)) >= 0.3 * max(1, _count_chars(sample))
