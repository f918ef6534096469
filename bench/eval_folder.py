"""Ours vs plain trafilatura on any folder of hand-extracted pages (pages this project never saw).

    .venv/bin/python bench/eval_folder.py DIR [--lang en] [--with-title]
    .venv/bin/python bench/eval_folder.py --pages DIR      # DIR/<page>/source.html + expected.html

DIR holds one folder per language, each with `html/<name>.html` (raw bytes) and
`text/<name>.txt` (the gold text, same name): the layout of public hand-labelled
multilingual sets. `--pages`: one folder per page with `source.html` and a reference
`expected.html` (its text is the reference; mozilla/readability's test pages have this
layout, and their reference is readability's own output, not a person's). Scoring is bench/eval_extract.py's (bag-of-tokens F1, CJK characters
as tokens; "worse"/"better" = more than 0.01 F1 below/above trafilatura on a page).
trafilatura runs with its defaults on the same bytes. Ours is scored on the document's
text; `--with-title` scores `title + text`, for gold that starts with the headline (our
headline is the Document's title, not part of its text). Read a set's conventions before
its figures: gold that keeps a blog's or a forum's comment thread counts our (and
trafilatura's `include_comments=False`) article-only text as lost recall. Nothing is
asserted; pages without a gold file are skipped.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eval_extract import MARGIN, prf, tokens  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", type=Path, help="a folder of <lang>/html/*.html and <lang>/text/*.txt")
    ap.add_argument("--lang", action="append", help="only these language folders (repeatable)")
    ap.add_argument("--with-title", action="store_true", help="score our title + text")
    ap.add_argument("--pages", action="store_true", help="DIR/<page>/source.html + expected.html")
    args = ap.parse_args()
    import trafilatura

    from tasks.text.extract import ExtractionError, extract_article

    groups = {"pages": list(page_pairs(args.dir))} if args.pages else {
        lang: list(lang_pairs(args.dir, lang))
        for lang in (args.lang or sorted(p.name for p in args.dir.iterdir() if (p / "html").is_dir()))
    }
    for lang, pairs in groups.items():
        rows = []
        for name, raw, gold_text in pairs:
            gold = tokens(gold_text)
            try:
                doc = extract_article(raw, url="http://example.invalid/")
                ours = f"{doc.title or ''}\n{doc.text}" if args.with_title else doc.text
                how = doc.extractor.split("|", 1)[1]
            except ExtractionError as exc:
                ours, how = "", f"error:{exc.reason}"
            theirs = trafilatura.extract(raw) or ""
            (po, ro, fo), (pt, rt, ft) = prf(tokens(ours), gold)[:3], prf(tokens(theirs), gold)[:3]
            mark = "WORSE" if fo < ft - MARGIN else "better" if fo > ft + MARGIN else ""
            rows.append((fo, ft, mark))
            print(f"{lang} {name[:56]:56} ours {fo:.3f} (P {po:.2f} R {ro:.2f}) "
                  f"trafilatura {ft:.3f} (P {pt:.2f} R {rt:.2f}) {mark:6} {how}")
        if rows:
            n = len(rows)
            print(f"== {lang}: {n} pages, ours F1 {sum(r[0] for r in rows) / n:.3f}, trafilatura {sum(r[1] for r in rows) / n:.3f}, "
                  f"ours worse / better by >{MARGIN}: {sum(r[2] == 'WORSE' for r in rows)} / {sum(r[2] == 'better' for r in rows)}")


def lang_pairs(root: Path, lang: str):
    """(name, raw bytes, gold text) of a language folder: html/<name>.html + text/<name>.txt."""
    for html in sorted((root / lang / "html").glob("*.html")):
        gold = root / lang / "text" / f"{html.stem}.txt"
        if gold.exists():
            yield html.stem, html.read_bytes(), gold.read_text(encoding="utf-8", errors="replace")


def page_pairs(root: Path):
    """(name, raw bytes, reference text) of DIR/<page>/source.html + expected.html."""
    from lxml import html as lxml_html

    for source in sorted(root.glob("*/source.html")):
        expected = source.parent / "expected.html"
        if expected.exists():
            text = lxml_html.fromstring(expected.read_bytes().decode("utf-8", "replace")).text_content()
            yield source.parent.name, source.read_bytes(), text


if __name__ == "__main__":
    main()
