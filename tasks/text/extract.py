"""Clean stage: decode + extract main text and metadata into a Document.

Contract: `extract_article(content: bytes, *, url: str, source_id: str = "",
headers: dict[str, str] | None = None, selector: str | None = None) -> Document`
(tasks.models.Document with paragraphs, text = "\\n\\n".join(paragraphs), NFC, charset,
charset_source, title, date, author, canonical_url, page_lang, extractor signature).
Raises `ExtractionError(reason, detail)` when nothing usable is found (reason e.g.
"no_main_text"). `EXTRACTOR_SIGNATURE: str`.

How: the page is decoded (tasks.text.decode), NFC-normalised and parsed once with lxml.
Main text: the source's CSS `selector` when given; otherwise two generic candidates,
trafilatura's pass and our own text-density pass that counts characters (not words, so
Chinese pages are measured fairly). Boilerplate lines (vocabularies in
tasks/data/boilerplate/) and widget edges go from both; `choose_candidate` keeps
trafilatura's as the anchor on Latin-script pages and departs only on evidence that holds
across sites; where the two disagree, readability and jusText (tasks.text.vote) vote paragraph
by paragraph. The extractor field records the winner and a confidence (the agreement of
the two candidates); docs/extraction.md has the rules and the held-out figures.
"""

from __future__ import annotations

import copy
import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urljoin

from lxml import etree, html as lxml_html

from tasks.models import Document
from tasks.text.vote import disputed, justext_paragraphs, readability_paragraphs, vote_paragraphs

EXTRACTOR_NAME = "newsbridge-clean"
EXTRACTOR_VERSION = "0.8"


def _pkg_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


EXTRACTOR_SIGNATURE = (
    f"{EXTRACTOR_NAME}/{EXTRACTOR_VERSION}"
    f"+trafilatura/{_pkg_version('trafilatura')}"
    f"+htmldate/{_pkg_version('htmldate')}"
    f"+lxml/{_pkg_version('lxml')}"
)


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

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_CJK_PUNCT = r"\u3000-\u303f\uff00-\uffef"
_CJK_ANY = _HAN + _CJK_PUNCT + r"\u3040-\u30ff"
# A line break between two CJK characters is a wrap in the source, not a space
# (spaces typed between CJK fields, e.g. "来源：新华社 作者：张三", are kept).
_CJK_GAP_RE = re.compile(rf"(?<=[{_CJK_ANY}])[ \t\u3000]*[\r\n]\s*(?=[{_CJK_ANY}])")
_SPACE_RE = re.compile(r"[ \t\r\n\f\v\u00a0\u2000-\u200b\u202f\u205f\ufeff]+")
_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f\ufffe\uffff]")
_HAN_RE = re.compile(rf"[{_HAN}]")
# Scripts written without spaces between words (Han, kana) or in dense syllable blocks
# (Hangul): their length is measured in characters, never in "words".
_DENSE_RE = re.compile(rf"[{_HAN}\u3040-\u30ff\u31f0-\u31ff\uac00-\ud7af]")
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


# --------------------------------------------------------------------------- metadata


def _meta(tree: lxml_html.HtmlElement, *names: str) -> str | None:
    for name in names:
        for attr in ("property", "name", "itemprop"):
            for el in tree.xpath(f"//meta[@{attr}=$n]", n=name):
                value = normalize_text(el.get("content") or "")
                if value:
                    return value
    return None


def _page_lang(tree: lxml_html.HtmlElement) -> str | None:
    lang = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    if not lang:
        for el in tree.xpath("//meta[translate(@http-equiv,'CONTENT-LANGUAGE','content-language')='content-language']"):
            lang = el.get("content")
            if lang:
                break
    if not lang:
        lang = _meta(tree, "og:locale", "language", "dc.language")
    return lang.strip().replace("_", "-") if lang and lang.strip() else None


def _canonical(tree: lxml_html.HtmlElement, url: str) -> str | None:
    for el in tree.xpath("//link[@href]"):
        if "canonical" in (el.get("rel") or "").lower().split():
            href = el.get("href", "").strip()
            if href:
                return urljoin(url, href)
    og = _meta(tree, "og:url")
    return urljoin(url, og) if og else None


def _title(tree: lxml_html.HtmlElement, fallback: str | None) -> str | None:
    title = _meta(tree, "og:title", "twitter:title", "headline")
    if not title:
        for h1 in tree.xpath("//h1"):
            title = normalize_text(h1.text_content())
            if title:
                break
    if not title and fallback:
        title = normalize_text(fallback)
    if not title:
        t = tree.find(".//title")
        title = normalize_text(t.text_content()) if t is not None else None
    return title or None


_FIELD_WORDS = "时间|来源|日期|发布|编辑|责任|更新|点击|阅读|出处|摄影|通讯员"
_CJK_NAME = rf"(?!{_FIELD_WORDS})[\u4e00-\u9fff][\u4e00-\u9fff·•]{{1,5}}"
_CJK_NAMES = rf"{_CJK_NAME}(?:[ 、，,]+{_CJK_NAME}){{0,5}}"
_BYLINE_RES = [
    re.compile(rf"(?:作者|执笔人|执笔|撰稿|撰文)\s*[:：/／]\s*({_CJK_NAMES}|[A-Za-z][\w.&-]{{1,30}})"),
    re.compile(rf"(?:^|\s)文\s*[/／]\s*({_CJK_NAMES})"),
    # "本报记者 X 发自北京", "新京报记者 彭冲 山东冠县报道" (a bare "记者调查" is a menu item).
    re.compile(rf"(?:报|社|网|台)记者\s*({_CJK_NAMES}?)(?=\s*(?:发自|报道|摄|通讯员|实习生|$|[ 　）)]))"),
    re.compile(rf"记者\s*({_CJK_NAMES}?)(?=\s*(?:发自|报道))"),
    re.compile(r"\bby\s+([A-Za-z\u4e00-\u9fff][\w.\u4e00-\u9fff-]{1,30})\s*(?:〓|\||$)", re.I),
]


def _byline_author(tree: lxml_html.HtmlElement) -> str | None:
    """Author from a Chinese byline line (作者：… / 记者 … 报道 / … by name), first match."""
    body = tree.find(".//body")
    for line in block_texts(body if body is not None else tree):
        if len(line) > 120:
            continue
        for rx in _BYLINE_RES:
            m = rx.search(line)
            if m and m.group(1).strip():
                return m.group(1).strip()
    return None


_DATE_IN_LINE_RE = re.compile(r"((?:19|20)\d\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)")
_DATELINE_HINT_RE = re.compile(r"发布|时间|日期|更新|来源|作者|记者|published|posted|updated|date", re.I)


