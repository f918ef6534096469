"""Two nights of `newsbridge run` on a loopback outlet filled with real parallel articles.

    python bench/eval_discovery_site.py ../shared/data/parallel_ntrex128 [--draws 3] [--layout ports|paths] [--edited]

The loopback outlet of the tests (tests/news_site.py: vi with RSS and a sitemap index
holding an old sitemap, en with Atom and a disallowed path, zh with only a news sitemap;
home and section pages full of navigation; hreflang pairs, link-only pairs, pairs with
nothing, distractors; on night 2 new articles and late translations of night-1 articles)
gets its article texts from NTREX-128 documents instead of generated ones. Each draw runs
the real command twice (its own Prefect server, the tiny test translation models: no real
MT) and measures what the issue's check measures: in-window articles stored once, old and
disallowed pages never requested, nothing stored requested again on night 2, and pair
precision / recall / F1 over all pairs and over the pairs with no link at all.

The articles come from the held-out half of bench/eval_pairing.py's split (the pairing
model was fitted on the other half). With --edited, every English version is abridged
the way that bench does it (30 % of sentences dropped, mostly at the end; ~10 % lines
from other articles added).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

FILES = {"en": "newstest2019-src.eng.txt", "vi": "newstest2019-ref.vie.txt", "zh": "newstest2019-ref.zho-CN.txt"}


def load(data: Path) -> dict[str, dict[str, list[str]]]:
    ids = (data / "DOCUMENT_IDS.tsv").read_text(encoding="utf-8").splitlines()
    lines = {lang: (data / f).read_text(encoding="utf-8").splitlines() for lang, f in FILES.items()}
    docs: dict[str, dict[str, list[str]]] = {}
    for i, d in enumerate(ids):
        for lang in FILES:
            docs.setdefault(d.strip(), {}).setdefault(lang, []).append(lines[lang][i])
    return docs


def prf(pred: set, gold: set) -> tuple[float, float, float]:
    tp = len(pred & gold)
    p = tp / len(pred) if pred else 1.0
    r = tp / len(gold) if gold else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def draw(docs: dict, seed: int, layout: str, models: Path, work: Path, edited: bool = False) -> dict[str, object]:
    import news_site

    sys.path.insert(0, str(ROOT / "bench"))
    from eval_pairing import abridge, is_dev

    held_out = sorted(d for d in docs if not is_dev(d))
    picked = random.Random(seed).sample(held_out, 40)
    extra = [s for d in sorted(docs) if d not in picked for s in docs[d]["en"][1:]]

    def story_text(n: int) -> dict[str, tuple[str, list[str]]]:
        d = docs[picked[n % len(picked)]]
        out = {}
        for lang in ("vi", "zh", "en"):
            lines = abridge(d[lang], random.Random(f"{seed}:{n}"), extra) if edited and lang == "en" else d[lang]
            out[lang] = (lines[0], [" ".join(lines[i : i + 2]) for i in range(1, len(lines), 2)])
        return out

    news_site.story_text = story_text
    env = {**os.environ, "ARGOS_PACKAGES_DIR": str(models), "PREFECT_HOME": str(work / "prefect"), "PYTHONPATH": str(ROOT),
           "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180", "DO_NOT_TRACK": "1"}
    site = news_site.NewsSite(layout)
    site.build()
    try:
        (work / "s.yaml").write_text(site.sources_yaml(), encoding="utf-8")
        out = work / "out"
        stored_night1: set[str] = set()
        old_or_private = [("vi", "/the-gioi/bao-cu-100025.html"), ("en", "/private/secret-report-2026-11-30.html")]
        for night in (1, 2):
            site.night(night)
            if night == 2:
                site.clear_logs()
            proc = subprocess.run([sys.executable, "-m", "flows.cli", "run", "--sources", str(work / "s.yaml"),
                                   "--output", str(out), "--json"], capture_output=True, text=True, env=env, cwd=ROOT,
                                  timeout=1800)
            if proc.returncode != 0:
                raise SystemExit(f"night {night}: exit {proc.returncode}\n{proc.stderr[-2000:]}")
            latest = {}
            for ptr in (out / "docs").glob("*/latest.json"):
                rel = json.loads(ptr.read_text())["path"]
                latest[ptr.parent.name] = json.loads((out / rel).read_text())
            if night == 1:
                stored_night1 = {d["url"] for d in latest.values()}
        asked_again = stored_night1 & site.requested_urls()
        never = all(site.count(lang, path) == 0 for lang, path in old_or_private)
        stored = [d["url"] for d in latest.values()]
        expected = {site.url(a.lang, a.path) for a in site.articles if not a.old}
        pred = set()
        for d in latest.values():
            urls = [v["url"] for v in (d.get("story") or {}).get("versions", [])]
            pred |= {frozenset((a, b)) for i, a in enumerate(urls) for b in urls[i + 1 :]}
        gold = set(site.pairs_truth)
        nolink = {p for p, ev in site.pairs_truth.items() if ev == "none"}
        by_url = {d["url"]: d for d in latest.values()}
        for wrong in sorted(pred - gold, key=sorted):
            a, b = sorted(wrong)
            pb = [(by_url.get(u) or {}).get("story", {}).get("paired_by") for u in (a, b)]
            print(f"  draw {seed}: wrong pair {a} {b}: {pb}", file=sys.stderr, flush=True)
        return {
            "stored_once": len(stored) == len(set(stored)) and set(stored) == expected,
            "stored": len(stored), "expected": len(expected),
            "old_or_disallowed_requested": not never, "stored_requested_again": len(asked_again),
            "all": prf(pred, gold), "no_link": prf({p for p in pred if p not in gold or p in nolink}, nolink),
            "pairs": len(gold), "no_link_pairs": len(nolink),
        }
    finally:
        site.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--draws", type=int, default=3)
    ap.add_argument("--layout", choices=("ports", "paths"), default="ports")
    ap.add_argument("--edited", action="store_true", help="abridged English editions with added lines")
    ap.add_argument("--first-draw", type=int, default=1)
    args = ap.parse_args()
    from tasks.translate.packages import install_argosmodel
    from tasks.translate.testmodels import build_test_packages

    docs = load(args.data_dir)
    with tempfile.TemporaryDirectory(prefix="newsbridge-site-bench-") as tmp:
        root = Path(tmp)
        for path in build_test_packages(root / "archives").values():
            install_argosmodel(path, root / "models")
        print("| draw | stored once | old/disallowed requested | stored requested again | pairs | P / R / F1 | no-link pairs | P / R / F1 |")
        print("|---|---|---|---|---|---|---|---|")
        for seed in range(args.first_draw, args.first_draw + args.draws):
            work = root / f"draw{seed}"
            work.mkdir()
            r = draw(docs, seed, args.layout, root / "models", work, args.edited)
            a, n = r["all"], r["no_link"]
            print(f"| {seed} | {'yes' if r['stored_once'] else 'NO'} ({r['stored']}/{r['expected']}) | "
                  f"{'YES' if r['old_or_disallowed_requested'] else 'no'} | {r['stored_requested_again']} | {r['pairs']} | "
                  f"{a[0]:.3f} / {a[1]:.3f} / {a[2]:.3f} | {r['no_link_pairs']} | {n[0]:.3f} / {n[1]:.3f} / {n[2]:.3f} |",
                  flush=True)


if __name__ == "__main__":
    main()
