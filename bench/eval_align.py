"""Sentence-alignment quality on NTREX-128 document pairs with merged and dropped sentences.

Usage: python bench/eval_align.py DATA_DIR [--seed 13] [--merge 0.10] [--drop 0.05] [--fit]
       python bench/eval_align.py DATA_DIR --robustness   (other seeds, reversed direction)

DATA_DIR is the parallel_ntrex128 folder (English originals with line-aligned Vietnamese,
Simplified and Traditional Chinese translations; DOCUMENT_IDS.tsv gives each line's
document). For every document the non-English version is the source: ~10 % of its
sentences are merged with the next one (1:2 links) and ~5 % of the English target
sentences are dropped (1:0 links), seeded. Links are compared exactly (same source line
set and same target line set, 1:0 and 0:1 included); we report precision/recall/F1 for
the even-numbered documents (where `--fit` estimates the length priors) and the odd ones
(held out), and the time per document.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tasks.align.sentences import LengthModel, align_sentences_detailed, length_model, sentence_length  # noqa: E402

FILES = {"vi": "newstest2019-ref.vie.txt", "zh": "newstest2019-ref.zho-CN.txt", "zh-Hant": "newstest2019-ref.zho-TW.txt"}


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").rstrip("\n").split("\n")


def documents(data: Path, lang: str) -> list[tuple[str, list[str], list[str]]]:
    ids = [line.split("\t")[0].strip() for line in read_lines(data / "DOCUMENT_IDS.tsv")]
    en = read_lines(data / "newstest2019-src.eng.txt")
    xx = read_lines(data / FILES[lang])
    assert len(ids) == len(en) == len(xx), (len(ids), len(en), len(xx))
    docs: list[tuple[str, list[str], list[str]]] = []
    for i, doc_id in enumerate(ids):
        if not docs or docs[-1][0] != doc_id:
            docs.append((doc_id, [], []))
        docs[-1][1].append(xx[i])
        docs[-1][2].append(en[i])
    return docs


Link = tuple[tuple[int, ...], tuple[int, ...]]


def perturb(src: list[str], tgt: list[str], lang: str, rng: random.Random, merge: float, drop: float) -> tuple[list[str], list[str], set[Link]]:
    """Merge ~merge of source sentences with their successor, drop ~drop of target sentences."""
    n = len(src)
    joiner = "" if lang.startswith("zh") else " "
    groups: list[list[int]] = []
    k = 0
    while k < n:
        if k + 1 < n and rng.random() < merge:
            groups.append([k, k + 1])
            k += 2
        else:
            groups.append([k])
            k += 1
    kept = [j for j in range(len(tgt)) if rng.random() >= drop]
    if not kept:
        kept = [0]
    new_index = {j: t for t, j in enumerate(kept)}
    new_src = [joiner.join(src[k] for k in g) for g in groups]
    new_tgt = [tgt[j] for j in kept]
    gold: set[Link] = set()
    for s, g in enumerate(groups):
        gold.add(((s,), tuple(new_index[k] for k in g if k in new_index)))
    return new_src, new_tgt, gold


def fit_priors(docs: list[tuple[str, list[str], list[str]]], lang: str) -> LengthModel:
    """Ratio = total target chars / total source chars; the squared log-ratio regressed on
    1/length (English-equivalent characters) gives the variance floor and short-sentence term."""
    pairs = [(sentence_length(a, lang), sentence_length(b, 'en')) for _, s, t in docs for a, b in zip(s, t)]
    pairs = [(a, b) for a, b in pairs if a and b]
    ratio = sum(b for _, b in pairs) / sum(a for a, _ in pairs)
    xs, ys = [], []
    for a, b in pairs:
        xs.append(1.0 / max((ratio * a + b) / 2.0, 1.0))
        ys.append(math.log(b / (ratio * a)) ** 2)
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    floor = max(my - slope * mx, 0.002)
    return LengthModel(round(ratio, 3), round(floor, 4), round(max(slope, 0.1), 2))


def evaluate(docs, lang: str, seed: int, merge: float, drop: float, model: LengthModel | None, lexicon: bool = True) -> dict[str, float]:
    tp = n_pred = n_gold = 0
    elapsed = 0.0
    methods: set[str] = set()
    for d, (doc_id, src, tgt) in enumerate(docs):
        rng = random.Random(f"{seed}:{lang}:{doc_id}")
        s, t, gold = perturb(src, tgt, lang, rng, merge, drop)
        t0 = time.perf_counter()
        result = align_sentences_detailed(s, t, lang, "en", model=model, use_lexicon=lexicon)
        elapsed += time.perf_counter() - t0
        methods.add(result.method)
        pred = {(tuple(link.src), tuple(link.tgt)) for link in result.links}
        tp += len(pred & gold)
        n_pred += len(pred)
        n_gold += len(gold)
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"docs": len(docs), "links": n_gold, "P": p, "R": r, "F1": f, "ms_per_doc": 1000 * elapsed / max(1, len(docs)), "method": ",".join(sorted(methods))}


def robustness(data: Path, merge: float, drop: float) -> None:
    """Seeds 1-3 on all documents, and the reversed direction (English merged, vi/zh dropped)."""
    print("| pair | direction | seeds | method | gold links | F1 |")
    print("|---|---|---|---|---|---|")
    for lang in ("vi", "zh"):
        docs = documents(data, lang)
        for reverse in (False, True):
            for lexicon in (True, False):
                tp = n_pred = n_gold = 0
                method = ""
                for seed in (1, 2, 3):
                    for doc_id, src, tgt in docs:
                        rng = random.Random(f"{seed}:{lang}:{doc_id}")
                        if reverse:
                            s, t, gold = perturb(tgt, src, "en", rng, merge, drop)
                            result = align_sentences_detailed(s, t, "en", lang, use_lexicon=lexicon)
                        else:
                            s, t, gold = perturb(src, tgt, lang, rng, merge, drop)
                            result = align_sentences_detailed(s, t, lang, "en", use_lexicon=lexicon)
                        method = result.method
                        pred = {(tuple(link.src), tuple(link.tgt)) for link in result.links}
                        tp += len(pred & gold)
                        n_pred += len(pred)
                        n_gold += len(gold)
                direction = f"en → {lang} (en merged)" if reverse else f"{lang} → en ({lang} merged)"
                print(f"| {lang}–en | {direction} | 1,2,3 | {method} | {n_gold} | {2 * tp / (n_pred + n_gold):.3f} |")


def long_document_timing(docs, lang: str, seed: int, merge: float, drop: float, size: int = 300) -> tuple[int, float, float]:
    """Concatenate documents into one of ~size sentences and time one alignment of it."""
    src: list[str] = []
    tgt: list[str] = []
    for _, s, t in docs:
        src.extend(s)
        tgt.extend(t)
        if len(src) >= size:
            break
    s, t, gold = perturb(src[:size], tgt[:size], lang, random.Random(seed), merge, drop)
    t0 = time.perf_counter()
    result = align_sentences_detailed(s, t, lang, "en")
    dt = time.perf_counter() - t0
    pred = {(tuple(link.src), tuple(link.tgt)) for link in result.links}
    tp = len(pred & gold)
    f = 2 * tp / (len(pred) + len(gold))
    return len(s), dt, f


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--merge", type=float, default=0.10)
    ap.add_argument("--drop", type=float, default=0.05)
    ap.add_argument("--fit", action="store_true", help="use priors fitted on the even documents instead of the shipped ones")
    ap.add_argument("--langs", default="vi,zh,zh-Hant")
    ap.add_argument("--robustness", action="store_true", help="other seeds and the reversed direction instead")
    args = ap.parse_args()
    if args.robustness:
        robustness(args.data, args.merge, args.drop)
        return
    print(f"data: {args.data}  seed={args.seed} merge={args.merge} drop={args.drop}")
    print("| pair | docs | split | method | priors | gold links | P | R | F1 | ms/doc |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for lang in args.langs.split(","):
        docs = documents(args.data, lang)
        even, odd = docs[0::2], docs[1::2]
        fitted = fit_priors(even, lang)
        model = fitted if args.fit else None
        used = fitted if args.fit else length_model(lang, "en")
        shown = f"{'fit' if args.fit else 'shipped'} {used.ratio}/{used.floor}/{used.short}"
        for lexicon in (True, False):
            for name, part in (("even (fit)", even), ("odd (held out)", odd)):
                r = evaluate(part, lang, args.seed, args.merge, args.drop, model, lexicon)
                print(
                    f"| {lang}–en | {r['docs']} | {name} | {r['method']} | {shown} | {r['links']} "
                    f"| {r['P']:.3f} | {r['R']:.3f} | {r['F1']:.3f} | {r['ms_per_doc']:.0f} |"
                )
        n, dt, f = long_document_timing(docs, lang, args.seed, args.merge, args.drop)
        print(f"| {lang}–en | 1 | {n} source lines of concatenated documents, one alignment | | | | | | {f:.3f} | {1000 * dt:.0f} |")
        print(f"<!-- fitted on even docs: {lang}-en {fitted} -->")


if __name__ == "__main__":
    main()
