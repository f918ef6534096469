"""Align stage: source segment <-> its translation (mt-1:1) and a story's human versions.

Contract:
- `align_translations(segments: list[Segment]) -> list[AlignedPair]` method "mt-1:1".
- `align_sentences(src: list[str], tgt: list[str], src_lang: str, tgt_lang: str,
  mt: list[str] | None = None) -> list[Link]` with Link(src: list[int], tgt: list[int],
  score: float), 1:1, 1:2, 2:1, 1:0, 0:1, in order (issue 9).
- `align_story(pivot_doc_segments: list[Segment], other_doc_segments: list[Segment],
  src_lang: str, tgt_lang: str) -> list[AlignedPair]`: src = the non-pivot version's
  segment ids, tgt = the pivot version's segment ids; method "length+anchors" or
  "mt-bridge" (recorded on every pair).

How the cross-version alignment works (Gale-Church, extended):
- Dynamic programming over beads 1:1, 1:2, 2:1, 1:0, 0:1 (plus rare 2:2, 1:3, 3:1),
  each with a prior; the search is banded around the diagonal and widened when the best
  path touches the band edge.
- Length: characters, with a per-language-pair expansion factor and variance
  (`LENGTH_PRIORS`, estimated on part of NTREX by bench/eval_align.py), mixed with the
  ratio of the two documents themselves and re-estimated from a first pass, so a
  translation style the priors never saw still fits.
- Anchors shared across languages: numbers (grouping/decimal conventions, Chinese
  numerals, 万/亿/million/triệu scales), month and weekday names, Latin-script names and
  acronyms, percent signs and salient punctuation; rarer anchors weigh more.
- With MT of the source sentences into the target language (`mt=`), a bleualign-style
  n-gram similarity between MT and target joins the score ("mt-bridge"), but only when
  the MT proves informative on the document (a toy model's output does not).
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from tasks.align.evidence import (
    _ngrams,
    count_sentences,
    extract_anchors,
    mt_similarity,
    sentence_length,
)
from tasks.align.lexicon import (
    _Lexical,
    _lexical,
    chinese_english_lexicon,
    chinese_glosses,
    english_stems,
    lexical_similarity,
    vietnamese_glosses,
)
from tasks.langs import base_lang
from tasks.models import AlignedPair, Segment

# Re-exported: story pairing and the tests import these cues from here.
__all__ = [
    "chinese_english_lexicon",
    "chinese_glosses",
    "count_sentences",
    "english_stems",
    "extract_anchors",
    "sentence_length",
    "vietnamese_glosses",
]

METHOD_MT = "mt-1:1"
METHOD_LENGTH = "length+anchors"
METHOD_BRIDGE = "mt-bridge"
METHOD_LEXICON = "length+anchors+lexicon"


@dataclass
class Link:
    """One alignment link between line indices; empty `src` or `tgt` = 0:1 or 1:0."""

    src: list[int]
    tgt: list[int]
    score: float

    def to_json(self) -> dict[str, object]:
        return {"src": list(self.src), "tgt": list(self.tgt), "score": round(self.score, 4)}


@dataclass(frozen=True)
class LengthModel:
    """Length ratio model: `ratio` = target characters per source character; the log of
    (target length / expected length) is normal with variance `floor + short / L`, L the
    mean length in English-equivalent characters (short sentences vary more)."""

    ratio: float
    floor: float
    short: float

    def sigma(self, length: float) -> float:
        return math.sqrt(self.floor + self.short / max(length, 1.0))


@dataclass
class SentenceAlignment:
    links: list[Link]
    method: str
    ratio: float  # the expansion factor used in the final pass
    passes: int = 1
    notes: list[str] = field(default_factory=list)


# Estimated by `bench/eval_align.py --fit` on the even-numbered NTREX documents (the odd ones
# are held out). Keys use base language codes; the reverse direction is derived.
LENGTH_PRIORS: dict[tuple[str, str], LengthModel] = {
    ("vi", "en"): LengthModel(0.92, 0.0041, 2.13),
    ("zh", "en"): LengthModel(1.064, 0.0174, 2.28),
}
_DEFAULT_MODEL = LengthModel(1.0, 0.04, 3.0)
# Characters per English character, to express lengths in one unit for the variance model.
# (Chinese is already measured in this unit by `sentence_length`.)
_CHAR_UNIT = {"en": 1.0, "vi": 1.094, "zh": 1.0}

# Bead priors (Gale-Church style, symmetric so either side may merge or drop).
_BEADS: dict[tuple[int, int], float] = {
    (1, 1): 0.84,
    (1, 0): 0.025,
    (0, 1): 0.025,
    (2, 1): 0.045,
    (1, 2): 0.045,
    (2, 2): 0.006,
    (1, 3): 0.002,
    (3, 1): 0.002,
}
_BEAD_COST = {b: -math.log(p) for b, p in _BEADS.items()}

# Anchor weights by kind: numbers/dates and names are strong, punctuation is weak.
_ANCHOR_WEIGHT = {"n": 2.5, "d": 2.0, "w": 2.5, "p": 0.6}
_MT_WEIGHT = 6.0
_LENGTH_OUTLIERS = 0.1
_SENTENCE_COUNT_WEIGHT = 2.0  # per sentence more on one side of a link than on the other



def length_model(src_lang: str, tgt_lang: str) -> LengthModel:
    """The prior length model for a pair, derived from the reverse pair when needed."""
    s, t = base_lang(src_lang), base_lang(tgt_lang)
    if s == t:
        return LengthModel(1.0, _DEFAULT_MODEL.floor / 2, _DEFAULT_MODEL.short / 2)
    if (s, t) in LENGTH_PRIORS:
        return LENGTH_PRIORS[(s, t)]
    if (t, s) in LENGTH_PRIORS:
        m = LENGTH_PRIORS[(t, s)]  # log-ratio variance is symmetric
        return LengthModel(1.0 / m.ratio, m.floor, m.short)
    if (s, "en") in LENGTH_PRIORS and (t, "en") in LENGTH_PRIORS:
        a, b = LENGTH_PRIORS[(s, "en")], LENGTH_PRIORS[(t, "en")]
        return LengthModel(a.ratio / b.ratio, a.floor + b.floor, a.short + b.short)
    unit_s, unit_t = _CHAR_UNIT.get(s), _CHAR_UNIT.get(t)
    if unit_s and unit_t:
        return LengthModel(unit_t / unit_s, _DEFAULT_MODEL.floor, _DEFAULT_MODEL.short)
    return _DEFAULT_MODEL


# --------------------------------------------------------------------------- the DP


@dataclass
class _Side:
    lengths: list[int]
    anchors: list[Counter[str]]
    grams: list[Counter[str]] | None = None
    sentences: list[int] = field(default_factory=list)  # sentences seen inside each line


@dataclass
class _Span:
    length: int
    anchors: Counter[str]
    sentences: int
    grams: Counter[str] | None
    glosses: list[frozenset[str]] | None
    stems: set[str] | None


def _merge_counters(parts: list[Counter[str]]) -> Counter[str]:
    out: Counter[str] = Counter()
    for part in parts:
        out.update(part)
    return out


class _Scorer:
    def __init__(
        self,
        src: _Side,
        tgt: _Side,
        model: LengthModel,
        mt: _Side | None,
        tgt_unit: float = 1.0,
        lexical: _Lexical | None = None,
    ) -> None:
        self.src, self.tgt, self.model, self.mt = src, tgt, model, mt
        self.tgt_unit = tgt_unit
        self.lexical = lexical
        # Anchor weight = kind weight / document frequency (rarer anchors are surer).
        df: Counter[str] = Counter()
        for side in (src.anchors, tgt.anchors):
            local: Counter[str] = Counter()
            for a in side:
                local.update(a.keys())
            for k, v in local.items():
                df[k] = max(df[k], v)
        self.weight = {k: _ANCHOR_WEIGHT[k[0]] / math.sqrt(v) for k, v in df.items()}
        self._spans: dict[str, dict[tuple[int, int], _Span]] = {"src": {}, "tgt": {}}

    def length_cost(self, ls: int, lt: int) -> float:
        expected = ls * self.model.ratio
        mean = (expected + lt) / 2.0 / self.tgt_unit
        r = math.log((lt + self.tgt_unit) / (expected + self.tgt_unit))
        z = abs(r) / self.model.sigma(mean) / math.sqrt(2.0)
        # Heavy tails: free translations happen, so mix in a component three times as wide.
        p = (1.0 - _LENGTH_OUTLIERS) * math.erfc(z) + _LENGTH_OUTLIERS * math.erfc(z / 3.0)
        return -math.log(max(p, 1e-300))

    def _span(self, side: str, i0: int, i1: int) -> _Span:
        """Features of lines [i0, i1) of one side, merged once and remembered."""
        cache = self._spans[side]
        hit = cache.get((i0, i1))
        if hit is not None:
            return hit
        data = self.src if side == "src" else self.tgt
        anchors = data.anchors[i0] if i1 - i0 == 1 else _merge_counters(data.anchors[i0:i1])
        grams: Counter[str] | None = None
        grams_side = self.mt if side == "src" else self.tgt
        if self.mt is not None and grams_side is not None and grams_side.grams is not None:
            grams = grams_side.grams[i0] if i1 - i0 == 1 else _merge_counters(grams_side.grams[i0:i1])
        glosses: list[frozenset[str]] | None = None
        stems: set[str] | None = None
        lx = self.lexical
        if lx is not None:
            if (side == "src") == lx.foreign_is_src:
                glosses = lx.foreign[i0] if i1 - i0 == 1 else [g for k in range(i0, i1) for g in lx.foreign[k]]
            else:
                stems = lx.en[i0] if i1 - i0 == 1 else set().union(*lx.en[i0:i1])
        span = _Span(sum(data.lengths[i0:i1]), anchors, sum(data.sentences[i0:i1]) if data.sentences else i1 - i0, grams, glosses, stems)
        cache[(i0, i1)] = span
        return span

    def match_cost(self, i0: int, i1: int, j0: int, j1: int) -> float:
        """Cost of linking src[i0:i1] with tgt[j0:j1], excluding the bead prior."""
        if i1 == i0 or j1 == j0:
            return 0.0  # an unmatched sentence costs its bead prior only, whatever its length
        a = self._span("src", i0, i1)
        b = self._span("tgt", j0, j1)
        cost = self.length_cost(a.length, b.length)
        if a.anchors and b.anchors:
            other = b.anchors
            weight = self.weight
            for k, v in a.anchors.items():
                w = other.get(k)
                if w:
                    cost -= weight[k] * (v if v < w else w)
        if a.grams is not None and b.grams is not None:
            cost -= _MT_WEIGHT * mt_similarity(a.grams, b.grams)
        cost += _SENTENCE_COUNT_WEIGHT * abs(a.sentences - b.sentences)
        if self.lexical is not None:
            glosses = a.glosses if a.glosses is not None else b.glosses
            stems = a.stems if a.stems is not None else b.stems
            if glosses is not None and stems is not None:
                cost -= self.lexical.weight * lexical_similarity(glosses, stems)
        return cost


def _dp(scorer: _Scorer, n: int, m: int, band: int) -> tuple[list[tuple[int, int, int, int]], bool]:
    """Best bead path for n x m sentences within a diagonal band; also whether it hit the edge."""
    inf = float("inf")
    slope = m / n if n else 0.0

    def bounds(i: int) -> tuple[int, int]:
        c = i * slope
        return max(0, int(c) - band), min(m, int(math.ceil(c)) + band)

    cost: list[dict[int, float]] = [dict() for _ in range(n + 1)]
    back: list[dict[int, tuple[int, int]]] = [dict() for _ in range(n + 1)]
    cost[0][0] = 0.0
    for i in range(n + 1):
        lo, hi = bounds(i)
        row, brow = cost[i], back[i]
        for j in range(lo, hi + 1):
            if i == 0 and j == 0:
                continue
            best, arg = inf, (0, 0)
            for (a, b), prior in _BEAD_COST.items():
                pi, pj = i - a, j - b
                if pi < 0 or pj < 0:
                    continue
                prev = cost[pi].get(pj)
                if prev is None:
                    continue
                c = prev + prior + scorer.match_cost(pi, i, pj, j)
                if c < best:
                    best, arg = c, (a, b)
            if best < inf:
                row[j] = best
                brow[j] = arg
    if m not in cost[n]:
        return [], True
    path: list[tuple[int, int, int, int]] = []
    i, j = n, m
    touched = False
    while i > 0 or j > 0:
        a, b = back[i][j]
        lo, hi = bounds(i)
        if (j == lo and lo > 0) or (j == hi and hi < m):
            touched = True
        path.append((i - a, i, j - b, j))
        i, j = i - a, j - b
    path.reverse()
    return path, touched


def _run(scorer: _Scorer, n: int, m: int) -> list[tuple[int, int, int, int]]:
    band = max(12, abs(n - m) + 8, int(0.08 * max(n, m)))
    while True:
        path, touched = _dp(scorer, n, m, band)
        if path and (not touched or band >= max(n, m)):
            return path
        band *= 2


def _side(texts: list[str], lang: str, with_grams: bool) -> _Side:
    texts = [unicodedata.normalize("NFC", t) for t in texts]  # NFD Vietnamese counts the same
    return _Side(
        lengths=[sentence_length(t, lang) for t in texts],
        anchors=[extract_anchors(t, lang) for t in texts],
        grams=[_ngrams(t) for t in texts] if with_grams else None,
        sentences=[count_sentences(t, lang) for t in texts],
    )


def _links(scorer: _Scorer, path: list[tuple[int, int, int, int]]) -> list[Link]:
    links = []
    for i0, i1, j0, j1 in path:
        if i1 > i0 and j1 > j0:
            score = min(1.0, math.exp(-max(0.0, scorer.match_cost(i0, i1, j0, j1))))
        else:
            score = 0.0
        links.append(Link(list(range(i0, i1)), list(range(j0, j1)), score))
    return links


def _refit(model: LengthModel, src: _Side, tgt: _Side, path: list[tuple[int, int, int, int]]) -> LengthModel:
    """Re-estimate the expansion ratio from the document's own 1:1 links (shrunk to the prior)."""
    pairs = [(src.lengths[i0], tgt.lengths[j0]) for i0, i1, j0, j1 in path if i1 - i0 == 1 and j1 - j0 == 1]
    pairs = [(a, b) for a, b in pairs if a > 0 and b > 0]
    if len(pairs) < 3:
        return model
    ls = sum(a for a, _ in pairs)
    lt = sum(b for _, b in pairs)
    k = 200.0  # prior strength in source characters
    ratio = (lt + k * model.ratio) / (ls + k)
    return LengthModel(ratio, model.floor, model.short)