def _dateline_date(tree: lxml_html.HtmlElement) -> str | None:
    """YYYY-MM-DD from the first short line that reads like a dateline (发布时间 …, 来源 …)."""
    body = tree.find(".//body")
    for line in block_texts(body if body is not None else tree):
        if len(line) > 120 or not _DATELINE_HINT_RE.search(line):
            continue
        m = _DATE_IN_LINE_RE.search(line)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            if 1 <= mo <= 12 and 1 <= d <= 31:
                return f"{y:04d}-{mo:02d}-{d:02d}"
    return None


def _date(tree: lxml_html.HtmlElement, url: str) -> str | None:
    from htmldate import find_date

    try:
        return find_date(copy.deepcopy(tree), url=url or None, extensive_search=False, original_date=True)
    except Exception:  # htmldate is heuristic; a date is optional metadata  # noqa: BLE001
        return None


# --------------------------------------------------------------------------- candidates


def _trafilatura_candidate(
    tree: lxml_html.HtmlElement, url: str, options: dict[str, bool] | None = None
) -> tuple[list[str], object | None]:
    """trafilatura's generic pass: (paragraphs, its Document with metadata).

    `options` override trafilatura's (favor_precision, favor_recall, include_tables): the
    bench measures them as alternative anchors; the defaults won (docs/extraction.md).
    """
    from trafilatura import bare_extraction

    try:
        doc = bare_extraction(
            copy.deepcopy(tree),
            url=url or None,
            include_comments=False,
            with_metadata=True,
            **{"include_tables": True, **(options or {})},
            # Our own htmldate call does the extensive search; trafilatura's stays cheap.
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except Exception:  # noqa: BLE001 - a failing candidate is just not a candidate
        return [], None
    if doc is None or getattr(doc, "body", None) is None:
        return [], doc
    paras = [normalize_text(p) for p in (doc.text or "").split("\n")]
    return [p for p in paras if p], doc


def _selector_candidate(tree: lxml_html.HtmlElement, selector: str) -> list[str]:
    """Text blocks of the elements matching the source's CSS selector, in page order."""
    try:
        elements = tree.cssselect(selector)
    except Exception as exc:  # noqa: BLE001 - cssselect raises several parse errors
        raise ExtractionError("bad_selector", f"{selector!r}: {exc}") from exc
    # Inside the chosen element, widgets (share bars, "related" boxes, link lists) still go.
    paras: list[str] = []
    for el in elements:
        paras.extend(b.text for b in _blocks(el) if _keepable(b))
    return paras


# --------------------------------------------------------------------------- density pass
#
# Our own generic pass, written for Chinese portal pages where word-based heuristics
# fail (a Chinese paragraph is one "word"): split the page into text blocks, measure
# each block in characters with its link characters, find the container element whose
# blocks hold the most non-link text net of link-heavy text, and keep its content
# blocks. Table layouts and <br>-separated text are handled the same way.

# class/id tokens of widgets that are never article text. Strong ones name the widget
# outright; weak ones ("next", "hot", "tag") also appear on wrappers of whole pages.
_STRONG_NOISE_TOKENS = {
    "nav", "navbar", "navigation", "menu", "menus", "breadcrumb", "breadcrumbs", "crumb",
    "crumbs", "footer", "sidebar", "comment", "comments", "commentlist", "share", "sharing",
    "related", "recommend", "recommended", "copyright", "advert", "advertisement",
    "caption", "captions", "figcaption", "gallery", "slideshow", "carousel", "credit", "credits",
    "byline", "dateline", "timestamp", "newsletter", "subscribe", "promo", "cmt", "reply",
    "replies", "disqus", "respond",
    # pinyin class names on Chinese sites: comments, related, recommend, share, nav,
    # copyright, ads
    "pinglun", "xiangguan", "tuijian", "fenxiang", "daohang", "banquan", "guanggao",
    # Vietnamese: comments, related news, share
    "binhluan", "lienquan", "tinlienquan", "chiase",
}
_WEAK_NOISE_TOKENS = {
    "foot", "aside", "social", "sns", "relate", "hot", "hotnews", "rank", "ranking", "ads",
    "ad", "banner", "tags", "tag", "toolbar", "pager", "pagination", "login", "subscribe",
    "newsletter", "popup", "modal", "cookie", "cookies", "prevnext", "prev", "next", "feed",
    "remen", "paihang", "meta", "info", "author", "date", "time", "source", "keywords",
}
_GLUED_STEMS = ("comment", "share", "breadcrumb", "copyright", "footer", "navbar", "sidebar")
_CONTENT_TOKENS = {"article", "content", "main", "body", "text", "post", "story", "entry"}
# Class words that describe a page state rather than a widget ("has-sidebar", "with-nav").
_STATE_TOKENS = {"has", "with", "no", "not", "is", "enabled", "disabled", "open", "active", "show", "one", "two"}
_NOISE_SPLIT_RE = re.compile(r"[\s_\-]+|(?<=[a-z])(?=[A-Z])")
_NOISE_TAGS = {"nav", "footer", "aside", "figure", "figcaption"}
# share-widget words ("fenxiang": pinyin; "chiase": Vietnamese)
_SHARE_TOKENS = {"share", "sharing", "fenxiang", "chiase", "social", "sns"}


def _class_tokens(el: etree._Element) -> tuple[list[str], set[str]]:
    """The lower-cased class/id/role words of `el`, and those words with adjacent pairs
    joined ("binh-luan", "lien_quan", "share-bar" -> "binhluan", "lienquan")."""
    attrs = " ".join(filter(None, (el.get("class"), el.get("id"), el.get("role"))))
    parts = [t.lower() for t in _NOISE_SPLIT_RE.split(attrs) if t]
    return parts, set(parts) | {a + b for a, b in zip(parts, parts[1:])}


def _strong_words(parts: list[str], tokens: set[str]) -> set[str]:
    """The class/id words that name a widget outright, glued forms too ("commentlist",
    "bdsharebuttonbox", "sharebar")."""
    return (tokens & _STRONG_NOISE_TOKENS) | {t for t in parts if any(stem in t for stem in _GLUED_STEMS)}


def _share_hook(el: etree._Element) -> bool:
    """Named like a share widget and nothing else: "BSHARE_POP", "share-on-select",
    "addthis_sharing" are also put on an article's own container by share-on-selection
    scripts (`_holds_prose` tells the two apart)."""
    if not isinstance(el.tag, str) or el.tag.lower() in _NOISE_TAGS:
        return False
    parts, tokens = _class_tokens(el)
    shared = {t for t in parts if "share" in t} | (tokens & _SHARE_TOKENS)
    return bool(shared) and _strong_words(parts, tokens) <= shared and not (tokens & (_WEAK_NOISE_TOKENS - _SHARE_TOKENS))


def _holds_prose(el: etree._Element, paragraphs: int = 3) -> bool:
    """At least `paragraphs` <p> of prose (30+ characters with sentence punctuation): an
    article's text, which no share bar, button row or counter has."""
    found = 0
    for p in el.iter("p"):
        text = p.text_content()
        if _count_chars(text) >= 30 and _SENTENCE_PUNCT_RE.search(text):
            found += 1
            if found >= paragraphs:
                return True
    return False


def _noise_strength(el: etree._Element) -> int:
    """2 = surely a widget (by tag or a strong class/id token), 1 = maybe, 0 = no."""
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    if tag in _NOISE_TAGS:
        return 2
    if not any(el.get(a) for a in ("class", "id", "role")):
        return 1 if tag == "form" else 0
    parts, tokens = _class_tokens(el)
    if tokens & _STATE_TOKENS:
        return 0
    # Strong words next to content words only count for a minor share of the page:
    # "main-nav" is a menu, "l-sidebar-fixed l-article-body-segment" holds the article.
    if _strong_words(parts, tokens):
        return 1 if tokens & _CONTENT_TOKENS else 2
    if tokens & _CONTENT_TOKENS:
        return 0  # "post-tags" or "content-hot" may still be the article
    return 1 if tag == "form" or tokens & _WEAK_NOISE_TOKENS else 0


def _visible_chars(el: etree._Element) -> int:
    """Non-space characters of visible text under `el` (scripts, styles... skipped)."""
    return sum(_count_chars(t) for kind, t in _events(el) if kind == "text")  # type: ignore[arg-type]


def _noise_elements(root: etree._Element) -> dict[etree._Element, int]:
    """Elements that look like widgets by tag/class/id and do not hold most of the page's text.

    A wrapper named "__next" or a <body class="has-nav-bar"> holds the article too, so an
    element is only noise when it carries a minor share of the visible text.
    """
    total = _visible_chars(root) or 1
    # lxml proxies are kept alive by the dict, so membership tests stay valid.
    out: dict[etree._Element, int] = {}
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag.lower() in ("html", "body", "main", "article"):
            continue
        strength = _noise_strength(el)
        if strength and _share_hook(el) and _holds_prose(el):
            continue  # an article container carrying a share-on-selection hook
        if strength and _visible_chars(el) <= (0.95 if strength == 2 else 0.4) * total:
            # Credit/byline/dateline boxes are noise to the density pass but not widget
            # evidence against trafilatura's text ("(Reporting by ...)" is article text).
            out[el] = 1 if strength == 2 and _metadata_box(el) else strength
    return out


_METADATA_TOKENS = {"credit", "credits", "byline", "dateline", "timestamp"}


def _metadata_box(el: etree._Element) -> bool:
    """An element named only like a credit/byline/dateline box (not a widget)."""
    attrs = " ".join(filter(None, (el.get("class"), el.get("id"))))
    tokens = {t.lower() for t in _NOISE_SPLIT_RE.split(attrs) if t}
    return el.tag.lower() not in _NOISE_TAGS and bool(tokens & _METADATA_TOKENS) and not (tokens & _STRONG_NOISE_TOKENS - _METADATA_TOKENS)


class _Block:
    __slots__ = ("text", "chars", "link_chars", "path", "tag", "noise", "widget", "holder", "klass")

    def __init__(
        self,
        text: str,
        chars: int,
        link_chars: int,
        path: tuple[int, ...],
        tag: str,
        noise: bool,
        widget: bool = False,
        holder: etree._Element | None = None,
        klass: str = "",
    ) -> None:
        self.text = text
        self.chars = chars
        self.link_chars = link_chars
        self.path = path  # indices of ancestor elements (in _blocks' node list), outermost first
        self.tag = tag
        self.noise = noise
        self.widget = widget  # inside an element that surely is a widget (strength 2)
        self.holder = holder  # that widget element (nested widget boxes count as one)
        self.klass = klass  # the class attribute of the block's own element ("" when none)

    @property
    def link_density(self) -> float:
        return self.link_chars / self.chars if self.chars else 1.0


def _count_chars(text: str) -> int:
    return sum(1 for c in text if not c.isspace())


_HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


def _self_link(href: str | None, url: str) -> bool:
    """A link to the page itself (a post title linking to its own permalink): no link elsewhere."""
    if not href or not url or "#" in href:
        return False
    try:
        return urljoin(url, href.strip()).rstrip("/") == url.split("#")[0].rstrip("/")
    except ValueError:  # a malformed href ("http://[ccpa-preferences]") links nowhere known
        return False


def _blocks(root: lxml_html.HtmlElement, url: str = "") -> list[_Block]:
    """Text blocks of the page in order, each with char counts and its ancestor path.

    Link characters are those inside `<a>`, except links to the page itself (`url`)."""
    blocks: list[_Block] = []
    pieces: list[tuple[str, bool]] = []  # (text, inside a link)
    path: list[int] = []
    tags: list[str] = []
    noise_depth = widget_depth = 0
    noise = _noise_elements(root)
    nodes: list[etree._Element] = []  # keeps proxies alive; path entries index into it

    def flush() -> None:
        if not pieces:
            return
        raw = "".join(t for t, _ in pieces)
        text = normalize_text(raw)
        if text:
            chars = _count_chars(text)
            link_chars = sum(_count_chars(t) for t, in_link in pieces if in_link)
            tag = next((t for t in reversed(tags) if t in _BLOCK_TAGS), "")
            # The widget the block is in: its innermost widget element and the widget
            # elements it sits directly in (nested boxes of one widget).
            k = next((j for j in range(len(noise_flags) - 1, -1, -1) if noise_flags[j] == 2), None)
            while k is not None and k > 0 and noise_flags[k - 1] == 2:
                k -= 1
            holder = nodes[path[k]] if k is not None else None
            own = next((j for j in range(len(tags) - 1, -1, -1) if tags[j] in _BLOCK_TAGS), None)
            klass = " ".join((nodes[path[own]].get("class") or "").split()) if own is not None else ""
            blocks.append(_Block(text, chars, min(link_chars, chars), tuple(path), tag, noise_depth > 0, widget_depth > 0, holder, klass))
        pieces.clear()

    links: list[bool] = [False]  # inside an <a>, per open element
    noise_flags: list[int] = []  # strength of each open element (0 = not noise)
    body = root.find(".//body")
    for kind, item in _events(body if body is not None else root):
        if kind == "text":
            pieces.append((item, links[-1]))  # type: ignore[arg-type]
            continue
        el = item
        tag = el.tag.lower()  # type: ignore[union-attr]
        if kind == "open":
            if tag in _BLOCK_TAGS:
                flush()
            nodes.append(el)  # type: ignore[arg-type]
            path.append(len(nodes) - 1)
            tags.append(tag)
            strength = noise.get(el, 0)  # type: ignore[call-overload]
            noise_flags.append(strength)
            noise_depth += strength > 0
            widget_depth += strength == 2
            links.append(links[-1] or (tag == "a" and not _self_link(el.get("href"), url)))  # type: ignore[union-attr]
        else:
            if tag in _BLOCK_TAGS or tag in _HEADING_TAGS:
                flush()
            strength = noise_flags.pop()
            noise_depth -= strength > 0
            widget_depth -= strength == 2
            path.pop()
            tags.pop()
            links.pop()
    flush()
    return blocks


_SENTENCE_PUNCT_RE = re.compile(r"[。！？；，、．.!?;,:：]")


def _is_content_block(b: _Block) -> bool:
    """A block that reads like article prose: enough characters, few links, punctuation."""
    if b.noise or b.link_density > 0.3:
        return False
    dense = len(_DENSE_RE.findall(b.text))
    if dense >= b.chars * 0.3:
        return b.chars >= 20 and bool(_SENTENCE_PUNCT_RE.search(b.text))
    return len(_WORD_RE.findall(b.text)) >= 10 and bool(_SENTENCE_PUNCT_RE.search(b.text))


_ALNUM_RE = re.compile(r"[^\W_]")
_DIALOGUE_RE = re.compile(r"[“”「」『』？！。…]")


def _keepable(b: _Block) -> bool:
    """Not a widget, not a link list item, not a lone symbol or character."""
    if b.noise:
        return False
    limit = 0.5 if b.chars >= 50 else 0.3  # "·headline (date)" items of related lists
    if b.link_density > limit:
        return False
    alnum = len(_ALNUM_RE.findall(b.text))
    if alnum == 1:
        # A number, or a one-character line of dialogue ("“……嗯……？”"), not a lone button ("顶").
        return b.text.strip().isdigit() or bool(_DENSE_RE.search(b.text) and _DIALOGUE_RE.search(b.text))
    return alnum > 1


def _is_teaser(blocks: list[_Block], i: int) -> bool:
    """Block i sits right under a linked headline in the same small box (a feed item).

    `<div class=item><h3><a>headline</a></h3><p>summary</p></div>` or
    `<li><a>headline</a><p>summary</p></li>`: the summary reads like prose but belongs to
    a list of other stories.
    """
    if i == 0:
        return False
    prev, cur = blocks[i - 1], blocks[i]
    if prev.link_density < 0.8 or prev.chars > 100 or prev.tag not in _HEADING_TAGS | {"dt", "li"}:
        return False
    common = 0
    for a, b in zip(prev.path, cur.path):
        if a != b:
            break
        common += 1
    # The summary is a direct child of the item box that also holds the headline; a list
    # item's linked headline (`<li><a>headline</a><p>summary</p></li>`) only inside that item.
    return len(cur.path) - common <= 1 and len(prev.path) - common <= (2 if prev.tag == "li" else 3)


def _density_candidate(tree: lxml_html.HtmlElement, blocks: list[_Block] | None = None) -> list[str]:
    """Paragraphs of the element that concentrates the page's prose (see module comment)."""
    blocks = _blocks(tree) if blocks is None else blocks
    if not blocks:
        return []
    good = [_is_content_block(b) for b in blocks]
    if not any(good):
        return []
    # Score every ancestor: prose chars in, minus link-heavy/noise chars in.
    score: dict[int, float] = {}
    for i, (b, g) in enumerate(zip(blocks, good)):
        if g and _is_teaser(blocks, i):
            gain = 0.1 * b.chars  # a summary under a linked headline: a feed, not the article
        elif g:
            gain = b.chars - b.link_chars
        elif not _keepable(b):
            gain = -0.6 * b.chars
        else:
            gain = 0.05 * b.chars  # short plain lines (table cells, list items): slightly for
        for anc in b.path:
            score[anc] = score.get(anc, 0.0) + gain
    best = max(score, key=lambda k: score[k])
    inside = [i for i, b in enumerate(blocks) if best in b.path]
    inside = _first_post(best, blocks, good, inside)
    # Keep the container's blocks except widgets and link lists. Short plain lines stay:
    # table cells and list items are content; datelines and footers go later by pattern.
    kept = [i for i in inside if _keepable(blocks[i])]
    return [blocks[i].text for i in kept]


def _first_post(best: int, blocks: list[_Block], good: list[bool], inside: list[int]) -> list[int]:
    """A thread, not one article: the container's children that carry a dateline of their
    own are posts (forum replies, blog comments). When 3+ do, the main text is the one
    holding most prose, if it holds at least half; the other dated children go."""
    while True:
        units: dict[int, list[int]] = {}
        for i in inside:
            path = blocks[i].path
            k = path.index(best) + 1
            units.setdefault(path[k] if k < len(path) else -1, []).append(i)
        if len(units) != 1 or -1 in units:
            break
        best = next(iter(units))  # through a wrapper with a single child
    units.pop(-1, None)  # text directly in the container is no post
    dated = [u for u, idx in units.items() if any(_is_dateline(blocks[i].text) for i in idx)]
    if len(dated) < 3:
        return inside
    prose = {u: sum(blocks[i].chars for i in units[u] if good[i]) for u in dated}
    main = max(dated, key=prose.__getitem__)
    if prose[main] < 0.5 * sum(blocks[i].chars for i in inside if good[i]):
        return inside
    drop = {i for u in dated if u != main for i in units[u]}
    return [i for i in inside if i not in drop]


def _is_dateline(text: str) -> bool:
    """A short metadata line that carries a date (a post's or an article's dateline)."""
    return is_metadata_line(text) and bool(_DATE_IN_LINE_RE.search(text))


# --------------------------------------------------------------------------- boilerplate
#
# The vocabularies live in tasks/data/boilerplate/*.txt (one file per language plus
# common.txt; sections [line] [meta] [tail] [edge], one regex a line): explicit data
# that reviewers can read and extend without touching the code.

_VOCAB_DIR = Path(__file__).resolve().parents[1] / "data" / "boilerplate"


@functools.cache
def boilerplate_patterns() -> dict[str, list[re.Pattern[str]]]:
    """{section: compiled patterns} from every vocabulary file, loaded once on first use."""
    sections: dict[str, list[re.Pattern[str]]] = {"line": [], "credit": [], "meta": [], "head": [], "tail": [], "edge": []}
    for path in sorted(_VOCAB_DIR.glob("*.txt")):
        current = None
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("[") and line.endswith("]") and line[1:-1] in sections:
                current = line[1:-1]
            elif current is None:
                raise ValueError(f"{path.name}: pattern outside a section: {line!r}")
            else:
                sections[current].append(re.compile(line, re.I))
    return sections


def _matches(section: str, text: str) -> bool:
    return any(rx.search(text) for rx in boilerplate_patterns()[section])


def is_metadata_line(text: str) -> bool:
    """A dateline, byline, editor/source line, breadcrumb or pager line (short lines only).

    A full sentence in a script with spaces is never one ("By Monday, all schools will be
    closed." / "Published in 2019, the report found 12 leaks." are article text).
    """
    if _reads_like_sentence(text) and not _HAN_RE.search(text):
        return False
    return len(text) <= 120 and _matches("meta", text)


def is_boilerplate_line(text: str) -> bool:
    """A line that is a site footer or widget, never article text (ICP, copyright, share bar...)."""
    return len(text) <= 200 and (_matches("line", text) or _matches("credit", text))


# An interactive-session line: a Python/shell prompt or continuation ('>>> foo()', '... pass', '$ ls', 'In [3]: x').
_PROMPT_RE = re.compile(r"^(>>>|\.\.\.|\$|In \[\d+\]:)\s")
# A label cell of a "key: value" table ("发布机构：" then "市人民政府办公厅" in the next cell).
_LABEL_RE = re.compile(r"^[^\s:：]{1,12}\s*[:：]$")


def _drop_boilerplate(paras: list[str], keep_credits: bool = False) -> list[str]:
    """Drop footer/widget/metadata lines and repeated paragraphs (galleries repeat captions).

    `keep_credits`: copyright/credit lines stay (trafilatura's text ends with the article,
    so such a line there is the article's own credit, which gold texts keep).
    """
    seen: set[str] = set()
    out: list[str] = []
    label = False  # the previous line was a label of a metadata pair ("索引号：" | "1144/2021-00123")
    for p, nxt in zip(paras, [*paras[1:], ""]):
        short = len(p) <= 200
        # (the value is a short cell, not a sentence: a paragraph after "编辑：" is no value)
        value = len(nxt) <= 40 and not _reads_like_sentence(nxt)
        was_label, label = label, _LABEL_RE.match(p) is not None and value and is_metadata_line(p + nxt)
        if was_label or label:
            continue
        # (a code line repeats in a tutorial: ">>> foo()", "... pass" are not a gallery's captions)
        repeated = len(p) >= 20 and p in seen and not _PROMPT_RE.match(p)
        if repeated or is_metadata_line(p) or (short and _matches("line", p)):
            continue
        if short and not keep_credits and _matches("credit", p):
            continue
        seen.add(p)
        out.append(p)
    return out


_POST_TIME_RE = re.compile(r"(19|20)\d\d[-/.年]\d{1,2}[-/.月]\d{1,2}日?\s*\d{1,2}[:：]\d\d")


def trim_edges(
    paras: list[str], headlines: frozenset[str] = frozenset(), boxes: Callable[[str], tuple[int, ...]] | None = None
) -> list[str]:
    """Cut what follows the article and promotions at its ends (vocabulary: [head], [tail], [edge]).

    - the headline as first line goes (the Document keeps it as `title`);
    - [head] lines (a bare date under the title) above the first full sentence;
    - from a section heading after the article (related stories, comments, newsletter,
      author bio, portal footer) to the end, when at least 40% of the text precedes it;
    - promotion lines (subscribe, follow us, read also) among the first/last lines.

    `boxes` (a paragraph's parent and grandparent elements on the page, when known) keeps
    an inline box's heading ("Newsletter", "Related" inside the article body) from ending
    the article: no cut when a paragraph after the heading shares a box with one before it.
    """
    paras = list(paras)
    if paras and headlines and _fold(paras[0]) in headlines and len(paras) > 1:
        paras = paras[1:]
    # Above the first sentence (the title and its dateline): [head] lines (a bare date).
    first = next((i for i, p in enumerate(paras) if _reads_like_sentence(p)), 0)
    paras = [p for i, p in enumerate(paras) if i >= first or not (len(p) <= 120 and _matches("head", p))]
    total = sum(len(p) for p in paras)
    before = sentences = prose = 0
    for i, p in enumerate(paras):
        # A thread after the article may outweigh it: then its posts' own date-times
        # (3+ short lines) after 2+ sentences of article are the evidence instead.
        thread = sentences >= 2 and sum(len(q) <= 60 and bool(_POST_TIME_RE.search(q)) for q in paras[i:]) >= 3
        # (the article is before the heading: at least one sentence of it, not only a menu)
        if i and len(p) <= 200 and prose and (before >= 0.4 * total or thread) and _matches("tail", p):
            if boxes is None or not _share_a_box(paras[:i], paras[i + 1 :], boxes, p):
                paras = paras[:i]
                break
        before += len(p)
        sentences += _reads_like_sentence(p)
        prose += _has_a_sentence(p)
    while len(paras) > 1 and len(paras[-1]) <= 200 and _matches("edge", paras[-1]):
        paras.pop()
    while len(paras) > 1 and len(paras[0]) <= 200 and _matches("edge", paras[0]):
        paras.pop(0)
    return paras


def _share_a_box(
    before: list[str], after: list[str], boxes: Callable[[str], tuple[int, ...]], heading: str | None = None
) -> bool:
    """Has a prose paragraph of `after` the parent, or the grandparent, of a paragraph of `before`?

    Level by level: a box inside the article element (an author box after the paragraphs)
    has the article as grandparent, the paragraphs have it as parent: not the same box.
    Paragraphs wrapped one by one share their grandparent. A paragraph in the `heading`'s
    own box (its parent, holding none of the paragraphs before) belongs to that section:
    `<div class=comments><h3>评论</h3><p>…</p>` beside the article's body never shares it.
    """
    seen = [{boxes(p)[k] for p in before if len(boxes(p)) > k} for k in (0, 1)]
    own = boxes(heading)[:1] if heading is not None else ()
    if own and own[0] in seen[0]:
        own = ()  # the heading sits among the article's paragraphs: no box of its own
    return any(
        len(boxes(p)) > k and boxes(p)[k] in seen[k]
        for p in after
        if _reads_like_prose(p) and not (own and boxes(p)[:1] == own)
        for k in (0, 1)
    )


def _fold(text: str) -> str:
    return normalize_text(text).casefold()

# --------------------------------------------------------------------------- entry point


def _reads_like_prose(text: str) -> bool:
    """At least a short sentence: 10+ Han characters or 6+ words."""
    return len(_HAN_RE.findall(text)) >= 10 or len(_WORD_RE.findall(text)) >= 6


_TOKEN_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]|[^\W_]+")


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
    long_enough = len(_HAN_RE.findall(text)) >= 15 or len(_WORD_RE.findall(text)) >= 8
    return long_enough and bool(_SENTENCE_END_RE.search(text))


