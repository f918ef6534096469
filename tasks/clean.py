"""Clean stage: decode + extract main text and metadata into a Document.

Contract: `extract_article(content: bytes, *, url: str, source_id: str = "",
headers: dict[str, str] | None = None, selector: str | None = None) -> Document`
(tasks.models.Document with paragraphs, text = "\\n\\n".join(paragraphs), NFC, charset,
charset_source, title, date, author, canonical_url, page_lang, extractor signature).
Raises `ExtractionError(reason, detail)` when nothing usable is found (reason e.g.
"no_main_text"). `EXTRACTOR_SIGNATURE: str`.

How: the page is decoded (tasks.decode), NFC-normalised and parsed once with lxml.
Main text comes from candidates that are compared: the source's CSS `selector` when
given, trafilatura's generic pass, and our own text-density pass that counts
characters (not words, so Chinese pages are measured fairly). Boilerplate lines
(ICP filings, copyright, share bars, "related" lists, comment widgets) are dropped
from whichever candidate wins.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, version
from urllib.parse import urljoin

from lxml import etree, html as lxml_html

from tasks.models import Document

EXTRACTOR_NAME = "newsbridge-clean"
EXTRACTOR_VERSION = "0.3"


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
    """(text, charset, charset_source) via tasks.decode (owned by the fetch stage)."""
    from tasks.decode import decode_html

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
    return tree


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


def _trafilatura_candidate(tree: lxml_html.HtmlElement, url: str) -> tuple[list[str], object | None]:
    """trafilatura's generic pass: (paragraphs, its Document with metadata)."""
    from trafilatura import bare_extraction

    try:
        doc = bare_extraction(
            copy.deepcopy(tree),
            url=url or None,
            include_comments=False,
            include_tables=True,
            with_metadata=True,
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


def _noise_strength(el: etree._Element) -> int:
    """2 = surely a widget (by tag or a strong class/id token), 1 = maybe, 0 = no."""
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    if tag in _NOISE_TAGS:
        return 2
    attrs = " ".join(filter(None, (el.get("class"), el.get("id"), el.get("role"))))
    if not attrs:
        return 1 if tag == "form" else 0
    parts = [t.lower() for t in _NOISE_SPLIT_RE.split(attrs) if t]
    # Adjacent pairs too: "binh-luan", "lien_quan", "share-bar" -> "binhluan", "lienquan".
    tokens = set(parts) | {a + b for a, b in zip(parts, parts[1:])}
    if tokens & _STATE_TOKENS:
        return 0
    # Strong words, glued forms too ("commentlist", "bdsharebuttonbox", "sharebar").
    # Next to content words they only count for a minor share of the page:
    # "main-nav" is a menu, "l-sidebar-fixed l-article-body-segment" holds the article.
    if tokens & _STRONG_NOISE_TOKENS or any(stem in t for t in parts for stem in _GLUED_STEMS):
        return 1 if tokens & _CONTENT_TOKENS else 2
    if tokens & _CONTENT_TOKENS:
        return 0  # "post-tags" or "content-hot" may still be the article
    return 1 if tag == "form" or tokens & _WEAK_NOISE_TOKENS else 0


def _visible_chars(el: etree._Element) -> int:
    """Non-space characters of visible text under `el` (scripts, styles... skipped)."""
    return sum(_count_chars(t) for kind, t in _events(el) if kind == "text")  # type: ignore[arg-type]


def _noise_elements(root: etree._Element) -> set[etree._Element]:
    """Elements that look like widgets by tag/class/id and do not hold most of the page's text.

    A wrapper named "__next" or a <body class="has-nav-bar"> holds the article too, so an
    element is only noise when it carries a minor share of the visible text.
    """
    total = _visible_chars(root) or 1
    # lxml proxies are kept alive by the set, so membership tests stay valid.
    out: set[etree._Element] = set()
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag.lower() in ("html", "body", "main", "article"):
            continue
        strength = _noise_strength(el)
        if strength and _visible_chars(el) <= (0.95 if strength == 2 else 0.4) * total:
            out.add(el)
    return out


class _Block:
    __slots__ = ("text", "chars", "link_chars", "path", "tag", "noise")

    def __init__(self, text: str, chars: int, link_chars: int, path: tuple[int, ...], tag: str, noise: bool) -> None:
        self.text = text
        self.chars = chars
        self.link_chars = link_chars
        self.path = path  # indices of ancestor elements (in _blocks' node list), outermost first
        self.tag = tag
        self.noise = noise

    @property
    def link_density(self) -> float:
        return self.link_chars / self.chars if self.chars else 1.0


def _count_chars(text: str) -> int:
    return sum(1 for c in text if not c.isspace())


_HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


def _blocks(root: lxml_html.HtmlElement) -> list[_Block]:
    """Text blocks of the page in order, each with char counts and its ancestor path."""
    blocks: list[_Block] = []
    pieces: list[tuple[str, bool]] = []  # (text, inside a link)
    path: list[int] = []
    tags: list[str] = []
    noise_depth = 0
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
            blocks.append(_Block(text, chars, min(link_chars, chars), tuple(path), tag, noise_depth > 0))
        pieces.clear()

    links: list[bool] = [False]  # inside an <a>, per open element
    noise_flags: list[bool] = []
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
            is_noise = el in noise
            noise_flags.append(is_noise)
            noise_depth += is_noise
            links.append(links[-1] or tag == "a")
        else:
            if tag in _BLOCK_TAGS or tag in _HEADING_TAGS:
                flush()
            noise_depth -= noise_flags.pop()
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


def _keepable(b: _Block) -> bool:
    """Not a widget, not a link list item, not a lone symbol or character."""
    if b.noise:
        return False
    limit = 0.5 if b.chars >= 50 else 0.3  # "·headline (date)" items of related lists
    if b.link_density > limit:
        return False
    alnum = len(_ALNUM_RE.findall(b.text))
    return alnum > 1 or (alnum == 1 and b.text.strip().isdigit())


def _is_teaser(blocks: list[_Block], i: int) -> bool:
    """Block i sits right under a linked headline in the same small box (a feed item).

    `<div class=item><h3><a>headline</a></h3><p>summary</p></div>`: the summary reads
    like prose but belongs to a list of other stories.
    """
    if i == 0:
        return False
    prev, cur = blocks[i - 1], blocks[i]
    if prev.link_density < 0.8 or prev.chars > 100 or prev.tag not in _HEADING_TAGS | {"dt"}:
        return False
    common = 0
    for a, b in zip(prev.path, cur.path):
        if a != b:
            break
        common += 1
    # The summary is a direct child of the item box that also holds the headline.
    return len(cur.path) - common <= 1 and len(prev.path) - common <= 3


def _density_candidate(tree: lxml_html.HtmlElement) -> list[str]:
    """Paragraphs of the element that concentrates the page's prose (see module comment)."""
    blocks = _blocks(tree)
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
    # Keep the container's blocks except widgets and link lists. Short plain lines stay:
    # table cells and list items are content; datelines and footers go later by pattern.
    kept = [i for i in inside if _keepable(blocks[i])]
    return [blocks[i].text for i in kept]


# --------------------------------------------------------------------------- boilerplate

_BOILERPLATE_RES = [
    re.compile(p, re.I)
    for p in (
        # ICP filing / public-security numbers: "京ICP备12345678号", "ICP证：010123号"
        r"[京沪津渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]\s*ICP\s*(备|证)",
        r"ICP\s*(备|证)?\s*[:：]?\s*字?\s*第?\s*[A-Z-]*\d{5,}",
        r"公网安备|网安备\s*\d|备案号\s*[:：]?\s*\S|备案[:：]\s*\d",
        # copyright lines ("Copyright holders sued..." is a sentence: a year or © is needed)
        r"^(copyright\s*)?(©|\(c\)|&copy;)",
        r"^copyright\s*(reserved\s*)?(19|20)\d\d",
        r"(copyright|版权所有|©|\(c\))\s*((19|20)\d\d\s*[-–]?\s*((19|20)\d\d)?\s*\S|[^\s]{0,40}(all rights reserved|版权所有(?![者人权])))",
        r"all rights reserved",
        r"^版权(所有|声明)(?![者人权])",
        r"版权所有(?![者人权])|未经(授权|许可|书面).{0,12}(转载|复制|使用)|不得转载",
        r"^(分享|分享到|share( this| on)?)\s*[:：]?\s*$",
        r"^(相关(新闻|阅读|文章|链接|报道|推荐)|延伸阅读|推荐阅读|热点推荐|related (stories|articles|news|posts)|read more|more stories|tin liên quan|bài liên quan|đọc thêm)\s*[:：]?\s*$",
    )
]


# Datelines, bylines and editor lines: metadata, not article text (kept in Document fields).
_META_LINE_RES = [
    re.compile(p, re.I)
    for p in (
        r"^[(（]?\s*(责任编辑|责编|编辑|作者|记者|(文章|新闻|信息)?来源|出处|稿源|发布时间|发布日期|更新时间|点击|浏览)\s*[:：]",
        r"^(时间|日期)\s*[:：]\s*[\d\s\-/.年月日:：]+$",
        r"^(19|20)\d\d[-/.年]\s*\d{1,2}[-/.月]\s*\d{1,2}日?\s*(\d{1,2}[:：]\d\d([:：]\d\d)?)?\s*([aApP][mM])?\s*(更新|发布|来源|作者|编辑|[|｜]|$)",
        r"^(published|updated|posted|last updated|first published)\b.{0,60}\d",
        # "Trần Thị Mai · 20/2/2025 16:07", "Thứ năm, 20/2/2025, 16:07 (GMT+7)"
        r"^[^.!?。！？]{0,60}\b\d{1,2}/\d{1,2}/(19|20)\d\d\s*[,|·-]?\s*\d{1,2}:\d\d\b[^.!?。！？]{0,30}$",
        r"^(từ khóa|từ khoá|tags?|keywords?|关键词|标签)\s*[:：]",
        r"^(date|time|source|author|click|views?)\s*:\s*\S.{0,50}$",
        r"^声明[:：].{0,40}(仅代表|不代表)",
        r"^(图|图片|摄影|photo|image)\s*[:：/]",
        r"^(上一篇|下一篇|上一页|下一页|previous|next)\s*[:：]",
        r"^(返回|back to)\s*(顶部|首页|top|gallery|list)",
        r"^(您的位置|您现在的位置|当前位置|你的位置|位置)\s*[:：]",
        r"^(分享到|分享至|转发到)\s*[:：]?",
    )
] + [
    # "By Jane Smith", "By Jane Smith and John Doe, Reuters" (names capitalised: "By the
    # way, ..." is a sentence).
    re.compile(r"^[Bb]y\s+[A-Z][\w.'’-]+(\s+(and\s+)?[A-Z][\w.'’-]+){0,4}\s*([,|].{0,60})?$"),
]


def is_metadata_line(text: str) -> bool:
    """A dateline, byline, editor/source line, breadcrumb or pager line (short lines only)."""
    if len(text) > 120:
        return False
    return any(rx.search(text) for rx in _META_LINE_RES)


def is_boilerplate_line(text: str) -> bool:
    """A line that is a site footer or widget, never article text (ICP, copyright, share bar...)."""
    if len(text) > 200:
        return False
    return any(rx.search(text) for rx in _BOILERPLATE_RES)


def _drop_boilerplate(paras: list[str]) -> list[str]:
    """Drop footer/widget/metadata lines and repeated paragraphs (galleries repeat captions)."""
    seen: set[str] = set()
    out: list[str] = []
    for p in paras:
        if (len(p) >= 20 and p in seen) or is_boilerplate_line(p) or is_metadata_line(p):
            continue
        seen.add(p)
        out.append(p)
    return out


# --------------------------------------------------------------------------- entry point


def _reads_like_prose(text: str) -> bool:
    """At least a short sentence: 10+ Han characters or 6+ words."""
    return len(_HAN_RE.findall(text)) >= 10 or len(_WORD_RE.findall(text)) >= 6


_TOKEN_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]|[^\W_]+")


