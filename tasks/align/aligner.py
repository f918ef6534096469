"""Sentence alignment of comparable versions: abridged, edited, reordered.

The search keeps a link only where evidence says so:
- Every candidate bead (1:1, 2:1, 1:2) gets features (`Evidence.features`): dictionary
  overlap, shared numbers / dates / names, anchors on one side only, length agreement,
  sentence counts, MT similarity when a real MT is given, the memory's reviewed pairs.
- A logistic model (`tasks/data/align_model.json`, fitted on a dev split) turns them into
  the log-odds that the bead is right. The monotonic search maximises the sum of the
  log-odds of the beads it takes; leaving a sentence unlinked scores 0, so a bead with no
  evidence (negative log-odds) is never taken instead of two unlinked sentences.
- A 2:1 or 1:2 bead needs evidence (a dictionary hit or a shared anchor) on both halves.
- A second, non-monotonic pass links what the first left over (a moved paragraph), only
  where a bead's log-odds reach `second_pass_min`.
- Each kept link is scored by a second logistic model (its log-odds, its margin over rival
  partners, whether its neighbours sit on the same diagonal, which pass found it): the
  probability that it is right. From `export_threshold` on, it is exported.

Cost: with n and m sentences, the first pass visits O((n + m) * b) cells, b the band
half-width (at least 15, at most `CELL_BUDGET / (n + m)`), each trying 5 beads; the
second pass O(u * v) for the u and v sentences left over (capped the same way).
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Mapping

from tasks.align.calibration import AlignModel
from tasks.align.evidence import (
    CHAR_UNIT,
    LengthModel,
    _ngrams,
    anchor_overlap,
    anchor_weights,
    count_sentences,
    extract_anchors,
    mt_similarity,
    sentence_length,
)
from tasks.align.lexicon import Glosser, english_stems, lexical_hits
from tasks.langs import base_lang

CELL_BUDGET = 150_000  # cells of one search; bounds the run time on very long documents
REFIT_MAX = 2_000  # sentences (both sides) up to which a second in-order pass refits the length ratio
MT_EVIDENCE = 0.1  # MT similarity that counts as evidence on its own
MIN_BAND = 15
_BEADS = ((1, 1), (2, 1), (1, 2))
_RIVAL_WINDOW = 2
_MEMORY_BONUS = 8.0  # log-odds added when the memory holds exactly this pair as reviewed


@dataclass
class Side:
    texts: list[str]
    lengths: list[int]
    anchors: list[Counter[str]]
    sentences: list[int]
    glosses: list[list[frozenset[str]]] | None = None  # the non-English side
    stems: list[set[str]] | None = None  # the English side
    grams: list[Counter[str]] | None = None  # English side, or MT of the source
    usable: list[bool] = field(default_factory=list)  # False: a link line, never linked


def prepare(texts: list[str], lang: str, glosser: Glosser | None, english: bool, usable: list[bool]) -> Side:
    texts = [unicodedata.normalize("NFC", t) for t in texts]
    side = Side(
        texts=texts,
        lengths=[sentence_length(t, lang) for t in texts],
        anchors=[extract_anchors(t, lang) for t in texts],
        sentences=[count_sentences(t, lang) for t in texts],
        usable=usable,
    )
    if english:
        side.stems = [english_stems(t) for t in texts]
    elif glosser is not None and glosser.available:
        side.glosses = [glosser.glosses(t) for t in texts]
    return side


@dataclass
class Bead:
    i0: int
    i1: int
    j0: int
    j1: int
    logit: float
    features: dict[str, float]
    second_pass: bool = False


class Evidence:
    """Features and log-odds of candidate beads between two prepared sides (cached)."""

    def __init__(
        self,
        src: Side,
        tgt: Side,
        lengths: LengthModel,
        model: AlignModel,
        unit: float = 1.0,
        mt: list[Counter[str]] | None = None,
        reviewed: Mapping[str, str] | None = None,
    ) -> None:
        self.src, self.tgt, self.lengths, self.model, self.unit = src, tgt, lengths, model, unit
        self.mt = mt
        self.reviewed = {_norm(k): _norm(v) for k, v in (reviewed or {}).items()}
        self.weight = anchor_weights([src.anchors, tgt.anchors])
        self.lexical = (src.glosses is not None and tgt.stems is not None) or (tgt.glosses is not None and src.stems is not None)
        self._cache: dict[tuple[int, int, int, int], tuple[float, dict[str, float]]] = {}
        self._lex_cache: dict[tuple[int, int, int, int], tuple[int, int, int, int]] = {}

    def _lex(self, i0: int, i1: int, j0: int, j1: int) -> tuple[int, int, int, int]:
        """(foreign words hit, foreign words, English stems covered, English stems)."""
        key = (i0, i1, j0, j1)
        got = self._lex_cache.get(key)
        if got is None:
            got = self._lex_cache[key] = self._lex_uncached(i0, i1, j0, j1)
        return got

    def _lex_uncached(self, i0: int, i1: int, j0: int, j1: int) -> tuple[int, int, int, int]:
        if self.src.glosses is not None and self.tgt.stems is not None:
            glosses = [g for k in range(i0, i1) for g in self.src.glosses[k]]
            stems = set().union(*self.tgt.stems[j0:j1])
        elif self.tgt.glosses is not None and self.src.stems is not None:
            glosses = [g for k in range(j0, j1) for g in self.tgt.glosses[k]]
            stems = set().union(*self.src.stems[i0:i1])
        else:
            return 0, 0, 0, 0
        hit, covered = lexical_hits(glosses, stems)
        return hit, len(glosses), len(covered), len(stems)

    def _lex_f1(self, i0: int, i1: int, j0: int, j1: int) -> float:
        hits, n_gloss, covered, n_stems = self._lex(i0, i1, j0, j1)
        p = hits / n_gloss if n_gloss else 0.0
        r = covered / n_stems if n_stems else 0.0
        return 2 * p * r / (p + r) if p + r else 0.0

    def _half_evidence(self, i0: int, i1: int, j0: int, j1: int) -> float:
        """Evidence of one half of a 2:1 / 1:2 bead: dictionary hits plus shared anchors."""
        hit, _, covered, _ = self._lex(i0, i1, j0, j1)
        a = _merge(self.src.anchors[i0:i1])
        b = _merge(self.tgt.anchors[j0:j1])
        matched = anchor_overlap(a, b, self.weight)[0]
        return min(hit, covered) + matched

    def features(self, i0: int, i1: int, j0: int, j1: int) -> tuple[float, dict[str, float]]:
        """(log-odds, features) of linking src[i0:i1] with tgt[j0:j1]."""
        key = (i0, i1, j0, j1)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        out = self._features(i0, i1, j0, j1)
        self._cache[key] = out
        return out

    def _features(self, i0: int, i1: int, j0: int, j1: int) -> tuple[float, dict[str, float]]:
        src, tgt = self.src, self.tgt
        if not (all(src.usable[i0:i1]) and all(tgt.usable[j0:j1])):
            return -math.inf, {}
        f: dict[str, float] = {}
        reviewed = bool(self.reviewed) and self.reviewed.get(_norm(" ".join(src.texts[i0:i1]))) == _norm(" ".join(tgt.texts[j0:j1]))
        if reviewed:
            f["memory"] = 1.0
        multi = (i1 - i0) + (j1 - j0) > 2
        f["multi"] = 1.0 if multi else 0.0
        if multi:
            if i1 - i0 == 2:
                subs = ((i0, i0 + 1, j0, j1), (i0 + 1, i1, j0, j1))
            else:
                subs = ((i0, i1, j0, j0 + 1), (i0, i1, j0 + 1, j1))
            f["half_min"] = min(min(self._half_evidence(*sub) for sub in subs), 3.0)
            if f["half_min"] <= 0.0 and not reviewed:
                return -math.inf, f  # a merge or split needs evidence on both halves
        hits, n_gloss, covered, n_stems = self._lex(i0, i1, j0, j1)
        a = src.anchors[i0] if i1 - i0 == 1 else _merge(src.anchors[i0:i1])
        b = tgt.anchors[j0] if j1 - j0 == 1 else _merge(tgt.anchors[j0:j1])
        matched, num_miss, name_miss, punct = anchor_overlap(a, b, self.weight)
        if self.mt is not None and tgt.grams is not None:
            f["mt"] = mt_similarity(_merge(self.mt[i0:i1]), _merge(tgt.grams[j0:j1]))
        if hits == 0 and matched == 0.0 and punct == 0.0 and f.get("mt", 0.0) < MT_EVIDENCE and not reviewed:
            return -math.inf, f  # no positive evidence at all: leaving both unlinked is better
        ls = sum(src.lengths[i0:i1])
        lt = sum(tgt.lengths[j0:j1])
        f["len_z"] = min(self.lengths.z(ls, lt, self.unit), 8.0)
        f["log_len"] = math.log1p((ls * self.lengths.ratio + lt) / 2.0 / self.unit)
        p = hits / n_gloss if n_gloss else 0.0
        r = covered / n_stems if n_stems else 0.0
        f["lex_p"], f["lex_r"] = p, r
        f["lex_f1"] = max(2 * p * r / (p + r) if p + r else 0.0, f.get("mt", 0.0))  # MT overlap stands in for dictionary overlap
        f["lex_hits"] = math.log1p(min(hits, covered))
        f["len_z2"] = min(f["len_z"], 4.0) ** 2
        f["lex_x_len"] = f["lex_f1"] * f["log_len"]
        f["anc"], f["punct"] = min(matched, 4.0), min(punct, 2.0)
        f["anc_miss"], f["name_miss"] = min(num_miss, 4.0), min(name_miss, 4.0)
        f["sent_diff"] = float(abs(sum(src.sentences[i0:i1]) - sum(tgt.sentences[j0:j1])))
        if multi:
            # what merging adds over the better of the two 1:1 beads inside it
            best_z = min(self.lengths.z(sum(src.lengths[a:b]), sum(tgt.lengths[c:d]), self.unit) for a, b, c, d in subs)
            f["multi_len_gain"] = max(min(best_z, 8.0) - f["len_z"], -4.0)
            f["multi_lex_gain"] = f["lex_f1"] - max(self._lex_f1(*sub) for sub in subs)
        if not self.lexical:
            f["no_lexicon"] = 1.0
        logit = self.model.bead.logit(f)
        if reviewed:
            logit += _MEMORY_BONUS  # a reviewed pair is evidence enough
        return logit, f


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split()).lower()


def _merge(parts: list[Counter[str]]) -> Counter[str]:
    if len(parts) == 1:
        return parts[0]
    out: Counter[str] = Counter()
    for part in parts:
        out.update(part)
    return out


# --------------------------------------------------------------------------- the search


def band_width(n: int, m: int) -> int:
    """Half-width of the search band: wide enough for drops and additions, bounded in cells."""
    want = max(MIN_BAND, abs(n - m) + 10, int(0.2 * max(n, m)))
    return max(4, min(want, CELL_BUDGET // max(1, n + m)))


def monotonic(ev: Evidence, rows: list[int], cols: list[int], offset: float = 0.0, band: int | None = None) -> list[Bead]:
    """Best monotonic set of beads over the given source rows and target columns (index
    lists into the sides, in order); a bead scores its log-odds minus `offset`, skipping
    scores 0. Multi-sentence beads only join neighbours that are adjacent in the text."""
    n, m = len(rows), len(cols)
    if n == 0 or m == 0:
        return []
    b = band if band is not None else band_width(n, m)
    slope = m / n

    def bounds(i: int) -> tuple[int, int]:
        c = i * slope
        return max(0, int(c) - b), min(m, int(math.ceil(c)) + b)

    score: list[dict[int, float]] = [{} for _ in range(n + 1)]
    back: list[dict[int, tuple[int, int, Bead | None]]] = [{} for _ in range(n + 1)]
    score[0][0] = 0.0
    for i in range(n + 1):
        lo, hi = bounds(i)
        row = score[i]
        for j in range(lo, hi + 1):
            if i == 0 and j == 0:
                continue
            best, arg = -math.inf, (0, 0, None)
            for pi, pj in ((i - 1, j), (i, j - 1)):
                if pi >= 0 and pj >= 0:
                    prev = score[pi].get(pj)
                    if prev is not None and prev > best:
                        best, arg = prev, (pi, pj, None)
            for a, c in _BEADS:
                pi, pj = i - a, j - c
                if pi < 0 or pj < 0:
                    continue
                prev = score[pi].get(pj)
                if prev is None:
                    continue
                r0, r1, c0, c1 = rows[pi], rows[i - 1] + 1, cols[pj], cols[j - 1] + 1
                if r1 - r0 != a or c1 - c0 != c:
                    continue  # not adjacent in the text (second pass over leftovers)
                logit, feats = ev.features(r0, r1, c0, c1)
                gain = logit - offset
                if gain <= 0.0:
                    continue
                if prev + gain > best:
                    best, arg = prev + gain, (pi, pj, Bead(r0, r1, c0, c1, logit, feats))
            if best > -math.inf:
                row[j] = best
                back[i][j] = arg
    beads: list[Bead] = []
    i, j = n, m
    if j not in score[i]:  # cannot happen: skips connect every cell; kept for safety
        return []
    while i > 0 or j > 0:
        pi, pj, bead = back[i][j]
        if bead is not None:
            beads.append(bead)
        i, j = pi, pj
    beads.reverse()
    return beads


def refit_ratio(prior: LengthModel, src: Side, tgt: Side, beads: list[Bead]) -> LengthModel:
    """The document's own length ratio from its confident 1:1 links, shrunk to the prior."""
    pairs = [(src.lengths[b.i0], tgt.lengths[b.j0]) for b in beads if b.i1 - b.i0 == 1 and b.j1 - b.j0 == 1 and b.logit > 2.0]
    pairs = [(a, c) for a, c in pairs if a > 0 and c > 0]
    if len(pairs) < 3:
        return prior
    k = 200.0  # prior strength in source characters
    ratio = (sum(c for _, c in pairs) + k * prior.ratio) / (sum(a for a, _ in pairs) + k)
    return LengthModel(ratio, prior.floor, prior.short)