_SENTENCE_END_RE = re.compile(r"[.!?。！？…]['\"”’」』)）]*$")


@dataclass(frozen=True)
class CombineRule:
    """Thresholds of `choose_candidate` (bench/eval_extract.py picks them on training folds)."""

    truncated: float = 0.5  # trafilatura kept under this share of the density pass's tokens...
    extra_prose: float = 0.8  # ...and that much of the density pass's extra is sentences: density
    near_empty: int = 30  # trafilatura kept fewer tokens than this and density has prose: density
    menu: float = 0.5  # density kept under this share, trafilatura's extra is short lines: density
    disjoint: float = 0.3  # agreement under this: the candidate with twice the sentences wins
    vote_add: int = 3  # a density paragraph trafilatura lacks comes in when this many voters keep it (4: never)
    vote_drop: int = 1  # trafilatura's end paragraph goes when fewer voters keep it (0: never)
    low_confidence: float = 0.5  # confidence under this flags the page in the run summary


DEFAULT_RULE = CombineRule()


class Choice(NamedTuple):
    name: str  # "trafilatura" | "density"
    paragraphs: list[str]
    confidence: float  # agreement of the two candidates (bag-of-tokens F1), 0..1
    evidence: str  # why, in a few words


def _share(paras: list[str], test: Callable[[str], bool]) -> float:
    total = sum(len(p) for p in paras)
    return sum(len(p) for p in paras if test(p)) / total if total else 0.0


