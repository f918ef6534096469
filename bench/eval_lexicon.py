"""The learned lexicon's learning curve: dictionary evidence quality vs the archive's size.

    python bench/eval_lexicon.py ../shared/data/parallel_ntrex128 [--seeds 3]

The archive is simulated by NTREX-128 sentence pairs of the dev half of the documents
(bench/eval_pairing.py's split): the exported links a night step would learn from. For
each archive size N, `tasks.align.learned.learn_from_pairs` (the night step's IBM Model 1,
5 EM iterations) learns vi-en and zh-en tables from N pairs (a random N per seed). On the
held-out half, every source sentence ranks the English sentences of its own document by
dictionary evidence alone (tasks/align/lexicon.py's lexical_similarity: glosses met by
English stems); the figure is the share ranked first correctly (accuracy@1), with the
shipped dictionaries only (CC-CEDICT / the vi-en news lexicon: N = 0), the learned table
only, and both. Mean and min-max over seeds; the learning time per table.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from eval_pairing import is_dev, load_documents  # noqa: E402

from tasks.align.ibm1 import glosses, tokens  # noqa: E402
from tasks.align.learned import learn_from_pairs  # noqa: E402
from tasks.align.lexicon import (  # noqa: E402
    chinese_english_lexicon,
    chinese_glosses,
    english_stems,
    lexical_similarity,
    vietnamese_glosses,
)

SIZES = (0, 100, 300, 600, 10**9)  # the last: the whole archive


def dictionary_glosses(text: str, lang: str) -> list[frozenset[str]]:
    if lang == "zh":
        lex = chinese_english_lexicon()
        return chinese_glosses(text, lex) if lex else []
    return vietnamese_glosses(text)


def accuracy(test_docs, lang: str, table, use_dictionary: bool) -> float:
    right = total = 0
    for src, en in test_docs:
        stems = [english_stems(e) for e in en]
        for i, s in enumerate(src):
            g = (dictionary_glosses(s, lang) if use_dictionary else []) + (glosses(tokens(s, lang), table) if table else [])
            scores = [lexical_similarity(g, st) for st in stems]
            best = max(range(len(stems)), key=lambda j: (scores[j], -abs(j - i)))
            right += best == i and scores[best] > 0
            total += 1
    return right / total if total else 0.0


def spread(values: list[float]) -> str:
    return f"{sum(values) / len(values):.3f} ({min(values):.3f}-{max(values):.3f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args()
    docs = load_documents(args.data_dir)
    dev = [d for d in sorted(docs) if is_dev(d)]
    test = [d for d in sorted(docs) if not is_dev(d)]
    print(f"archive: sentence pairs of {len(dev)} dev documents; measured on {len(test)} held-out documents; seeds 1-{args.seeds}\n")
    print("| pair | archive links | learned only | dictionary + learned | learning time (s) |")
    print("|---|---|---|---|---|")
    for lang in ("vi", "zh"):
        archive = [(s, e) for d in dev for s, e in zip(docs[d][lang], docs[d]["en"])]
        held_out = [(docs[d][lang], docs[d]["en"]) for d in test]
        for size in SIZES:
            n = min(size, len(archive))
            learned_only, both, seconds = [], [], []
            for seed in range(1, args.seeds + 1):
                sample = random.Random(seed).sample(archive, n) if n else []
                start = time.perf_counter()
                table = learn_from_pairs(sample, lang, "en") if sample else {}
                seconds.append(time.perf_counter() - start)
                learned_only.append(accuracy(held_out, lang, table, False))
                both.append(accuracy(held_out, lang, table, True))
                if not n:
                    break  # nothing learned: one run is the figure
            print(f"| {lang}-en | {n} | {spread(learned_only)} | {spread(both)} | {sum(seconds) / len(seconds):.1f} |", flush=True)


if __name__ == "__main__":
    main()