def leftovers(ev: Evidence, beads: list[Bead], n: int, m: int, rounds: int = 2) -> list[Bead]:
    """Second, non-monotonic pass: link what the first pass left unlinked (a moved
    paragraph), in order among the leftovers, where the log-odds reach `second_pass_min`;
    repeated once more for a second paragraph moved the other way."""
    found: list[Bead] = []
    for _ in range(rounds):
        more = _leftover_round(ev, beads + found, n, m)
        if not more:
            break
        found += more
    return found


def _leftover_round(ev: Evidence, beads: list[Bead], n: int, m: int) -> list[Bead]:
    used_s = {i for b in beads for i in range(b.i0, b.i1)}
    used_t = {j for b in beads for j in range(b.j0, b.j1)}
    rows = [i for i in range(n) if i not in used_s and ev.src.usable[i]]
    cols = [j for j in range(m) if j not in used_t and ev.tgt.usable[j]]
    if not rows or not cols:
        return []
    band = max(len(rows), len(cols))
    band = min(band, CELL_BUDGET // max(1, len(rows) + len(cols)))
    found = monotonic(ev, rows, cols, offset=ev.model.second_pass_min, band=band)
    for bead in found:
        bead.second_pass = True
    return found


def link_features(ev: Evidence, beads: list[Bead]) -> list[dict[str, float]]:
    """Context of each kept link for the link model: margin over the best rival partner,
    neighbours on the same diagonal, which pass found it."""
    order = sorted(range(len(beads)), key=lambda k: (beads[k].i0, beads[k].j0))
    out: list[dict[str, float]] = [{} for _ in beads]
    n, m = len(ev.src.lengths), len(ev.tgt.lengths)
    # share of both versions inside links: near 1 for a strict translation, lower for an abridged one
    coverage = sum((b.i1 - b.i0) + (b.j1 - b.j0) for b in beads) / max(1, n + m)
    # length of the diagonal run (links following each other on both sides) each link is in
    run_id: list[int] = [0] * len(order)
    for pos in range(1, len(order)):
        a, c = beads[order[pos - 1]], beads[order[pos]]
        run_id[pos] = run_id[pos - 1] + (0 if (a.i1 == c.i0 and a.j1 == c.j0) else 1)
    run_len = Counter(run_id)
    for pos, k in enumerate(order):
        b = beads[k]
        rivals = [-8.0]
        for i in range(b.i0, b.i1):
            for j in range(max(0, b.j0 - _RIVAL_WINDOW), min(m, b.j1 + _RIVAL_WINDOW)):
                if not b.j0 <= j < b.j1:
                    rivals.append(ev.features(i, i + 1, j, j + 1)[0])
        for j in range(b.j0, b.j1):
            for i in range(max(0, b.i0 - _RIVAL_WINDOW), min(n, b.i1 + _RIVAL_WINDOW)):
                if not b.i0 <= i < b.i1:
                    rivals.append(ev.features(i, i + 1, j, j + 1)[0])
        best_rival = max(r for r in rivals if r > -math.inf)
        prev = beads[order[pos - 1]] if pos > 0 else None
        nxt = beads[order[pos + 1]] if pos + 1 < len(order) else None
        gap_s = b.i0 - (prev.i1 if prev is not None else 0)
        gap_t = b.j0 - (prev.j1 if prev is not None else 0)
        f = {
            "bead_logit": max(min(b.logit, 15.0), -15.0),
            "gap_both": 1.0 if gap_s > 0 and gap_t > 0 else 0.0,
            "lex_f1": b.features.get("lex_f1", 0.0),
            "anc": b.features.get("anc", 0.0),
            "len_z": b.features.get("len_z", 0.0),
            "margin": max(min(b.logit - best_rival, 15.0), -15.0),
            "diag_prev": 1.0 if (prev is None and b.i0 == 0 and b.j0 == 0) or (prev is not None and prev.i1 == b.i0 and prev.j1 == b.j0) else 0.0,
            "diag_next": 1.0 if (nxt is None and b.i1 == n and b.j1 == m) or (nxt is not None and nxt.i0 == b.i1 and nxt.j0 == b.j1) else 0.0,
            "second_pass": 1.0 if b.second_pass else 0.0,
            "coverage": coverage,
            "run": float(min(run_len[run_id[pos]], 6)),
            "multi": b.features.get("multi", 0.0),
        }
        out[k] = f
    return out


def mt_grams(mt: list[str]) -> list[Counter[str]]:
    return [_ngrams(t) for t in mt]


def char_unit(lang: str) -> float:
    return CHAR_UNIT.get(base_lang(lang), 1.0)