def choose_candidate(candidates: dict[str, list[str]], rule: CombineRule = DEFAULT_RULE) -> Choice:
    """Pick the main text: trafilatura's, unless the evidence against it holds across sites.

    Dense scripts (Han, kana, Hangul): our character-density pass (word heuristics
    under-count them), unless it kept only short lines. Other scripts: trafilatura is the
    anchor; the density pass wins only when trafilatura kept nearly nothing, when it
    stopped early inside the density pass's text and the rest is sentences (not lists,
    teasers or promotions) that trafilatura's recall mode keeps too
    (`candidates["trafilatura_recall"]`), when the two disagree, trafilatura took a table or a
    link list and the density pass holds twice its sentences, when trafilatura flattened a layout table into rows, or when
    trafilatura's extra is a menu: short lines the page shows only in widgets/link lists
    (`candidates["widgets"]`). When trafilatura stays the anchor and readability and jusText
    were run (`candidates["readability"]`, `["justext"]`: only where the two disagree),
    their votes correct it paragraph by paragraph (`tasks.text.vote.vote_paragraphs`).
    Confidence = agreement of the two candidates, so one extractor alone is never sure.
    """
    traf = candidates.get("trafilatura", [])
    dens = candidates.get("density", [])
    t, d = _tokens(traf), _tokens(dens)
    n_t, n_d, common = sum(t.values()), sum(d.values()), sum((t & d).values())
    agree = round(2 * common / (n_t + n_d), 3) if n_t + n_d else 0.0
    if not dens or not traf:
        name, paras = ("trafilatura", traf) if traf else ("density", dens)
        return Choice(name, paras, 0.0, "one candidate empty")
    if _dense_script(traf, dens):
        if not any(_reads_like_prose(p) for p in dens) and any(_reads_like_prose(p) for p in traf):
            return Choice("trafilatura", traf, agree, "dense script, density kept only short lines")
        return Choice("density", dens, agree, "dense script")
    if n_t < rule.near_empty and n_d > 2 * n_t and any(_reads_like_sentence(p) for p in dens):
        return Choice("density", dens, agree, "trafilatura near-empty")
    widgets = set(candidates.get("widgets", []))
    sentences_t, sentences_d = (sum(len(p) for p in c if _reads_like_sentence(p)) for c in (traf, dens))
    # Only when trafilatura took a table or link list (rows "| a | b |", widget text): a
    # prose-rich block elsewhere (an unmarked comment thread) never beats its article,
    # nor an about-box beats an article of short lines (a poem, a list).
    tabular = _share(traf, lambda p: p.startswith("|") or p in widgets)
    if agree < rule.disjoint and tabular >= 0.5 and sentences_d > 2 * sentences_t:
        return Choice("density", dens, agree, "candidates disagree, trafilatura took a table or list")
    if common >= 0.9 * n_d and any(p.startswith("|") and len(p) > 300 for p in traf) and len(dens) > 2 * len(traf):
        return Choice("density", dens, agree, "trafilatura flattened a layout table")
    if n_t < rule.truncated * n_d and common >= 0.9 * n_t:
        kept = set(traf)
        extra = [p for p in dens if p not in kept]
        article_like = _share(extra, lambda p: _reads_like_sentence(p) and not _matches("edge", p) and p not in widgets)
        # Confirmed when trafilatura's own recall mode keeps most of the extra too: its
        # comment/related filters still run there, so an extra that is a comment thread,
        # a bio or teasers is not confirmed.
        more = _tokens(extra) - t
        # readability (when it ran) must agree too: trafilatura's recall mode keeps a
        # comment thread whose boxes carry meaningless class names.
        seconds = [candidates.get("trafilatura_recall", [])]
        if "readability" in candidates:
            seconds.append(candidates["readability"])
        confirmed = all(sum((_tokens(c) & more).values()) >= 0.5 * sum(more.values()) for c in seconds)
        if article_like >= rule.extra_prose and confirmed:
            return Choice("density", dens, agree, "trafilatura stopped early")
    if n_d < rule.menu * n_t and common >= 0.9 * n_d:
        kept = set(dens)
        extra = [p for p in traf if p not in kept]
        short = sum(len(_WORD_RE.findall(p)) for p in extra) <= 6 * len(extra)
        if short and _share(extra, _reads_like_sentence) < 0.3 and _share(extra, widgets.__contains__) >= 0.5:
            return Choice("density", dens, agree, "trafilatura kept a menu")
    if "readability" in candidates:
        voters = {name: candidates.get(name, []) for name in ("density", "readability", "justext")}
        paras, added, dropped = vote_paragraphs(
            traf,
            dens,
            voters,
            lambda p: _reads_like_sentence(p) and p not in widgets and not _matches("edge", p),
            rule.vote_add,
            rule.vote_drop,
            # a standfirst: prose, not a list item or table row ("- headline" of a link list)
            lead=lambda p: len(_WORD_RE.findall(p)) >= 10 and not p.startswith(("- ", "|"))
            and p not in widgets and not is_metadata_line(p),
        )
        if added or dropped:
            return Choice("trafilatura+vote", paras, agree, "anchor corrected by voters")
    return Choice("trafilatura", traf, agree, "anchor")