def _mt_informative(scorer: _Scorer, path: list[tuple[int, int, int, int]]) -> bool:
    """Does MT similarity separate the length+anchors 1:1 links from their neighbours?"""
    assert scorer.mt is not None and scorer.mt.grams is not None and scorer.tgt.grams is not None
    m = len(scorer.tgt.grams)
    on, off = [], []
    for i0, i1, j0, j1 in path:
        if i1 - i0 == 1 and j1 - j0 == 1:
            on.append(mt_similarity(scorer.mt.grams[i0], scorer.tgt.grams[j0]))
            for d in (-2, 2):
                if 0 <= j0 + d < m:
                    off.append(mt_similarity(scorer.mt.grams[i0], scorer.tgt.grams[j0 + d]))
    if len(on) < 2 or not off:
        return bool(on) and sum(on) / len(on) >= 0.3
    mean_on, mean_off = sum(on) / len(on), sum(off) / len(off)
    return mean_on >= 0.15 and mean_on >= 2.0 * mean_off + 0.05


def align_sentences_detailed(
    src: list[str],
    tgt: list[str],
    src_lang: str,
    tgt_lang: str,
    mt: list[str] | None = None,
    *,
    model: LengthModel | None = None,
    use_lexicon: bool = True,
) -> SentenceAlignment:
    """Align two versions' sentences; returns the links and the method actually used."""
    if mt is not None and len(mt) != len(src):
        raise ValueError(f"mt has {len(mt)} lines but src has {len(src)}; one MT line per source sentence")
    n, m = len(src), len(tgt)
    if n == 0 or m == 0:
        links = [Link([i], [], 0.0) for i in range(n)] + [Link([], [j], 0.0) for j in range(m)]
        return SentenceAlignment(links, METHOD_LENGTH, 0.0)
    prior = model or length_model(src_lang, tgt_lang)
    s_side = _side(src, src_lang, with_grams=False)
    t_side = _side(tgt, tgt_lang, with_grams=mt is not None)
    # First pass: the prior ratio, nudged toward this document pair's own total ratio.
    ls, lt = sum(s_side.lengths), sum(t_side.lengths)
    doc_ratio = lt / ls if ls and lt else prior.ratio
    first = LengthModel(math.sqrt(prior.ratio * doc_ratio), prior.floor, prior.short)
    unit = _CHAR_UNIT.get(base_lang(tgt_lang), 1.0)
    lexical = _lexical(src, tgt, src_lang, tgt_lang) if use_lexicon else None
    scorer = _Scorer(s_side, t_side, first, None, unit, lexical)
    path = _run(scorer, n, m)
    refit = _refit(first, s_side, t_side, path)
    method = METHOD_LEXICON if lexical is not None else METHOD_LENGTH
    mt_side: _Side | None = None
    if mt is not None:
        mt_side = _Side(lengths=[], anchors=[], grams=[_ngrams(t) for t in mt])
        if _mt_informative(_Scorer(s_side, t_side, refit, mt_side, unit, lexical), path):
            method = METHOD_BRIDGE
        else:
            mt_side = None
    scorer = _Scorer(s_side, t_side, refit, mt_side, unit, lexical)
    path = _run(scorer, n, m)
    return SentenceAlignment(_links(scorer, path), method, refit.ratio, passes=2)


