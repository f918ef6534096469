"""The chooser: `choose_candidate` keeps trafilatura's candidate as the anchor and departs
only on evidence that holds across sites; `CombineRule` holds its thresholds (bench/
eval_extract.py picks them), readability and jusText vote where the two disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from tasks.text.extract.boilerplate import _matches, is_metadata_line
from tasks.text.extract.parse import (
    _WORD_RE,
    _dense_script,
    _reads_like_prose,
    _reads_like_sentence,
    _tokens,
)
from tasks.text.vote import vote_paragraphs


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