def _dense_script(*candidates: list[str]) -> bool:
    """Most characters of the candidates' first paragraphs are Han, kana or Hangul."""
    sample = "".join(p for c in candidates for p in c[:50])
    return len(_DENSE_RE.findall(sample)) >= 0.3 * max(1, _count_chars(sample))


def _headlines(tree: lxml_html.HtmlElement, traf_title: str | None) -> frozenset[str]:
    """The page's headline in every form it gives (h1, og:title, trafilatura's title), folded.

    When one `<h1>` is the Document's title, the page's other `<h1>`s are section headings
    (a theme with the site name, the post title and "Künstlerischer Lebenslauf" all in
    `<h1>`): not headline forms, so such a first line stays in the text."""
    found = [traf_title or "", _meta(tree, "og:title", "twitter:title") or ""]
    h1s = [_fold(h.text_content()) for h in tree.xpath("//h1")[:3]]
    title = _fold(_title(tree, traf_title) or "")
    found += [h for h in h1s if h == title] if title in h1s else h1s
    return frozenset(f for f in map(_fold, found) if f)


def _widget_texts(blocks: list[_Block]) -> frozenset[str]:
    """Texts the page shows only inside widgets: elements that surely are one (class/id, tag)
    or link lists. Evidence from the page itself about the candidates' paragraphs.

    Not feed teasers (`_is_teaser`): an article paragraph under a linked "read also" box
    looks the same, and the density pass already discounts teasers."""
    flags = [b.widget or b.link_density > 0.5 for b in blocks]
    widget = {b.text for b, f in zip(blocks, flags) if f}
    return frozenset(widget - {b.text for b, f in zip(blocks, flags) if not f})