def align_sentences(
    src: list[str],
    tgt: list[str],
    src_lang: str,
    tgt_lang: str,
    mt: list[str] | None = None,
) -> list[Link]:
    """Sentence alignment of two versions: 1:1, 1:2, 2:1, 1:0, 0:1 links in order."""
    return align_sentences_detailed(src, tgt, src_lang, tgt_lang, mt).links


# --------------------------------------------------------------------------- segments


def translation_ref(segment: Segment) -> str:
    """Reference to a segment's translation on the target side of an mt-1:1 pair."""
    lang = segment.translation.tgt if segment.translation else "und"
    return f"{segment.id}#mt:{lang}"


def align_translations(segments: list[Segment]) -> list[AlignedPair]:
    """Each segment <-> its own translation (1:1, score 1.0); untranslated segments get a
    1:0 pair with score 0.0 so nothing disappears silently."""
    pairs = []
    for seg in segments:
        if seg.translation is not None and seg.translation.text.strip():
            pairs.append(AlignedPair(src=[seg.id], tgt=[translation_ref(seg)], score=1.0, method=METHOD_MT))
        else:
            pairs.append(AlignedPair(src=[seg.id], tgt=[], score=0.0, method=METHOD_MT))
    return pairs


def align_story(
    pivot_doc_segments: list[Segment],
    other_doc_segments: list[Segment],
    src_lang: str,
    tgt_lang: str,
) -> list[AlignedPair]:
    """Align a non-pivot version (src) to the pivot version (tgt) of one story.

    The MT already on the non-pivot segments (into `tgt_lang`) is used as a bridge when at
    least half of them have it and it proves informative on this document; otherwise
    lengths, anchors, sentence counts and the lexicon (where there is one) decide.
    """
    src = [s.text for s in other_doc_segments]
    tgt = [s.text for s in pivot_doc_segments]
    mt: list[str] | None = [
        s.translation.text if s.translation is not None and base_lang(s.translation.tgt) == base_lang(tgt_lang) else ""
        for s in other_doc_segments
    ]
    fresh = sum(1 for s in other_doc_segments if s.translation is not None and s.translation.model != "copy")
    if not mt or sum(1 for t in mt if t.strip()) < len(mt) / 2 or fresh == 0:
        mt = None  # too little MT to bridge with (segments already in the pivot language count as their own MT)
    result = align_sentences_detailed(src, tgt, src_lang, tgt_lang, mt)
    return [
        AlignedPair(
            src=[other_doc_segments[i].id for i in link.src],
            tgt=[pivot_doc_segments[j].id for j in link.tgt],
            score=round(link.score, 4),
            method=result.method,
        )
        for link in result.links
    ]
