"""Document-level evidence that two articles in different languages are versions of one story.

The story pairer (tasks/align/pairing.py) asks this module for the probability that two
stored articles with no link between them are language versions of one story. The
evidence is the sentence aligner's, counted over whole documents:

- numbers and dates (`n:`/`d:` anchors of tasks/align/evidence.py: digits in any
  notation, Chinese numerals, months, weekdays);
- Latin-script names and acronyms (`w:` anchors);
- dictionary translations: CC-CEDICT glosses of Chinese words, the vi-en news lexicon's
  glosses of Vietnamese phrases, and the archive's learned lexicon (IBM Model 1,
  tasks/align/learned.py) when there is one, met by the English version's stems;
- the length ratio (an abridged edition is shorter: only a far-off ratio counts against).

Shared numbers and names are counted as *containment* (idf-weighted share of the smaller
side's set found in the other), so an English edition that dropped a third of the story
still matches. Each item is weighted by its idf over the pool of articles being paired.

`PairScorer.pair_logit` turns one pair's features into a log-odds; `PairScorer.probability`
adds how far the pair stands above each side's best rival (the same article's next-best
candidate in that language) and maps the result to a calibrated probability. Both sets of
weights are fitted by logistic regression on the dev half of the NTREX-based bench
(`python bench/eval_pairing.py DATA --fit`) and live in `tasks/data/pairing_model.json`
with the threshold; the held-out figures are in docs/benchmarks.md.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable, Mapping, Sequence

from tasks.align.evidence import base_lang

MODEL_FILE = "pairing_model.json"  # in tasks/data/
MAX_CHARS = 40_000  # a document's evidence is read from its first 40,000 characters
PAIR_FEATURES = ("numbers", "numbers_mass", "names", "names_mass", "lexicon_src", "lexicon_en", "length_off")
RIVAL_FEATURES = ("logit", "margin_a", "margin_b")
# Mean log ratio of sentence_length (tasks/align/evidence.py) between versions, measured on NTREX
# (translations of one article): en/zh 0.065, en/vi -0.088, vi/zh 0.153.
_LOG_LEN_RATIO = {("en", "zh"): 0.065, ("en", "vi"): -0.088, ("vi", "zh"): 0.153}
_LOG_LEN_RATIO.update({(b, a): -v for (a, b), v in list(_LOG_LEN_RATIO.items())})
_LEN_SLACK = 0.7  # |log ratio| up to this (a version half as long) costs nothing: abridged editions


@dataclass(frozen=True)
class DocEvidence:
    """What the pairer reads of one document."""

    lang: str
    numbers: frozenset[str]
    names: frozenset[str]
    glosses: tuple[frozenset[str], ...]  # non-English: English stems per dictionary word
    stems: frozenset[str]  # English: content-word stems; others: every gloss stem
    length: float


def doc_evidence(text: str, lang: str, learned: Mapping[str, Mapping[str, float]] | None = None) -> DocEvidence:
    """Numbers, names, dictionary glosses (or English stems) and length of one document."""
    from tasks.align.evidence import extract_anchors, sentence_length
    from tasks.align.ibm1 import glosses as learned_glosses
    from tasks.align.ibm1 import tokens
    from tasks.align.lexicon import chinese_english_lexicon, chinese_glosses, english_stems, vietnamese_glosses

    lang = base_lang(lang)
    text = text[:MAX_CHARS]
    anchors = extract_anchors(text, lang)
    numbers = frozenset(k for k in anchors if k[0] in "nd")
    names = frozenset(k for k in anchors if k[0] == "w")
    glosses: list[frozenset[str]] = []
    if lang == "en":
        stems = frozenset(english_stems(text))
    else:
        if lang == "zh":
            lex = chinese_english_lexicon()
            glosses = chinese_glosses(text, lex) if lex else []
        elif lang == "vi":
            glosses = vietnamese_glosses(text)
        if learned:
            glosses += learned_glosses(tokens(text, lang), learned)
        stems = frozenset().union(*glosses) if glosses else frozenset()
    return DocEvidence(lang, numbers, names, tuple(glosses), stems, float(sentence_length(text, lang)))


@dataclass(frozen=True)
class PairingModel:
    """Logistic weights of the two stages and the threshold on the final probability."""

    pair_weights: tuple[float, ...]  # PAIR_FEATURES + intercept
    rival_weights: tuple[float, ...]  # RIVAL_FEATURES + intercept
    threshold: float
    no_rival: float | None = None  # the log-odds a side without any rival is compared with (None: the intercept)
    min_logit: float | None = None  # a pair's own evidence must reach this log-odds, whatever its rivals (None: no floor)
    source: str = ""

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> "PairingModel":
        return PairingModel(tuple(data["pair_weights"]), tuple(data["rival_weights"]), float(data["threshold"]),
                            data.get("no_rival"), data.get("min_logit"), str(data.get("source", "")))

    def to_json(self) -> dict[str, Any]:
        return {"pair_features": list(PAIR_FEATURES), "pair_weights": [round(w, 5) for w in self.pair_weights],
                "rival_features": list(RIVAL_FEATURES), "rival_weights": [round(w, 5) for w in self.rival_weights],
                "no_rival": None if self.no_rival is None else round(self.no_rival, 4),
                "min_logit": None if self.min_logit is None else round(self.min_logit, 4),
                "threshold": self.threshold, "source": self.source}


@lru_cache(maxsize=1)
def shipped_model() -> PairingModel:
    """The weights and threshold fitted on the bench's dev half (tasks/data/pairing_model.json)."""
    return PairingModel.from_json(json.loads(resources.files("tasks").joinpath("data", MODEL_FILE).read_text(encoding="utf-8")))


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z > -50 else 0.0