def _drop_widget_edges(paras: list[str], widgets: frozenset[str], blocks: list[_Block] | None = None) -> list[str]:
    """Leading/trailing paragraphs that are widget texts (comments, related, share bars).

    Edges, not the article: when they would take half of trafilatura's text or more, the
    "widget" is the article's own container under a misleading name (a wrapper called
    `sidebar-right`, `above-footer` or `slideshow`), and nothing goes. The same when the
    widget-named element holding an edge paragraph also holds most of the rest of
    trafilatura's text (visible or not): a README box named `js-code-nav-container`, a
    gallery page whose intro and items are all `gallery--paragraph` sections."""

    def edges(keep: Callable[[str], bool]) -> tuple[int, int]:
        end = len(paras)
        while end > 1 and _unlist(paras[end - 1]) in widgets and not keep(paras[end - 1]):
            end -= 1
        start = 0
        while start < end - 1 and _unlist(paras[start]) in widgets and not keep(paras[start]):
            start += 1
        return start, end

    start, end = edges(lambda p: False)
    if (start, end) == (0, len(paras)):
        return paras
    kept = sum(len(p) for p in paras[start:end])
    if kept <= 0.5 * sum(len(p) for p in paras):
        return paras
    if blocks:
        # (trafilatura writes list items as "- item" and table rows as "| a | b |")
        middle = [_squash(_MARKUP_RE.sub("", p)) for p in paras[start:end]]
        holder = {b.text: b.holder for b in blocks if b.holder is not None}
        inside: dict[etree._Element, bool] = {}

        def holds_article(p: str) -> bool:
            el = holder.get(_unlist(p))
            if el is None:
                return False
            if el not in inside:
                text = _squash(el.text_content())
                inside[el] = sum(len(m) for m in middle if m in text) >= 0.5 * sum(map(len, middle))
            return inside[el]

        start, end = edges(holds_article)
    return paras[start:end]


