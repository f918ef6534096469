"""Sentence splitting: boundary precision/recall on NTREX-128 news documents.

Usage: python bench/eval_segment.py DATA_DIR [--show N]

DATA_DIR holds `parallel_ntrex128/` (one sentence per line, DOCUMENT_IDS.tsv gives the
document of each line). Consecutive lines of one document are joined into one
paragraph (with a space for en/vi, with nothing for zh) and split again with
`tasks.text.segment.split_sentences`; a boundary is counted right when it falls where one
line ended. Translators' lines are mostly, not always, single sentences (a line may hold
two), so recall < 1 is partly the data. No clause splitting here.
"""

from __future__ import annotations

import argparse
import sys
from itertools import groupby
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FILES = {
    "en": ("newstest2019-src.eng.txt", " "),
    "vi": ("newstest2019-ref.vie.txt", " "),
    "zh": ("newstest2019-ref.zho-CN.txt", ""),
    "zh-Hant": ("newstest2019-ref.zho-TW.txt", ""),
}


def main() -> None:
    from tasks.text.segment import split_sentences

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--show", type=int, default=0, help="print up to N wrong boundaries per language")
    args = ap.parse_args()
    root = args.data_dir / "parallel_ntrex128"
    doc_ids = (root / "DOCUMENT_IDS.tsv").read_text(encoding="utf-8").splitlines()
    print("| lang | documents | gold boundaries | P | R | F1 |")
    print("|---|---|---|---|---|---|")
    for lang, (name, joiner) in FILES.items():
        lines = (root / name).read_text(encoding="utf-8").splitlines()
        tp = fp = fn = 0
        shown = 0
        docs = 0
        for _, group in groupby(zip(doc_ids, lines), key=lambda x: x[0]):
            sents = [s.strip() for _, s in group if s.strip()]
            docs += 1
            text = joiner.join(sents)
            gold, pos = set(), 0
            for s in sents[:-1]:
                pos += len(s)
                gold.add(pos)
                pos += len(joiner)
            pred = {e for _, e in split_sentences(text, lang.split("-")[0])[:-1]}
            tp += len(gold & pred)
            fp += len(pred - gold)
            fn += len(gold - pred)
            for b in sorted((pred - gold) | (gold - pred)):
                if shown < args.show:
                    kind = "extra" if b in pred else "missed"
                    print(f"  {lang} {kind}: ...{text[max(0, b - 50):b]}|{text[b:b + 30]}...")
                    shown += 1
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        print(f"| {lang} | {docs} | {tp + fn} | {p:.3f} | {r:.3f} | {f:.3f} |")


if __name__ == "__main__":
    main()