def _tokens(paras: list[str]) -> Counter[str]:
    """Bag of tokens: each CJK character one token, other text split into words."""
    return Counter(_TOKEN_RE.findall(unicodedata.normalize("NFKC", " ".join(paras)).lower()))


def _reads_like_sentence(text: str) -> bool:
    """A full sentence: 8+ words (or 15+ Han chars) ending in sentence punctuation."""
    long_enough = len(_HAN_RE.findall(text)) >= 15 or len(_WORD_RE.findall(text)) >= 8
    return long_enough and bool(re.search(r"[.!?。！？…]['\"”’」』)）]*$", text))


def choose_candidate(candidates: dict[str, list[str]]) -> tuple[str, list[str]]:
    """Pick the main-text candidate (name, paragraphs) by script and by how they overlap.

    The two generic candidates nearly always nest (one keeps what the other keeps plus
    more), so the question is whose extra is right. Pages in dense scripts (Han, kana,
    Hangul): our character-density pass (word-based heuristics under-count them),
    unless it kept only short lines and trafilatura found prose. Other pages: trafilatura, unless it kept under half of what the density pass
    kept and that half is inside it (trafilatura stopped early, e.g. at an inline
    widget) -> density; or it kept over twice as much around the density pass's text
    and its extra is mostly not sentences (menus, link lists) -> density.
    """
    traf = candidates.get("trafilatura", [])
    dens = candidates.get("density", [])
    if not dens:
        return "trafilatura", traf
    if not traf:
        return "density", dens
    sample = "".join(dens[:50] + traf[:50])
    if len(_DENSE_RE.findall(sample)) >= 0.3 * max(1, _count_chars(sample)):
        if not any(_reads_like_prose(p) for p in dens) and any(_reads_like_prose(p) for p in traf):
            return "trafilatura", traf  # the density pass kept only short lines
        return "density", dens
    t, d = _tokens(traf), _tokens(dens)
    n_t, n_d = sum(t.values()), sum(d.values())
    inside = sum((t & d).values()) / n_t if n_t else 0.0
    if n_t < 0.5 * n_d and inside >= 0.9:
        return "density", dens
    if n_d < 0.5 * n_t and (sum((t & d).values()) / n_d if n_d else 0.0) >= 0.9:
        # trafilatura kept over twice as much, around the density pass's text: keep it
        # only if its extra reads like prose, not menus and link lists ("too much").
        kept = set(dens)
        extra = [p for p in traf if p not in kept]
        prose = sum(len(p) for p in extra if _reads_like_sentence(p))
        if prose < 0.3 * max(1, sum(len(p) for p in extra)):
            return "density", dens
    return "trafilatura", traf


def extract_candidates(content: bytes, *, url: str = "", headers: dict[str, str] | None = None) -> dict[str, list[str]]:
    """Every generic candidate's paragraphs (after boilerplate lines), for diagnostics and bench."""
    text, _, _ = _decode(content, headers)
    tree = _parse(unicodedata.normalize("NFC", text))
    _strip_comments(tree)
    traf, _ = _trafilatura_candidate(tree, url)
    return {"trafilatura": _drop_boilerplate(traf), "density": _drop_boilerplate(_density_candidate(tree))}


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
    method = "generic"
    if selector:
        paras = _drop_boilerplate(_selector_candidate(tree, selector))
        method = f"selector:{selector}"
    traf_paras, traf_doc = _trafilatura_candidate(tree, url)
    if not paras:
        candidates = {"trafilatura": _drop_boilerplate(traf_paras), "density": _drop_boilerplate(_density_candidate(tree))}
        name, paras = choose_candidate(candidates)
        method = f"generic:{name}" if not selector else f"generic:{name}(selector-empty)"
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
        extractor=f"{EXTRACTOR_SIGNATURE}|{method}",
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
