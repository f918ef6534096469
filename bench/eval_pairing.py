"""Pairing of language versions on real parallel news: precision / recall / F1 per method.

    python bench/eval_pairing.py ../shared/data/parallel_ntrex128 [--threshold T] [--seed N]

NTREX-128 (newstest2019: 123 English news documents with professional vi and zh
translations; documents from DOCUMENT_IDS.tsv) becomes a multi-edition site: every
document is an article page in each edition (vi, zh, en), written as HTML the way
outlets do: some pairs carry reciprocal `hreflang` links, some only an in-page link to
the other version, most nothing at all; a share of documents exists in one edition only
(distractors with no counterpart). The pages are read back with the same code the
nightly pairing uses (tasks/align/pairing.py: page evidence with beautifulsoup4, content
features, one-to-one grouping) and the predicted pairs are compared with the truth.

The content threshold is calibrated on a dev half of the documents (a fixed split by a
hash of the document id) and every figure printed is on the other, held-out half.
No MT is used (the tiny test models translate nonsense; real models are not here).
"""

from __future__ import annotations

import argparse
import hashlib
import html
import random
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lxml import html as lxml_html  # noqa: E402

from tasks.align.pairing import (  # noqa: E402
    CONTENT_THRESHOLD,
    DocInfo,
    content_features,
    pair_documents,
)
from tasks.text.links import link_evidence  # noqa: E402

LANG_FILES = {"en": "newstest2019-src.eng.txt", "vi": "newstest2019-ref.vie.txt", "zh": "newstest2019-ref.zho-CN.txt"}
HOSTS = {"en": "en.example.test", "vi": "www.example.test", "zh": "cn.example.test"}


def load_documents(data: Path) -> dict[str, dict[str, list[str]]]:
    """doc id -> lang -> sentences."""
    ids = (data / "DOCUMENT_IDS.tsv").read_text(encoding="utf-8").splitlines()
    lines = {lang: (data / f).read_text(encoding="utf-8").splitlines() for lang, f in LANG_FILES.items()}
    docs: dict[str, dict[str, list[str]]] = {}
    for i, doc_id in enumerate(ids):
        for lang in LANG_FILES:
            docs.setdefault(doc_id.strip(), {}).setdefault(lang, []).append(lines[lang][i])
    return docs


def is_dev(doc_id: str) -> bool:
    return int(hashlib.sha1(doc_id.encode()).hexdigest(), 16) % 2 == 0


def url_for(lang: str, n: int, doc_id: str) -> str:
    slug = hashlib.sha1(f"{lang}{doc_id}".encode()).hexdigest()[:8]
    return f"https://{HOSTS[lang]}/news/{slug}-{1000 + n * 7 + len(lang)}.html"


def page(lang: str, sentences: list[str], alternates: dict[str, str], links: list[tuple[str, str]], nav: list[str]) -> bytes:
    head = "".join(f'<link rel="alternate" hreflang="{lg}" href="{html.escape(u)}">' for lg, u in alternates.items())
    paras = ["<p>" + html.escape(" ".join(sentences[i : i + 3])) + "</p>" for i in range(1, len(sentences), 3)]
    body_links = "".join(f'<p><a href="{html.escape(u)}">{html.escape(label)}</a></p>' for u, label in links)
    navs = "".join(f'<li><a href="{html.escape(u)}">more</a></li>' for u in nav)
    return (
        f'<!doctype html><html lang="{lang}"><head><title>{html.escape(sentences[0])}</title>{head}</head>'
        f"<body><nav><ul>{navs}</ul></nav><article><h1>{html.escape(sentences[0])}</h1>{''.join(paras)}{body_links}"
        f"</article></body></html>"
    ).encode("utf-8")


_FEATURES: dict[tuple[str, str], object] = {}


def build_site(docs: dict[str, dict[str, list[str]]], ids: list[str], langs: tuple[str, ...], seed: int,
               distractors: float = 0.2):
    """DocInfo per page and the true pairs {(key_a, key_b): condition}."""
    rng = random.Random(seed)
    base = datetime(2026, 11, 30, tzinfo=timezone.utc)
    pages: list[tuple[str, str, str, dict[str, str], list[tuple[str, str]], list[str], datetime]] = []
    truth: dict[tuple[str, str], str] = {}
    urls = {(lang, d): url_for(lang, i, d) for i, d in enumerate(ids) for lang in langs}
    for i, d in enumerate(ids):
        roll = rng.random()
        present = list(langs)
        if roll < distractors:
            present = [rng.choice(langs)]  # a distractor: one edition only
        condition = rng.choices(["hreflang", "link", "none"], weights=[1, 1, 2])[0]
        when = base - timedelta(hours=rng.uniform(0, 40))
        for lang in present:
            others = [o for o in present if o != lang]
            alternates = {o: urls[(o, d)] for o in present} if condition == "hreflang" else {}
            links = [(urls[(o, d)], {"en": "English", "vi": "Tiếng Việt", "zh": "中文"}[o]) for o in others] if condition == "link" else []
            nav = [urls[(lang, rng.choice(ids))] for _ in range(5)]
            pages.append((lang, d, urls[(lang, d)], alternates, links, nav, when + timedelta(hours=rng.uniform(0, 6))))
        if len(present) > 1:
            for a in present:
                for b in present:
                    if a < b:
                        ka, kb = f"{a}:{d}", f"{b}:{d}"
                        truth[(min(ka, kb), max(ka, kb))] = condition
    infos: list[DocInfo] = []
    for lang, d, url, alternates, links, nav, when in pages:
        sentences = docs[d][lang]
        raw = page(lang, sentences, alternates, links, nav)
        # the evidence extraction records for a page (tasks/text/links.py)
        evidence = link_evidence(lxml_html.document_fromstring(raw), url, [])
        alts, page_links, switch = evidence.alternates, evidence.links, set(evidence.switch)
        text = "\n\n".join(sentences)
        info = DocInfo(key=f"{lang}:{d}", outlet="bench", lang=lang, url=url, urls={url}, date=when,
                       alternates=alts, links=page_links, switch_links=switch, text=text)
        if (lang, d) not in _FEATURES:
            _FEATURES[(lang, d)] = content_features(text, lang)
        info.features = _FEATURES[(lang, d)]
        infos.append(info)
    return infos, truth