class PairScorer:
    """Pair features with idf weights over a pool of documents, and the calibrated probability."""

    def __init__(self, docs: Iterable[DocEvidence], model: PairingModel | None = None):
        docs = list(docs)
        n = max(1, len(docs))
        df: Counter[str] = Counter()
        for d in docs:
            df.update(d.numbers)
            df.update(d.names)
            df.update("s:" + s for s in d.stems)
        self._idf = {k: math.log(1 + n / c) for k, c in df.items()}
        self._max_idf = math.log(1 + n)
        self._prep: dict[int, tuple[Any, ...]] = {}
        self.model = model or shipped_model()

    def _w(self, key: str) -> float:
        return self._idf.get(key, self._max_idf)

    def _prepared(self, d: DocEvidence) -> tuple[Any, ...]:
        """Per document, once: idf weights of its numbers, names, stems and glossed words, and their sums."""
        p = self._prep.get(id(d))
        if p is None:
            nums = {k: self._w(k) for k in d.numbers}
            names = {k: self._w(k) for k in d.names}
            stems = {k: self._w("s:" + k) for k in d.stems}
            glosses = [(min(stems.get(k) or self._w("s:" + k) for k in g), g) for g in d.glosses if g]
            index: dict[str, list[int]] = {}  # stem -> the glossed words translating to it
            for i, (_, g) in enumerate(glosses):
                for k in g:
                    index.setdefault(k, []).append(i)
            p = (d, nums, sum(nums.values()), names, sum(names.values()), stems, sum(stems.values()), glosses,
                 sum(w for w, _ in glosses), index)
            self._prep[id(d)] = p
        return p

    @staticmethod
    def _containment(a: dict[str, float], sa: float, b: dict[str, float], sb: float) -> tuple[float, float]:
        """(idf-weighted share of the smaller set found in the other, log1p of the shared idf mass)."""
        if not a or not b:
            return 0.0, 0.0
        small, big = (a, b) if len(a) <= len(b) else (b, a)
        shared = sum(w for k, w in small.items() if k in big)
        smaller = min(sa, sb)
        return (shared / smaller if smaller else 0.0), math.log1p(shared)

    def _lexical(self, pa: tuple[Any, ...], pb: tuple[Any, ...]) -> tuple[float, float]:
        """(share of the foreign side's glossed words met, share of the English side's stems covered)."""
        if pa[0].lang == "en":
            pa, pb = pb, pa
        if pb[0].lang != "en":  # two foreign versions: their gloss stems against each other
            share, _ = self._containment(pa[5], pa[6], pb[5], pb[6])
            return share, share
        glosses, total, en_stems, en_total = pa[7], pa[8], pb[5], pb[6]
        if not glosses or not en_stems:
            return 0.0, 0.0
        covered = pa[0].stems & pb[0].stems  # every stem two sides share is some glossed word's translation
        index = pa[9]
        hit_words: set[int] = set()
        for k in covered:
            hit_words.update(index[k])
        hit = sum(glosses[i][0] for i in hit_words)
        return (hit / total if total else 0.0), (sum(en_stems[k] for k in covered) / en_total if en_total else 0.0)

    def features(self, a: DocEvidence, b: DocEvidence) -> list[float]:
        """PAIR_FEATURES of two documents in different languages."""
        pa, pb = self._prepared(a), self._prepared(b)
        num, num_mass = self._containment(pa[1], pa[2], pb[1], pb[2])
        name, name_mass = self._containment(pa[3], pa[4], pb[3], pb[4])
        lex_src, lex_en = self._lexical(pa, pb)
        if a.length > 0 and b.length > 0:
            off = abs(math.log(a.length / b.length) - _LOG_LEN_RATIO.get((a.lang, b.lang), 0.0))
            length_off = max(0.0, off - _LEN_SLACK)
        else:
            length_off = 3.0
        return [num, num_mass, name, name_mass, lex_src, lex_en, length_off]

    def pair_logit(self, a: DocEvidence, b: DocEvidence) -> float:
        return self.logit_of(self.features(a, b))

    def logit_of(self, features: Sequence[float]) -> float:
        return _dot(self.model.pair_weights, features)

    def probability(self, logit: float, rival_a: float | None, rival_b: float | None) -> float:
        """Calibrated probability from the pair's log-odds and each side's best rival log-odds (None: no rival).

        0 when the pair's own evidence is under the model's floor (`min_logit`, the log-odds
        98 % of the true pairs on dev reach): standing out among weak candidates is not enough."""
        if self.model.min_logit is not None and logit < self.model.min_logit:
            return 0.0
        return _sigmoid(_dot(self.model.rival_weights, rival_features(logit, rival_a, rival_b, self.model)))