_MARKUP_RE = re.compile(r"^- |\|")


def _unlist(paragraph: str) -> str:
    """The page's text of a trafilatura paragraph: it writes a list item as "- item"."""
    return paragraph[2:] if paragraph.startswith("- ") else paragraph


def _squash(text: str) -> str:
    return _SPACE_RE.sub("", text)


def _boxes(blocks: list[_Block]) -> Callable[[str], tuple[int, ...]]:
    """A paragraph's (parent, grandparent) element ids on the page; () when the page has no such block."""
    where: dict[str, tuple[int, ...]] = {}
    for b in blocks:
        where.setdefault(b.text, tuple(reversed(b.path[-3:-1])))
    return lambda p: where.get(_unlist(p), ())


def _trim(paras: list[str], heads: frozenset[str], blocks: list[_Block], boxes: Callable[[str], tuple[int, ...]]) -> list[str]:
    """`trim_edges`, then the page's own tail headings; the ends again after a page-tail cut."""
    trimmed = trim_edges(paras, heads, boxes)
    cut = _cut_at_page_tail(trimmed, blocks)
    return trim_edges(cut, heads, boxes) if cut != trimmed else cut


def _cut_at_page_tail(paras: list[str], blocks: list[_Block]) -> list[str]:
    """trafilatura's paragraphs that the page shows after a [tail] heading, in other boxes, go.

    trafilatura often drops a section's heading ("Related", "About the author",
    "Comments") but keeps the section's prose when the page names its boxes with
    meaningless classes; the page itself still has the heading. Cut there when at least
    40 % of trafilatura's text (or 3+ sentences under the <h1>) comes before it and no
    prose paragraph after it shares a box with the article's (`_share_a_box`: an inline
    "Related" box inside the body is followed by more paragraphs of the same container).
    """
    where: dict[str, int] = {}
    for i, b in enumerate(blocks):
        where.setdefault(b.text, i)
    at = [where.get(_unlist(p)) for p in paras]
    total = sum(len(p) for p in paras)
    headline = next((i for i, b in enumerate(blocks) if b.tag == "h1"), None)
    boxes = _boxes(blocks)
    for h, b in enumerate(blocks):
        if len(b.text) > 200 or not _matches("tail", b.text):
            continue
        before = [i for i in at if i is not None and i < h]
        chars = sum(len(p) for p, i in zip(paras, at) if i is not None and i < h)
        # A comment thread may outweigh the article: then 3+ sentences between the
        # headline and the heading are the article.
        under = headline is not None and headline < h
        sentences = sum(_reads_like_sentence(p) for p, i in zip(paras, at) if i is not None and under and headline < i < h)
        if chars < 0.4 * total and sentences < 3:
            continue
        if not any(_has_a_sentence(p) for p, i in zip(paras, at) if i is not None and i < h):
            continue  # only a menu before the heading: not the article's end
        cut = next((k for k, i in enumerate(at) if i is not None and i >= h), None)
        if cut is None:
            return paras
        # The article's paragraphs: those under the headline when there are any.
        article = [i for i in before if under and i > headline] or before  # type: ignore[operator]
        later = [i for i in at[cut:] if i is not None]
        if _share_a_box([blocks[i].text for i in article], [blocks[i].text for i in later], boxes, b.text):
            continue
        if _same_kind_of_paragraph([blocks[i] for i in article], [blocks[i] for i in later]):
            continue
        if b.widget and _story_goes_on(blocks, h, later):
            continue  # an inline box ("Related Coverage", a sidebar's "Newsletter") inside the story
        return paras[:cut]
    return paras


def _story_goes_on(blocks: list[_Block], h: int, later: list[int]) -> bool:
    """After a heading that sits in a widget (an <aside>, a "sidebar__newsletter"): does the
    story go on? Yes when trafilatura kept, outside that widget and any other, three or more
    sentences that share a container, and no post header (a date line) sits among them: a
    comment thread after a page's real end has a post header on every post, and a post
    rarely holds three paragraphs."""
    box = blocks[h].holder
    prose = [i for i in later if not blocks[i].widget and blocks[i].holder is not box and _reads_like_sentence(blocks[i].text)]
    if not prose or max(Counter(blocks[i].path[:-1] for i in prose).values()) < 3:
        return False
    return not any(_is_dateline(b.text) for b in blocks[h + 1 : max(prose) + 1] if not b.widget)


