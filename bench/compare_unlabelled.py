"""Ours vs plain trafilatura on pages without gold text: where do the two disagree?

    .venv/bin/python bench/compare_unlabelled.py DIR [--below 0.9] [--show]

Every `*.html` under DIR (for example GeneralNewsExtractor's `tests/` pages: Chinese news
portals, WeChat posts, government sites) is extracted by both; the agreement is the
bag-of-tokens F1 of one text against the other (bench/eval_extract.py's tokens). Pages
are listed from the least agreement up, with both lengths and which of our candidates won;
`--show` prints, for the pages below `--below`, the paragraphs only trafilatura kept and the
first lines only ours kept. Nothing is scored: a person reads the disagreements (which
side kept the article, which kept the page's chrome). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eval_extract import prf, tokens  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", type=Path)
    ap.add_argument("--below", type=float, default=0.9, help="agreement under which a page counts as a disagreement")
    ap.add_argument("--show", action="store_true", help="print what only one side kept, for the disagreements")
    args = ap.parse_args()
    import trafilatura

    from tasks.text.extract import ExtractionError, extract_article

    rows = []
    for path in sorted(args.dir.rglob("*.html")):
        raw = path.read_bytes()
        try:
            doc = extract_article(raw, url="http://example.invalid/")
            ours, how = doc.text, doc.extractor.split("|", 1)[1]
        except ExtractionError as exc:
            ours, how = "", f"error:{exc.reason}"
        theirs = trafilatura.extract(raw) or ""
        agree = prf(tokens(ours), tokens(theirs))[2]
        rows.append((agree, str(path.relative_to(args.dir)), ours, theirs, how))
    rows.sort(key=lambda r: r[0])
    for agree, name, ours, theirs, how in rows:
        print(f"{agree:.2f} {name[:40]:40} ours {len(ours):6} chars, trafilatura {len(theirs):6} chars  {how}")
        if args.show and agree < args.below:
            only_theirs = [p.strip() for p in theirs.split("\n") if p.strip() and p.strip()[:30] not in ours]
            only_ours = [p.strip() for p in ours.split("\n") if p.strip() and p.strip()[:30] not in theirs]
            for label, paras in (("only trafilatura", only_theirs), ("only ours", only_ours)):
                for p in paras[:6]:
                    print(f"      {label}: {p[:100]}")
    low = sum(r[0] < args.below for r in rows)
    print(f"== {len(rows)} pages, {low} agree below {args.below}; ours raised on {sum(r[4].startswith('error:') for r in rows)}")


if __name__ == "__main__":
    main()