def predicted_pairs(infos: list[DocInfo], threshold: float) -> dict[tuple[str, str], str]:
    stories = pair_documents(infos, threshold)
    out: dict[tuple[str, str], str] = {}
    for s in stories:
        for e in s.edges:
            out[(min(e.a, e.b), max(e.a, e.b))] = e.method
        keys = sorted(s.members.values())
        for i, a in enumerate(keys):
            for b in keys[i + 1 :]:
                out.setdefault((a, b), "story")  # the third pair of a three-version story
    return out


def prf(pred: set, gold: set) -> tuple[float, float, float]:
    tp = len(pred & gold)
    p = tp / len(pred) if pred else 1.0
    r = tp / len(gold) if gold else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def evaluate(docs, ids, langs, threshold, seed, night_size: int = 0):
    """Truth and prediction; night_size > 0 splits the documents into small sites (one night
    each) where 40 % of the documents have one version only: lone versions meet lone versions."""
    chunks = [ids[i : i + night_size] for i in range(0, len(ids), night_size)] if night_size else [ids]
    truth: dict = {}
    pred: dict = {}
    for n, chunk in enumerate(chunks):
        t, infos = None, None
        infos, t = build_site(docs, chunk, langs, seed + n, 0.4 if night_size else 0.2)
        truth.update(t)
        pred.update(predicted_pairs(infos, threshold))
    return truth, pred


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--threshold", type=float, default=None, help="content threshold (default: calibrated on dev)")
    ap.add_argument("--seed", type=int, default=14)
    args = ap.parse_args()
    docs = load_documents(args.data_dir)
    dev = sorted(d for d in docs if is_dev(d))
    test = sorted(d for d in docs if not is_dev(d))
    scenarios = [
        ("vi+en", ("en", "vi"), 0), ("zh+en", ("en", "zh"), 0), ("vi+zh+en", ("en", "vi", "zh"), 0),
        ("vi+en, nights of 12", ("en", "vi"), 12), ("zh+en, nights of 12", ("en", "zh"), 12),
        ("vi+zh+en, nights of 12", ("en", "vi", "zh"), 12),
    ]

    threshold = args.threshold
    if threshold is None:
        grid = [round(0.04 + 0.01 * i, 2) for i in range(17)]
        dev_f1: dict[float, float] = {}
        for t in grid:
            f1s = []
            for _, langs, night in scenarios:
                truth, pred = evaluate(docs, dev, langs, t, args.seed, night)
                none = {k for k, c in truth.items() if c == "none"}
                f1s.append(prf({k for k in pred if k not in truth or k in none}, none)[2])
            dev_f1[t] = sum(f1s) / len(f1s)
        top = max(dev_f1.values())
        plateau = [t for t in grid if dev_f1[t] >= top - 0.005]
        threshold = plateau[len(plateau) // 2]  # the middle of the best plateau: margin on both sides
        print("dev F1 (no-link pairs) by threshold: " + ", ".join(f"{t}: {f:.3f}" for t, f in dev_f1.items()))
        print(f"content threshold calibrated on the dev half ({len(dev)} documents): {threshold} "
              f"(dev F1 {dev_f1[threshold]:.3f}; shipped default {CONTENT_THRESHOLD})")
    print(f"held-out half: {len(test)} documents; seed {args.seed}\n")
    print("| edition set | pairs | P | R | F1 | no-link pairs P / R / F1 | predicted by method |")
    print("|---|---|---|---|---|---|---|")
    for name, langs, night in scenarios:
        truth, pred = evaluate(docs, test, langs, threshold, args.seed, night)
        p, r, f = prf(set(pred), set(truth))
        none = {k for k, c in truth.items() if c == "none"}
        np_, nr, nf = prf({k for k in pred if k not in truth or k in none}, none)
        by_method = Counter(pred.values())
        methods = ", ".join(f"{m} {n}" for m, n in sorted(by_method.items()))
        print(f"| {name} | {len(truth)} | {p:.3f} | {r:.3f} | {f:.3f} | {np_:.3f} / {nr:.3f} / {nf:.3f} | {methods} |")
    print("\nper gold condition (all edition sets together):")
    print("| gold evidence | pairs | recall |")
    print("|---|---|---|")
    totals: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    for _, langs, night in scenarios:
        truth, pred = evaluate(docs, test, langs, threshold, args.seed, night)
        for k, c in truth.items():
            totals[c] += 1
            hits[c] += k in pred
    for c in ("hreflang", "link", "none"):
        print(f"| {c} | {totals[c]} | {hits[c] / totals[c] if totals[c] else 1:.3f} |")


if __name__ == "__main__":
    main()
