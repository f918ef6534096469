"""Paragraph votes for the extraction: where trafilatura and the density pass disagree.

Two more extractors give a second and third opinion, both already installed with
trafilatura (no new dependency): trafilatura's port of *readability* (the algorithm of
the browsers' reader views: the best-scoring container and its siblings) and *jusText*
(paragraph classification by length, link density and stop-word density, here with
the stop words of all its languages, so it needs no language guess). Each works
differently from trafilatura's XPath heuristics and from our character-density pass,
so their errors are less correlated than those of trafilatura's own modes.

`vote_paragraphs` keeps trafilatura's text as the anchor and changes it only where the
others agree:

- a paragraph of the density pass that trafilatura lacks comes in (at its place in the
  page) when it is a full sentence, not widget text, and every voter keeps it
  (the density pass, readability and jusText: three independent methods);
- a paragraph at either end of trafilatura's text goes when no voter keeps it (a
  leftover trafilatura took from a metadata block, an embed or a footer).

Pure functions on paragraph lists; `tasks.text.extract` runs the voters (it owns parsing) and
decides when. Imports nothing from the project.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable

from lxml import html as lxml_html

_NON_WORD_RE = re.compile(r"[\W_]+")
_SENTENCE_CUT_RE = re.compile(r"(?<=[.!?。！？])\s+")
_LIST_NUMBER_RE = re.compile(r"^\W*\d{1,3}[.)]\s*")


def fold(text: str) -> str:
    """Letters and digits only, case-folded: paragraphs compare across extractors."""
    return _NON_WORD_RE.sub("", text.casefold())


def joined(paras: Iterable[str]) -> str:
    """An extractor's whole text folded into one string (paragraph splits differ between them)."""
    return fold("".join(paras))


def support(paragraph: str, text: str) -> float:
    """Share of `paragraph` (by characters of its sentences) that `text` (folded) contains.

    A list item's number ("- 1.Em uma vasilha ...") is left out: extractors render it apart
    from the item's text, or not at all."""
    paragraph = _LIST_NUMBER_RE.sub("", paragraph)
    whole = fold(paragraph)
    if not whole:
        return 0.0
    if whole in text:
        return 1.0
    parts = [p for p in map(fold, _SENTENCE_CUT_RE.split(paragraph)) if len(p) >= 10]
    total = sum(len(p) for p in parts)
    return sum(len(p) for p in parts if p in text) / total if total else 0.0


def readability_paragraphs(tree: lxml_html.HtmlElement, split: Callable[[lxml_html.HtmlElement], list[str]]) -> list[str]:
    """trafilatura's readability port on a copy of the tree; `split` cuts its output into paragraphs."""
    from trafilatura.external import try_readability

    try:
        summary = try_readability(copy.deepcopy(tree))
    except Exception:  # noqa: BLE001 - a voter that fails just does not vote
        return []
    return split(summary) if summary is not None and len(summary) else []


def justext_paragraphs(tree: lxml_html.HtmlElement) -> list[str]:
    """jusText's good paragraphs (stop words of all its languages) on a copy of the tree."""
    from trafilatura.baseline import basic_cleaning
    from trafilatura.external import try_justext

    try:
        body = try_justext(basic_cleaning(copy.deepcopy(tree)), None, None)
    except Exception:  # noqa: BLE001
        return []
    return ["".join(p.itertext()) for p in body]


def disputed(anchor: list[str], density: list[str], addable: Callable[[str], bool]) -> bool:
    """Is there anything to vote on: a density paragraph that could come in, or an anchor end the density pass lacks."""
    a, d = joined(anchor), joined(density)
    if any(addable(p) and support(p, a) < 0.5 for p in density):
        return True
    ends = anchor[:1] + anchor[-1:]
    return any(support(p, d) < 0.8 for p in ends)


def vote_paragraphs(
    anchor: list[str],
    density: list[str],
    voters: dict[str, list[str]],
    addable: Callable[[str], bool],
    add_votes: int = 3,
    drop_votes: int = 1,
    lead: Callable[[str], bool] = lambda p: False,
) -> tuple[list[str], int, int]:
    """The anchor's paragraphs with the voters' corrections: (paragraphs, added, dropped).

    `voters` includes the density pass. A density paragraph the anchor lacks comes in
    when `addable` and at least `add_votes` voters keep it (support >= 0.8); an anchor
    paragraph in its leading or trailing run goes when fewer than `drop_votes` keep it,
    except a leading one that `lead` accepts (a standfirst that reads like prose: the
    voters start at the body, the page's summary above it is still the article's).
    """
    texts = {name: joined(paras) for name, paras in voters.items()}
    anchor_text = joined(anchor)

    def votes(p: str) -> int:
        return sum(support(p, t) >= 0.8 for t in texts.values())

    # Density paragraphs the anchor lacks go after the last paragraph both share.
    index = {p: i for i, p in enumerate(anchor)}
    after: dict[int, list[str]] = {}
    last = -1
    for p in density:
        if p in index:
            last = index[p]
        elif addable(p) and support(p, anchor_text) < 0.5 and votes(p) >= add_votes:
            after.setdefault(last, []).append(p)
    keep = [votes(p) >= drop_votes for p in anchor]
    for i, p in enumerate(anchor):  # the leading run
        if keep[i]:
            break
        keep[i] = lead(p)
    # Only the ends: between two kept paragraphs everything of the anchor stays.
    kept = [i for i, k in enumerate(keep) if k]
    if kept:
        keep = [k or kept[0] < i < kept[-1] for i, k in enumerate(keep)]
    # Leftovers at the ends, never half of the anchor's text: then the voters missed the article.
    if not kept or sum(len(p) for p, k in zip(anchor, keep) if not k) >= 0.5 * sum(map(len, anchor)):
        keep = [True] * len(anchor)
    out = list(after.get(-1, []))
    for i, p in enumerate(anchor):
        if keep[i]:
            out.append(p)
        out.extend(after.get(i, []))
    added = sum(len(v) for v in after.values())
    return out, added, keep.count(False)
