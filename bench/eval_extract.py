"""Extraction quality: bag-of-tokens precision/recall/F1 against gold text, ours vs trafilatura.

Usage: python bench/eval_extract.py DATA_DIR [--only zh|en] [--per-page] [--candidates]

DATA_DIR holds `extract_zh/` (html/<id>.html raw bytes, cleaned/<id>.txt gold) and
`extract_en/` (html/<stem>.html.gz, ground-truth.json {stem: {"articleBody": ...}}).
Tokens: NFKC + lowercase; each CJK character is one token, other text is split into
words (runs of letters/digits). Scores are bag (multiset) overlaps per page; tables
show the mean over pages (macro) and the score over all pages pooled (micro).
trafilatura runs with its defaults on the same raw bytes (`trafilatura.extract`).

Honest figures (the dev pages were over-fitted once: 0.978 here, 0.944 on unseen pages):
- a FIXED split: a page is "test" when sha1("<lang>/<id>") % 3 == 0. The first rounds of
  tasks/text/extract/ were designed looking at the dev pages only; the voting round
  (tasks/text/vote.py) was decided by the cross-validation below over all pages, with every
  page's change in view: test pages are held out from hand tuning, not unseen.
- 5-fold cross-validation of the rule's thresholds and votes (tasks.text.extract.CombineRule):
  for each fold, the setting is chosen from a grid on the other four folds (best mean
  F1) and scored on the fold; the held-out scores of all folds are pooled.
- per page, "worse"/"better" count pages where ours is below/above trafilatura by more
  than 0.01 F1 (the independent check's criterion).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import itertools
import json
import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

_CJK = (
    r"\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3038-\u303b\u3040-\u30ff\u3400-\u4dbf"
    r"\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
)
_TOKEN_RE = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")
FOLDS = 5
MARGIN = 0.01  # a page counts as a win/loss when F1 differs by more than this


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


def _hash(lang: str, page_id: str) -> int:
    return int(hashlib.sha1(f"{lang}/{page_id}".encode()).hexdigest(), 16)


def is_test(lang: str, page_id: str) -> bool:
    """The fixed held-out split: about a third of each language's pages."""
    return _hash(lang, page_id) % 3 == 0


