"""Word-translation probabilities learned from sentence pairs: IBM Model 1, a few EM iterations.

`tokens(text, lang)` is the one tokenisation shared by the learner and its users (the
story pairer's document evidence, the sentence aligner): English content-word stems (the
dictionary stems of tasks/align/lexicon.py), Vietnamese lower-case syllables, Chinese
CC-CEDICT words by greedy longest match (single characters where no word matches);
numbers and punctuation are left to the anchors.

`train(pairs, iterations)` estimates t(english | source) with EM over (source tokens,
English tokens) pairs, a NULL word on the source side. Bounded: at most `max_pairs`
pairs of at most `max_len` tokens each, the vocabulary capped at `max_vocab` per side
(rarer words are dropped), and co-occurrence counted once per pair; the cost is
O(iterations × Σ |src| × |tgt|). Pure Python and numpy, deterministic.

`prune(table, min_prob, top)` keeps, per source word, the translations above min_prob
(at most `top`): what is stored and what the users read, as
`Mapping[str, Mapping[str, float]]` (source word -> English stem -> probability).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Iterable, Mapping, Sequence

from tasks.align.evidence import base_lang

_VI_WORD_RE = re.compile(r"[^\W\d_]+")
_HAN_RUN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_VI_STOP = set("và của là có được cho các những một này đã với trong không để người khi từ theo về đến "
               "cũng như tại vào ra thì sẽ đang bị do nên hơn rất nhiều sau trên lại".split())
_ZH_STOP = set("的 了 是 在 和 有 也 就 都 而 及 与 與 着 著 或 等 这 這 那 之 其 被 把 对 對 为 為 从 從 到 以 于 於".split())
NULL = ""  # the empty source word: English words with no counterpart


def tokens(text: str, lang: str) -> list[str]:
    """The learner's tokens of a text: English stems, Vietnamese syllables, Chinese dictionary words."""
    from tasks.align.lexicon import _LEX_STOP, _LEX_WORD_RE, _stem, chinese_english_lexicon

    lang = base_lang(lang)
    text = unicodedata.normalize("NFC", text)
    if lang == "en":
        return [_stem(w) for w in _LEX_WORD_RE.findall(text) if len(w) > 1 and w.lower() not in _LEX_STOP]
    if lang == "vi":
        return [w for w in (m.lower() for m in _VI_WORD_RE.findall(text)) if w not in _VI_STOP]
    if lang == "zh":
        lex = chinese_english_lexicon() or {}
        out: list[str] = []
        for run in _HAN_RUN_RE.findall(text):
            i = 0
            while i < len(run):
                for size in range(min(4, len(run) - i), 0, -1):
                    piece = run[i : i + size]
                    if size == 1 or piece in lex:
                        if piece not in _ZH_STOP:
                            out.append(piece)
                        i += size
                        break
        return out
    return []


def train(
    pairs: Iterable[tuple[Sequence[str], Sequence[str]]],
    iterations: int = 5,
    *,
    max_pairs: int = 200_000,
    max_len: int = 80,
    max_vocab: int = 50_000,
) -> dict[str, dict[str, float]]:
    """IBM Model 1 t(e | f) over (source tokens, English tokens) pairs; {f: {e: p}} (NULL = "")."""
    import numpy as np

    data: list[tuple[list[str], list[str]]] = []
    for src, tgt in pairs:
        if len(data) >= max_pairs:
            break
        if src and tgt:
            data.append((list(src)[:max_len], list(tgt)[:max_len]))
    if not data:
        return {}
    fc: Counter[str] = Counter(w for s, _ in data for w in set(s))
    ec: Counter[str] = Counter(w for _, t in data for w in set(t))
    fv = [NULL] + [w for w, _ in fc.most_common(max_vocab)]
    ev = [w for w, _ in ec.most_common(max_vocab)]
    fi = {w: i for i, w in enumerate(fv)}
    ei = {w: i for i, w in enumerate(ev)}
    # Each pair as index arrays; the co-occurring (f, e) cells are the only parameters.
    enc: list[tuple[np.ndarray, np.ndarray]] = []
    cells: dict[tuple[int, int], int] = {}
    for s, t in data:
        fs = np.array([0] + [fi[w] for w in s if w in fi], dtype=np.int64)
        es = np.array([ei[w] for w in t if w in ei], dtype=np.int64)
        if len(es) == 0:
            continue
        enc.append((fs, es))
        for f in set(fs.tolist()):
            for e in set(es.tolist()):
                cells.setdefault((f, e), len(cells))
    keys = np.array(list(cells), dtype=np.int64).reshape(-1, 2)
    prob = np.zeros(len(cells))
    # Uniform start: t(e | f) = 1 / (number of English words f co-occurs with).
    per_f = np.bincount(keys[:, 0], minlength=len(fv)).astype(float)
    prob[:] = 1.0 / per_f[keys[:, 0]]
    index = [np.array([[cells[(f, e)] for e in es.tolist()] for f in fs.tolist()], dtype=np.int64) for fs, es in enc]
    for _ in range(max(1, iterations)):
        counts = np.zeros(len(cells))
        for idx in index:
            t = prob[idx]  # |f| x |e|
            post = t / t.sum(axis=0, keepdims=True)
            np.add.at(counts, idx.ravel(), post.ravel())
        totals = np.bincount(keys[:, 0], weights=counts, minlength=len(fv))
        prob = counts / np.where(totals[keys[:, 0]] > 0, totals[keys[:, 0]], 1.0)
    table: dict[str, dict[str, float]] = {}
    for (f, e), p in zip(keys.tolist(), prob.tolist()):
        if p > 0:
            table.setdefault(fv[f], {})[ev[e]] = p
    return table


def prune(table: Mapping[str, Mapping[str, float]], min_prob: float = 0.05, top: int = 5) -> dict[str, dict[str, float]]:
    """Per source word the `top` most probable English stems at or above min_prob (NULL dropped)."""
    out: dict[str, dict[str, float]] = {}
    for f, row in table.items():
        if f == NULL:
            continue
        best = sorted(((p, e) for e, p in row.items() if p >= min_prob), reverse=True)[:top]
        if best:
            out[f] = {e: round(p, 4) for p, e in best}
    return out


def glosses(source_tokens: Iterable[str], lexicon: Mapping[str, Mapping[str, float]], min_prob: float = 0.1) -> list[frozenset[str]]:
    """English stems each source token translates to with at least min_prob (tokens without any skipped)."""
    out: list[frozenset[str]] = []
    for tok in source_tokens:
        row = lexicon.get(tok)
        if row:
            stems = frozenset(e for e, p in row.items() if p >= min_prob)
            if stems:
                out.append(stems)
    return out