def _same_kind_of_paragraph(article: list[_Block], after: list[_Block]) -> bool:
    """Does the article go on after an inline box? Its paragraphs carry one class (a template's
    "story-body-text") and prose paragraphs after the box carry it too: a page that cuts its
    story into sections around "Related Coverage" or an advert, with no common parent or
    grandparent. Comments, teasers and bios after a page's real end are other elements."""
    kinds = Counter((b.tag, b.klass) for b in article if b.klass and _reads_like_prose(b.text))
    if not kinds:
        return False
    kind, n = kinds.most_common(1)[0]
    if n < 2:
        return False
    return sum((b.tag, b.klass) == kind and _reads_like_prose(b.text) for b in after) >= 2


def _generic(
    tree: lxml_html.HtmlElement, url: str, options: dict[str, bool] | None = None
) -> tuple[dict[str, list[str]], object | None]:
    """Both generic candidates after boilerplate lines and edge trimming, and trafilatura's Document.

    "widgets" lists trafilatura's paragraphs that the page shows only in widgets (evidence
    for `choose_candidate`).
    """
    traf, traf_doc = _trafilatura_candidate(tree, url, options)
    blocks = _blocks(tree, url)
    widgets = _widget_texts(blocks)
    traf = _drop_widget_edges(_drop_boilerplate(traf, keep_credits=True), widgets, blocks)
    dens = _drop_boilerplate(_density_candidate(tree, blocks))
    # Headlines go only from Latin-script text: Chinese pages set the title as the first
    # line of the text as often as not.
    dense = _dense_script(traf, dens)
    heads = frozenset() if dense else _headlines(tree, getattr(traf_doc, "title", None))
    boxes = _boxes(blocks)
    traf, dens = (_trim(c, heads, blocks, boxes) for c in (traf, dens))
    cands = {"trafilatura": traf, "density": dens, "widgets": [p for p in dict.fromkeys(traf + dens) if _unlist(p) in widgets]}
    n_t, n_d = sum(_tokens(traf).values()), sum(_tokens(dens).values())
    if not dense and traf and dens and disputed(traf, dens, lambda p: _reads_like_sentence(p) and _unlist(p) not in widgets):
        # Where the two disagree, readability and jusText vote (tasks.text.vote; run only here).
        cands["readability"] = readability_paragraphs(tree, block_texts)
        cands["justext"] = [t for t in map(normalize_text, justext_paragraphs(tree)) if t]
    if n_t < 0.75 * n_d:
        # A second opinion for "trafilatura stopped early": its recall mode (run only here).
        cands["trafilatura_recall"] = _drop_boilerplate(_trafilatura_candidate(tree, url, {"favor_recall": True})[0])
    return cands, traf_doc


def extract_candidates(
    content: bytes, *, url: str = "", headers: dict[str, str] | None = None, trafilatura_options: dict[str, bool] | None = None
) -> dict[str, list[str]]:
    """Every generic candidate's paragraphs (after boilerplate lines), for diagnostics and bench."""
    text, _, _ = _decode(content, headers)
    tree = _parse(unicodedata.normalize("NFC", text))
    _strip_comments(tree)
    return _generic(tree, url, trafilatura_options)[0]


def extraction_confidence(extractor: str) -> float | None:
    """The confidence recorded in a Document's `extractor` field ("...|confidence=0.83")."""
    m = re.search(r"\|confidence=([\d.]+)", extractor or "")
    return float(m.group(1)) if m else None


def is_low_confidence(extractor: str) -> bool:
    """True when the extractor field records a confidence under DEFAULT_RULE.low_confidence."""
    conf = extraction_confidence(extractor)
    return conf is not None and conf < DEFAULT_RULE.low_confidence


def extract_article(
    content: bytes,
    *,
    url: str,
    source_id: str = "",
    headers: dict[str, str] | None = None,
    selector: str | None = None,
) -> Document:
    """Decode, parse and extract one page into a Document (NFC; text = paragraphs joined by blank lines)."""
    if not content or not content.strip():
        raise ExtractionError("empty_page", "no bytes")
    text, charset, charset_source = _decode(content, headers)
    text = unicodedata.normalize("NFC", text)
    tree = _parse(text)
    # htmldate without its extensive search (which can spend ~10 s in dateparser on one
    # page), on the tree with its comments; later a dateline in the page's own words.
    html_date = _date(tree, url)
    _strip_comments(tree)

    paras: list[str] = []
    if selector:
        # The operator's selector for this outlet: trusted as is (confidence 1).
        paras = _drop_boilerplate(_selector_candidate(tree, selector))
        method, confidence = f"selector:{selector}", 1.0
    candidates, traf_doc = _generic(tree, url)
    if not paras:
        choice = choose_candidate(candidates)
        paras, confidence = choice.paragraphs, choice.confidence
        method = f"generic:{choice.name}" + ("(selector-empty)" if selector else "")
    if not paras:
        raise ExtractionError("no_main_text", "no paragraph survived extraction")
    if not any(_reads_like_prose(p) for p in paras):
        raise ExtractionError("no_main_text", f"only short lines found (e.g. {paras[0][:40]!r})")

    traf_title = getattr(traf_doc, "title", None) if traf_doc is not None else None
    author = getattr(traf_doc, "author", None) if traf_doc is not None else None
    date = html_date or _dateline_date(tree)
    if not date and traf_doc is not None:
        date = getattr(traf_doc, "date", None)

    title = _title(tree, traf_title)

    return Document(
        source_id=source_id,
        url=url,
        title=title,
        date=date,
        author=normalize_text(author) if author else _byline_author(tree),
        canonical_url=_canonical(tree, url),
        page_lang=_page_lang(tree),
        charset=charset,
        charset_source=charset_source,
        paragraphs=paras,
        text="\n\n".join(paras),
        extractor=f"{EXTRACTOR_SIGNATURE}|{method}|confidence={confidence:.2f}",
        selector=selector,
    )


def with_title_paragraph(doc: Document) -> Document:
    """The document with its title as paragraph 0 when the extracted text does not start with it.

    Translators review the headline too, so the pipeline translates it as a segment;
    `extract_article` itself leaves it out of the paragraphs (gold texts of extraction
    benchmarks omit titles, and `newsbridge extract` reports it as `title`).
    """
    title = normalize_text(doc.title or "")
    if not title or (doc.paragraphs and normalize_text(doc.paragraphs[0]) == title):
        return doc
    paragraphs = [title, *doc.paragraphs]
    return doc.model_copy(update={"paragraphs": paragraphs, "text": "\n\n".join(paragraphs)})
