"""Trimming a candidate: headlines, widget texts repeated as article edges, inline boxes
and the page tail after the article (related stories, comments).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from lxml import etree
from lxml import html as lxml_html

from tasks.text.extract.boilerplate import _fold, _matches, _share_a_box, trim_edges
from tasks.text.extract.density import _Block, _is_dateline
from tasks.text.extract.metadata import _meta, _title
from tasks.text.extract.parse import (
    _SPACE_RE,
    _has_a_sentence,
    _reads_like_prose,
    _reads_like_sentence,
)


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