def fold_of(lang: str, page_id: str) -> int:
    return (_hash(lang, page_id) // 3) % FOLDS


@dataclass
class Page:
    lang: str
    id: str
    gold: Counter[str]
    ours: str = ""  # tasks.text.extract.extract_article text ("" when it raised)
    confidence: float | None = None
    winner: str = ""
    trafilatura: str = ""
    candidates: dict[str, list[str]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def f1(self, text: str) -> float:
        return prf(tokens(text), self.gold)[2]


def run_page(lang: str, page_id: str, content: bytes, gold: str) -> Page:
    import trafilatura

    from tasks.text.extract import ExtractionError, extract_article, extract_candidates

    page = Page(lang, page_id, tokens(gold))
    t0 = time.perf_counter()
    try:
        doc = extract_article(content, url="http://example.invalid/")
        page.ours, page.confidence = doc.text, doc.extraction_confidence
        page.winner = doc.extractor.split("|")[1]
    except ExtractionError as exc:
        page.winner = f"error:{exc.reason}"
    t1 = time.perf_counter()
    page.trafilatura = trafilatura.extract(content) or ""
    t2 = time.perf_counter()
    page.seconds = {"ours": t1 - t0, "trafilatura": t2 - t1}
    try:
        page.candidates = extract_candidates(content)
    except ExtractionError:
        page.candidates = {}
    return page


def choose_text(page: Page, rule: object | None) -> str:
    from tasks.text.extract import DEFAULT_RULE, choose_candidate

    if not page.candidates:
        return ""
    return "\n\n".join(choose_candidate(page.candidates, rule or DEFAULT_RULE).paragraphs)  # type: ignore[arg-type]


def summary(rows: list[Page], texts: list[str]) -> dict[str, float]:
    """Mean P/R/F1, pooled F1, and pages worse/better than trafilatura by > MARGIN."""
    scores = [prf(tokens(t), p.gold) for p, t in zip(rows, texts)]
    base = [p.f1(p.trafilatura) for p in rows]
    pooled_pred, pooled_gold = Counter(), Counter()
    for p, t in zip(rows, texts):
        pooled_pred += tokens(t)
        pooled_gold += p.gold
    n = len(rows) or 1
    return {
        "n": len(rows),
        "P": sum(s[0] for s in scores) / n,
        "R": sum(s[1] for s in scores) / n,
        "F1": sum(s[2] for s in scores) / n,
        "pooled": prf(pooled_pred, pooled_gold)[2],
        "traf": sum(base) / n,
        "worse": sum(s[2] < b - MARGIN for s, b in zip(scores, base)),
        "better": sum(s[2] > b + MARGIN for s, b in zip(scores, base)),
    }


def rule_grid() -> list[object]:
    from tasks.text.extract import DEFAULT_RULE

    # Two values for each departure threshold (none is identified by these pages: every
    # fold chose the default among three values each), three for each vote threshold.
    grid = itertools.product((0.3, 0.5), (0.6, 0.8), (15, 30), (0.3, 0.5), (0.2, 0.3), (2, 3, 4), (0, 1, 2))
    return [
        replace(DEFAULT_RULE, truncated=a, extra_prose=b, near_empty=c, menu=d, disjoint=e, vote_add=f, vote_drop=g)
        for a, b, c, d, e, f, g in grid
    ]


def cross_validate(rows: list[Page]) -> tuple[list[str], list[object]]:
    """Held-out texts of every page: thresholds chosen on the other folds (mean F1 over both languages)."""
    from tasks.text.extract import DEFAULT_RULE

    grid = rule_grid()
    # texts[rule][page]: every rule's output on every page, computed once.
    texts = [[choose_text(p, rule) for p in rows] for rule in grid]
    f1s = [[p.f1(t) for p, t in zip(rows, ts)] for ts in texts]
    held: list[str] = [""] * len(rows)
    chosen: list[object] = []
    for k in range(FOLDS):
        train = [i for i, p in enumerate(rows) if fold_of(p.lang, p.id) != k]
        # Ties (the training pages cannot tell two settings apart) go to the shipped default.
        best = max(range(len(grid)), key=lambda g: (round(sum(f1s[g][i] for i in train), 9), grid[g] == DEFAULT_RULE))
        chosen.append(grid[best])
        for i, p in enumerate(rows):
            if fold_of(p.lang, p.id) == k:
                held[i] = texts[best][i]
    return held, chosen


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--only", choices=["zh", "en"])
    ap.add_argument("--per-page", action="store_true", help="print every page's F1 (dev pages only unless --show-test)")
    ap.add_argument("--show-test", action="store_true", help="also print held-out test pages one by one")
    ap.add_argument("--candidates", action="store_true", help="also score each of our candidates alone")
    ap.add_argument("--no-cv", action="store_true", help="skip the 5-fold cross-validation of the thresholds")
    ap.add_argument(
        "--variants", action="store_true", help="also run the whole rule with trafilatura's options changed (other anchors)"
    )
    args = ap.parse_args()
    langs = [args.only] if args.only else ["zh", "en"]
    rows = [run_page(lang, pid, content, gold) for lang in langs for pid, content, gold in pages(args.data_dir, lang)]

    if args.per_page:
        for p in rows:
            if is_test(p.lang, p.id) and not args.show_test:
                continue
            split = "test" if is_test(p.lang, p.id) else "dev"
            fo, ft = p.f1(p.ours), p.f1(p.trafilatura)
            mark = "WORSE" if fo < ft - MARGIN else "better" if fo > ft + MARGIN else ""
            conf = f"{p.confidence:.2f}" if p.confidence is not None else "-"
            print(f"{p.lang} {split:4} {p.id[:12]:12} ours {fo:.3f} trafilatura {ft:.3f} {mark:6} {p.winner} conf {conf}")

    print("| set | pages | split | ours P | ours R | ours F1 | ours F1 pooled | trafilatura F1 | ours worse / better by >0.01 |")
    print("|---|---|---|---|---|---|---|---|---|")
    cv_texts: list[str] = []
    if not args.no_cv:
        cv_texts, chosen = cross_validate(rows)
    for lang in langs:
        splits = {
            "dev (tuned on)": [i for i, p in enumerate(rows) if p.lang == lang and not is_test(lang, p.id)],
            "test (held out)": [i for i, p in enumerate(rows) if p.lang == lang and is_test(lang, p.id)],
            "all": [i for i, p in enumerate(rows) if p.lang == lang],
        }
        for split, idx in splits.items():
            s = summary([rows[i] for i in idx], [rows[i].ours for i in idx])
            print(
                f"| extract_{lang} | {s['n']} | {split} | {s['P']:.3f} | {s['R']:.3f} | {s['F1']:.3f} | {s['pooled']:.3f} "
                f"| {s['traf']:.3f} | {s['worse']} / {s['better']} |"
            )
        if cv_texts:
            idx = splits["all"]
            s = summary([rows[i] for i in idx], [cv_texts[i] for i in idx])
            print(
                f"| extract_{lang} | {s['n']} | 5-fold CV (held out) | {s['P']:.3f} | {s['R']:.3f} | {s['F1']:.3f} | {s['pooled']:.3f} "
                f"| {s['traf']:.3f} | {s['worse']} / {s['better']} |"
            )
    if cv_texts:
        print()
        print("thresholds chosen per fold (truncated, extra_prose, near_empty, menu, disjoint, vote_add, vote_drop):")
        print(
            "  "
            + "; ".join(
                f"({r.truncated}, {r.extra_prose}, {r.near_empty}, {r.menu}, {r.disjoint}, {r.vote_add}, {r.vote_drop})"  # type: ignore[attr-defined]
                for r in chosen
            )
        )

    conf = [(p.confidence, p.f1(p.ours)) for p in rows if p.confidence is not None]
    from tasks.text.extract import DEFAULT_RULE

    low = [f for c, f in conf if c < DEFAULT_RULE.low_confidence]
    high = [f for c, f in conf if c >= DEFAULT_RULE.low_confidence]
    print()
    print(
        f"confidence < {DEFAULT_RULE.low_confidence}: {len(low)} page(s), ours F1 {sum(low) / max(1, len(low)):.3f}; "
        f"others: {len(high)} page(s), ours F1 {sum(high) / max(1, len(high)):.3f}"
    )
    from tasks.text.extract import choose_candidate

    winners = Counter(p.winner for p in rows)
    print("winners: " + ", ".join(f"{w} {n}" for w, n in winners.most_common()))
    evidence = Counter(choose_candidate(p.candidates).evidence for p in rows if p.candidates)
    print("evidence: " + ", ".join(f"{w} {n}" for w, n in evidence.most_common()))
    secs = {k: sum(p.seconds[k] for p in rows) / len(rows) for k in ("ours", "trafilatura")}
    print(f"seconds/page: ours {secs['ours']:.3f}, trafilatura {secs['trafilatura']:.3f}")

    if args.candidates:
        print()
        print("| set | candidate | pages | F1 (mean), all pages |")
        print("|---|---|---|---|")
        for lang in langs:
            sel = [p for p in rows if p.lang == lang]
            for name in ("trafilatura", "density"):
                mean = sum(p.f1("\n\n".join(p.candidates.get(name, []))) for p in sel) / len(sel)
                print(f"| extract_{lang} | cand:{name} | {len(sel)} | {mean:.3f} |")
    if args.variants:
        variants_table(args.data_dir, langs, rows)
    if "zh" in langs:
        date_ok, date_n, author_ok, author_n = metadata_scores(args.data_dir)
        print(f"\nextract_zh metadata (ours): date {date_ok}/{date_n} same day, author {author_ok}/{author_n} exact")


VARIANTS: dict[str, dict[str, bool]] = {
    "favor_precision": {"favor_precision": True},
    "favor_recall": {"favor_recall": True},
    "include_tables=False": {"include_tables": False},
}


def variants_table(data_dir: Path, langs: list[str], rows: list[Page]) -> None:
    """The whole combination with trafilatura's options changed: each option as the anchor."""
    from tasks.text.extract import ExtractionError, extract_candidates

    by_id = {(p.lang, p.id): p for p in rows}
    print()
    print("| set | anchor (trafilatura options) | split | F1 (mean) | worse / better than plain trafilatura by >0.01 |")
    print("|---|---|---|---|---|")
    for lang in langs:
        for name, options in {"defaults (shipped)": {}, **VARIANTS}.items():
            sel: list[Page] = []
            texts: list[str] = []
            for pid, content, _gold in pages(data_dir, lang):
                page = by_id[(lang, pid)]
                try:
                    cands = extract_candidates(content, trafilatura_options=options) if options else page.candidates
                except ExtractionError:
                    cands = {}
                sel.append(page)
                texts.append(choose_text(Page(lang, pid, page.gold, candidates=cands), None) if cands else "")
            for split, test in (("dev", False), ("test", True)):
                idx = [i for i, p in enumerate(sel) if is_test(lang, p.id) == test]
                s = summary([sel[i] for i in idx], [texts[i] for i in idx])
                print(f"| extract_{lang} | {name} | {split} | {s['F1']:.3f} | {s['worse']} / {s['better']} |")


def metadata_scores(data_dir: Path) -> tuple[int, int, int, int]:
    """Date (same day) and author (exact, spaces ignored) matches on extract_zh's gold index."""
    import csv

    from tasks.text.extract import ExtractionError, extract_article

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


if __name__ == "__main__":
    main()
