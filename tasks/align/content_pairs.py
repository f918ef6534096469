"""Content pairs of a pool of articles: document evidence, rivals, calibrated probability.

The `content` method of story pairing (tasks/align/pairing.py): for every two articles of
one outlet in different languages, published within DATE_WINDOW_DAYS of each other, the
document evidence of tasks/align/doc_evidence.py gives a log-odds; each side's best rival
(its next-best candidate in the other's language) enters the calibrated probability; a
pair at or above the model's threshold is a candidate, below it nothing is paired. The
features, margins and threshold behind each probability are returned for provenance.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Iterable, Protocol

from tasks.align.doc_evidence import PAIR_FEATURES, RIVAL_FEATURES, DocEvidence, PairingModel, PairScorer, rival_features
from tasks.langs import base_lang

DATE_WINDOW_DAYS = 3.0


class PoolDoc(Protocol):
    """What content pairing reads of an article (tasks.align.pairing.DocInfo)."""

    key: str
    outlet: str
    lang: str
    date: datetime | None
    features: DocEvidence


class ContentScorer:
    """Content evidence of document pairs over one pool: log-odds per pair, calibrated probability with rivals."""

    def __init__(self, docs: Iterable[PoolDoc], model: PairingModel | None = None):
        self.scorer = PairScorer((d.features for d in docs), model)
        self.model = self.scorer.model
        self._logits: dict[tuple[str, str], float] = {}
        self._features: dict[tuple[str, str], list[float]] = {}

    def logit(self, a: PoolDoc, b: PoolDoc) -> float | None:
        """The pair's log-odds from its own evidence; None outside the date window."""
        if a.date is not None and b.date is not None:
            if abs((a.date - b.date).total_seconds()) > DATE_WINDOW_DAYS * 86400:
                return None
        k = (a.key, b.key) if a.key < b.key else (b.key, a.key)
        if k not in self._logits:
            self._features[k] = self.scorer.features(a.features, b.features)
            self._logits[k] = self.scorer.logit_of(self._features[k])
        return self._logits[k]

    def alone(self, a: PoolDoc, b: PoolDoc) -> float:
        """Probability from the pair's own evidence only (no rivals): what a URL-id match must not contradict."""
        z = self.logit(a, b)
        return 0.0 if z is None else 1.0 / (1.0 + math.exp(-max(-50.0, z)))

    def provenance(self, a: PoolDoc, b: PoolDoc, rival_a: float | None, rival_b: float | None) -> tuple[float, dict[str, Any]]:
        """(calibrated probability, the features behind it) of a content pair."""
        z = self.logit(a, b)
        if z is None:
            return 0.0, {}
        p = self.scorer.probability(z, rival_a, rival_b)
        k = (a.key, b.key) if a.key < b.key else (b.key, a.key)
        feats = dict(zip(PAIR_FEATURES, (round(v, 4) for v in self._features[k])))
        feats.update(dict(zip(RIVAL_FEATURES, (round(v, 4) for v in rival_features(z, rival_a, rival_b, self.model)))))
        feats["threshold"] = self.model.threshold
        return round(p, 4), feats


def rivals(docs: list[PoolDoc], scorer: ContentScorer) -> tuple[dict[tuple[str, str], float], dict[tuple[str, str], list[tuple[float, str]]]]:
    """Log-odds of every cross-language pair in the date window, and per (document, other language) its two best."""
    logits: dict[tuple[str, str], float] = {}
    best: dict[tuple[str, str], list[tuple[float, str]]] = {}
    for i, a in enumerate(docs):
        for b in docs[i + 1 :]:
            if base_lang(a.lang) == base_lang(b.lang) or a.outlet != b.outlet:
                continue
            z = scorer.logit(a, b)
            if z is None:
                continue
            logits[(a.key, b.key)] = z
            for x, y in ((a, b), (b, a)):
                top = best.setdefault((x.key, base_lang(y.lang)), [])
                top.append((z, y.key))
                top.sort(reverse=True)
                del top[2:]
    return logits, best


def rival(best: dict[tuple[str, str], list[tuple[float, str]]], key: str, lang: str, other: str) -> float | None:
    """The best log-odds `key` reaches in `lang` with anyone but `other` (None: no one else)."""
    return next((z for z, k in best.get((key, lang), []) if k != other), None)


def content_candidates(
    docs: list[PoolDoc], scorer: ContentScorer, threshold: float | None, decided: set[tuple[str, str]]
) -> list[tuple[PoolDoc, PoolDoc, float, dict[str, Any]]]:
    """Content pairs whose calibrated probability reaches the threshold.

    The probability weighs the pair's own evidence (tasks/align/doc_evidence.py) and how
    far it stands above each side's best rival (the other documents of the same language
    and outlet), so an article whose counterpart is missing does not pair with the
    next-closest one. Below the threshold nothing is paired.
    """
    threshold = scorer.model.threshold if threshold is None else threshold
    logits, best = rivals(docs, scorer)
    by_key = {d.key: d for d in docs}
    out = []
    for (ka, kb), z in logits.items():
        a, b = by_key[ka], by_key[kb]
        k = (ka, kb) if ka < kb else (kb, ka)
        if k in decided:
            continue
        p, feats = scorer.provenance(a, b, rival(best, ka, base_lang(b.lang), kb), rival(best, kb, base_lang(a.lang), ka))
        if p >= threshold:
            out.append((a, b, p, feats))
    return out