def no_rival(model: PairingModel) -> float:
    """What a side without rivals (or with only weak ones) is compared with: the log-odds the strongest of
    an article's unrelated candidates typically reaches (fitted: the 95th percentile of wrong pairs on dev)."""
    return model.pair_weights[-1] if model.no_rival is None else model.no_rival


def rival_features(logit: float, rival_a: float | None, rival_b: float | None, model: PairingModel) -> list[float]:
    floor = no_rival(model)
    return [logit, logit - (floor if rival_a is None else max(rival_a, floor)), logit - (floor if rival_b is None else max(rival_b, floor))]


def _dot(weights: Sequence[float], x: Sequence[float]) -> float:
    return sum(w * v for w, v in zip(weights, x)) + weights[len(x)]


def fit_logistic(rows: Sequence[Sequence[float]], labels: Sequence[int], l2: float = 1e-3, iterations: int = 50) -> list[float]:
    """Logistic regression by Newton's method (weights then intercept); small L2 keeps it finite when separable."""
    import numpy as np

    x = np.hstack([np.asarray(rows, dtype=float), np.ones((len(rows), 1))])
    y = np.asarray(labels, dtype=float)
    w = np.zeros(x.shape[1])
    reg = l2 * np.eye(x.shape[1])
    reg[-1, -1] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -50, 50)))
        grad = x.T @ (p - y) + reg @ w
        hess = (x * (p * (1 - p))[:, None]).T @ x + reg + 1e-9 * np.eye(x.shape[1])
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return [float(v) for v in w]
