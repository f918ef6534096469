"""Ours vs plain trafilatura on trafilatura's own evaluation pages (snippet checks).

    .venv/bin/python bench/eval_snippets.py PATH/TO/trafilatura-checkout

Reads `tests/evaldata.json` (per page: snippets that must be in the text, "with", and
that must not, "without") and `tests/eval/*.html` of a trafilatura source checkout: ~880
pages of many languages and kinds (news, blogs, shops, recipes, portals) that this
project never tuned on. trafilatura itself was developed against them, so it is a hard
baseline there. Prints snippet counts for both and the pages where ours satisfies fewer
snippets than trafilatura (worse) or more (better), for all pages and for the pages
whose trafilatura text langdetect calls English, and Chinese. Nothing is asserted.

Ours is scored on `title + text` by default (what a reader of the Document sees);
`--body-only` scores `text` alone, as `trafilatura.extract()` outputs no title: many
"without" snippets are the page's own headline, which our title always holds.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("checkout", type=Path, help="a trafilatura source checkout (with tests/eval/)")
    ap.add_argument("--list", type=int, default=15, help="worse pages to list")
    ap.add_argument("--body-only", action="store_true", help="score our text without the title")
    args = ap.parse_args()
    import trafilatura
    from langdetect import detect

    from tasks.text.extract import ExtractionError, extract_article

    data = json.loads((args.checkout / "tests" / "evaldata.json").read_text(encoding="utf-8"))
    rows = []
    for url, case in data.items():
        path = args.checkout / "tests" / "eval" / case["file"]
        if not path.exists():
            continue
        raw = path.read_bytes()
        try:
            doc = extract_article(raw, url=url, source_id="eval")
            ours = doc.text if args.body_only else f"{doc.title or ''}\n{doc.text}"
        except ExtractionError:
            ours = ""
        theirs = trafilatura.extract(raw.decode("utf-8", "replace"), url=url, include_comments=False) or ""
        try:
            lang = detect(theirs[:2000]) if theirs.strip() else "?"
        except Exception:  # noqa: BLE001 - langdetect on odd text
            lang = "?"

        def score(text: str) -> tuple[int, int, int, int]:
            w, wo = case.get("with", []), case.get("without", [])
            return sum(s in text for s in w), sum(s not in text for s in wo), len(w), len(wo)

        rows.append((case["file"], lang, score(ours), score(theirs)))
    groups = (("all", rows), ("English", [r for r in rows if r[1] == "en"]),
              ("Chinese", [r for r in rows if r[1].startswith("zh")]))
    for name, sel in groups:
        a, b = [0, 0, 0, 0], [0, 0, 0, 0]
        worse, better = [], []
        for f, _, so, st in sel:
            for i in range(4):
                a[i] += so[i]
                b[i] += st[i]
            if so[0] + so[1] < st[0] + st[1]:
                worse.append((f, so, st))
            elif so[0] + so[1] > st[0] + st[1]:
                better.append(f)
        print(f"{name}: {len(sel)} pages | ours: with {a[0]}/{a[2]}, without {a[1]}/{a[3]}"
              f" | trafilatura: with {b[0]}/{b[2]}, without {b[1]}/{b[3]}"
              f" | pages ours worse {len(worse)}, better {len(better)}")
        for f, so, st in worse[: args.list]:
            print(f"  worse: {f} ours (with, without) {so[:2]} trafilatura {st[:2]}")


if __name__ == "__main__":
    main()
