"""Our own generic pass, by text density counted in characters (fair to Chinese pages):
the page's text blocks, widget (noise) elements, and the container whose blocks hold the
most non-link text.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from lxml import etree
from lxml import html as lxml_html

from tasks.text.extract.boilerplate import is_metadata_line
from tasks.text.extract.metadata import _DATE_IN_LINE_RE
from tasks.text.extract.parse import (
    _BLOCK_TAGS,
    _DENSE_RE,
    _WORD_RE,
    _count_chars,
    _events,
    normalize_text,
)

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
