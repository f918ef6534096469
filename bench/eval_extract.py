"""Extraction quality: bag-of-tokens precision/recall/F1 against gold text, ours vs trafilatura.

Usage: python bench/eval_extract.py DATA_DIR [--only zh|en] [--per-page]

DATA_DIR holds `extract_zh/` (html/<id>.html raw bytes, cleaned/<id>.txt gold) and
`extract_en/` (html/<stem>.html.gz, ground-truth.json {stem: {"articleBody": ...}}).
Tokens: NFKC + lowercase; each CJK character is one token, other text is split into
words (runs of letters/digits). Scores are bag (multiset) overlaps per page; the table
shows the mean over pages (macro) and the score over all pages pooled (micro).
trafilatura runs with its defaults on the same raw bytes (`trafilatura.extract`).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

_CJK = (
    r"\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3038-\u303b\u3040-\u30ff\u3400-\u4dbf"
    r"\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
)
_TOKEN_RE = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")


def tokens(text: str) -> Counter[str]:
    """NFKC + lowercase; each CJK character one token, other text split into words."""
    return Counter(_TOKEN_RE.findall(unicodedata.normalize("NFKC", text).lower()))


def prf(pred: Counter[str], gold: Counter[str]) -> tuple[float, float, float, int, int, int]:
    overlap = sum((pred & gold).values())
    np_, ng = sum(pred.values()), sum(gold.values())
    p = overlap / np_ if np_ else 0.0
    r = overlap / ng if ng else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f, overlap, np_, ng


def pages(data_dir: Path, lang: str) -> Iterator[tuple[str, bytes, str]]:
    """(page id, raw bytes, gold text) for one language folder."""
    if lang == "zh":
        root = data_dir / "extract_zh"
        for html in sorted((root / "html").glob("*.html")):
            gold = (root / "cleaned" / f"{html.stem}.txt").read_text(encoding="utf-8")
            yield html.stem, html.read_bytes(), gold
    else:
        root = data_dir / "extract_en"
        truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
        for html in sorted((root / "html").glob("*.html.gz")):
            stem = html.name.removesuffix(".html.gz")
            yield stem, gzip.decompress(html.read_bytes()), truth[stem]["articleBody"]


def ours(content: bytes) -> str:
    from tasks.clean import ExtractionError, extract_article

    try:
        return extract_article(content, url="http://example.invalid/").text
    except ExtractionError:
        return ""


def trafilatura_default(content: bytes) -> str:
    import trafilatura

    return trafilatura.extract(content) or ""


EXTRACTORS: dict[str, Callable[[bytes], str]] = {"ours": ours, "trafilatura": trafilatura_default}


def _candidate(name: str) -> Callable[[bytes], str]:
    def run(content: bytes) -> str:
        from tasks.clean import ExtractionError, extract_candidates

        try:
            return "\n\n".join(extract_candidates(content)[name])
        except ExtractionError:
            return ""

    return run


def metadata_scores(data_dir: Path) -> tuple[int, int, int, int]:
    """Date (same day) and author (exact, spaces ignored) matches on extract_zh's gold index."""
    import csv

    from tasks.clean import ExtractionError, extract_article

    root = data_dir / "extract_zh"
    date_ok = date_n = author_ok = author_n = 0
    with (root / "index.tsv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            try:
                doc = extract_article((root / "html" / f"{row['id']}.html").read_bytes(), url="")
            except ExtractionError:
                doc = None
            gold_date, gold_author = row["date_gold"], row["author_gold"]
            if gold_date != "UNKNOWN" and re.match(r"\d{4}-\d{1,2}-\d{1,2}", gold_date):
                date_n += 1
                y, m, d = (int(x) for x in gold_date.split()[0].split("-"))
                date_ok += bool(doc and doc.date == f"{y:04d}-{m:02d}-{d:02d}")
            if gold_author != "UNKNOWN":
                author_n += 1
                norm = lambda a: re.sub(r"[\s、，,;]+", "", a or "")  # noqa: E731
                author_ok += bool(doc and norm(doc.author) == norm(gold_author))
    return date_ok, date_n, author_ok, author_n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--only", choices=["zh", "en"])
    ap.add_argument("--per-page", action="store_true", help="print every page's F1")
    ap.add_argument("--candidates", action="store_true", help="also score each of our candidates alone")
    args = ap.parse_args()
    if args.candidates:
        EXTRACTORS["cand:trafilatura"] = _candidate("trafilatura")
        EXTRACTORS["cand:density"] = _candidate("density")
    langs = [args.only] if args.only else ["zh", "en"]
    rows = []
    for lang in langs:
        totals = {name: [Counter(), Counter()] for name in EXTRACTORS}
        scores: dict[str, list[tuple[float, float, float]]] = {name: [] for name in EXTRACTORS}
        seconds = {name: 0.0 for name in EXTRACTORS}
        for page_id, content, gold in pages(args.data_dir, lang):
            gold_tokens = tokens(gold)
            line = []
            for name, fn in EXTRACTORS.items():
                t0 = time.perf_counter()
                text = fn(content)
                seconds[name] += time.perf_counter() - t0
                pred = tokens(text)
                p, r, f, *_ = prf(pred, gold_tokens)
                scores[name].append((p, r, f))
                totals[name][0] += pred
                totals[name][1] += gold_tokens
                line.append(f"{name} P {p:.3f} R {r:.3f} F1 {f:.3f}")
            if args.per_page:
                print(f"{lang} {page_id[:16]:16}  " + "  |  ".join(line))
        for name in EXTRACTORS:
            n = len(scores[name])
            mp = sum(s[0] for s in scores[name]) / n
            mr = sum(s[1] for s in scores[name]) / n
            mf = sum(s[2] for s in scores[name]) / n
            _, _, micro_f, *_ = prf(*totals[name])
            rows.append((lang, name, n, mp, mr, mf, micro_f, seconds[name] / n))
    if "zh" in langs:
        date_ok, date_n, author_ok, author_n = metadata_scores(args.data_dir)
        print(f"extract_zh metadata (ours): date {date_ok}/{date_n} same day, author {author_ok}/{author_n} exact")
    print()
    print("| set | extractor | pages | P (mean) | R (mean) | F1 (mean) | F1 (pooled) | s/page |")
    print("|---|---|---|---|---|---|---|---|")
    for lang, name, n, mp, mr, mf, micro_f, sec in rows:
        print(f"| extract_{lang} | {name} | {n} | {mp:.3f} | {mr:.3f} | {mf:.3f} | {micro_f:.3f} | {sec:.3f} |")


if __name__ == "__main__":
    main()
