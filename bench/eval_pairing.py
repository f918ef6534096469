"""Pairing of language versions on real parallel news: precision / recall / F1 per method.

    python bench/eval_pairing.py ../shared/data/parallel_ntrex128 [--seeds 5] [--strict]
    python bench/eval_pairing.py ../shared/data/parallel_ntrex128 --fit   # refit tasks/data/pairing_model.json

NTREX-128 (newstest2019: 123 English news documents with professional vi and zh
translations; documents from DOCUMENT_IDS.tsv) — and, as a second corpus, 120 stories of
the tests' loopback outlet (tests/news_site.py: every story written from the same sentence
templates, so only names and numbers tell two stories apart) — becomes a multi-edition site: every
document is an article page in each edition (vi, zh, en), written as HTML the way
outlets do: some pairs carry reciprocal `hreflang` links, some only an in-page link to
the other version, most nothing at all; a share of documents exists in one edition only
(distractors with no counterpart). The pages are read back with the same code the
nightly pairing uses (tasks/align/pairing.py: the link evidence extraction records, content
features, one-to-one grouping) and the predicted pairs are compared with the truth.

Editions are edited the way outlets edit them (unless --strict): the English version of
every story is abridged (30 % of its sentences dropped, in runs and mostly at the end) and
gets ~10 % lines of context from other articles. The content model's weights and its
threshold (tasks/align/doc_evidence.py, tasks/data/pairing_model.json) are fitted with
--fit on a dev half of the documents (a fixed split by a hash of the document id, seeds
101-104); every figure printed is on the other, held-out half, over --seeds draws of the
site (mean and min-max). No MT is used (the tiny test models translate nonsense).
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import random
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

from lxml import html as lxml_html

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tasks.align.doc_evidence import (  # noqa: E402
    MODEL_FILE,
    PairingModel,
    fit_logistic,
    rival_features,
)
from tasks.langs import base_lang  # noqa: E402
from tasks.align.content_pairs import ContentScorer, rival, rivals  # noqa: E402
from tasks.align.pairing import (  # noqa: E402
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


_FEATURES: dict[tuple[str, str, str], object] = {}
EDITED = True  # --strict: versions are whole translations
BASELINE = False  # set while the baseline's rows are measured


def abridge(sentences: list[str], rng: random.Random, extra: list[str], drop: float = 0.3, add: float = 0.1) -> list[str]:
    """The headline, then ~70 % of the body: a cut at the end and runs dropped; ~10 % lines from elsewhere added."""
    body = sentences[1:]
    n = len(body)
    keep = [True] * n
    cut = int(n * rng.uniform(0.1, 0.25))  # the end goes first
    for i in range(n - cut, n):
        keep[i] = False
    while n and sum(not k for k in keep) < drop * n:
        start = rng.randrange(n)
        for i in range(start, min(n, start + rng.randint(1, 3))):
            keep[i] = False
    out = [sentences[0]]
    for i, s in enumerate(body):
        if keep[i]:
            out.append(s)
            if extra and rng.random() < add / (1 - drop):
                out.append(rng.choice(extra))  # a line of context for foreign readers, from another article
    return out


def build_site(docs: dict[str, dict[str, list[str]]], ids: list[str], langs: tuple[str, ...], seed: int,
               distractors: float = 0.2):
    """DocInfo per page and the true pairs {(key_a, key_b): condition}."""
    rng = random.Random(seed)
    outside = [s for d in sorted(docs) if d not in ids for s in docs[d]["en"][1:]]
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
        if EDITED and lang == "en":
            sentences = abridge(sentences, random.Random(f"{seed}:{d}"), outside)
        raw = page(lang, sentences, alternates, links, nav)
        # the evidence extraction records for a page (tasks/text/links.py)
        evidence = link_evidence(lxml_html.document_fromstring(raw), url, [])
        alts, page_links, switch = evidence.alternates, evidence.links, set(evidence.switch)
        text = "\n\n".join(sentences)
        info = DocInfo(key=f"{lang}:{d}", outlet="bench", lang=lang, url=url, urls={url}, date=when,
                       alternates=alts, links=page_links, switch_links=switch, text=text)
        key = (lang, d, text)
        if key not in _FEATURES:
            _FEATURES[key] = content_features(text, lang)
        info.features = _FEATURES[key]
        infos.append(info)
    return infos, truth


def predicted_pairs(infos: list[DocInfo], threshold: float | None, model: PairingModel | None = None,
                    scorer: ContentScorer | None = None) -> dict[tuple[str, str], str]:
    if BASELINE:
        scorer = BaselineScorer(infos)  # type: ignore[assignment]
        threshold = BaselineScorer.THRESHOLD
    stories = pair_documents(infos, threshold, model=model, scorer=scorer)
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


def evaluate(docs, ids, langs, threshold, seed, night_size: int = 0, model: PairingModel | None = None):
    """Truth and prediction; night_size > 0 splits the documents into small sites (one night
    each) where 40 % of the documents have one version only: lone versions meet lone versions."""
    chunks = [ids[i : i + night_size] for i in range(0, len(ids), night_size)] if night_size else [ids]
    truth: dict = {}
    pred: dict = {}
    for n, chunk in enumerate(chunks):
        t, infos = None, None
        infos, t = build_site(docs, chunk, langs, seed * 1000 + n, 0.4 if night_size else 0.2)
        truth.update(t)
        pred.update(predicted_pairs(infos, threshold, model))
    return truth, pred


class BaselineScorer:
    """The content score pairing used before issue 24 (kept here as the baseline): idf-weighted cosines of
    anchors (0.6) and English stems (0.4) damped by a length ratio off the translations' one, a 1.25x
    dominance over each side's best rival, threshold 0.09."""

    THRESHOLD, DOMINANCE, LEN_SIGMA = 0.09, 1.25, 0.25
    LOG_LEN = {("en", "zh"): 0.065, ("en", "vi"): -0.088, ("vi", "zh"): 0.153}

    def __init__(self, docs: list[DocInfo]):
        import math

        n = max(1, len(docs))
        df: Counter[str] = Counter()
        for d in docs:
            df.update(d.features.numbers | d.features.names)
            df.update("s:" + x for x in d.features.stems)
        self.idf = {k: math.log(1 + n / c) for k, c in df.items()}
        self.model = PairingModel((0.0,) * 8, (1.0, 0.0, 0.0, 0.0), self.THRESHOLD)

    def _cos(self, a, b) -> float:
        import math

        if not a or not b:
            return 0.0
        w = lambda k: self.idf.get(k, 1.0) ** 2  # noqa: E731
        na, nb = math.sqrt(sum(w(k) for k in a)), math.sqrt(sum(w(k) for k in b))
        return sum(w(k) for k in a & b) / (na * nb)

    def logit(self, a: DocInfo, b: DocInfo) -> float | None:
        import math

        if a.date and b.date and abs((a.date - b.date).total_seconds()) > 3 * 86400:
            return None
        fa, fb = a.features, b.features
        anchors = self._cos(fa.numbers | fa.names, fb.numbers | fb.names)
        stems = self._cos(frozenset("s:" + x for x in fa.stems), frozenset("s:" + x for x in fb.stems))
        ratio = self.LOG_LEN.get((fa.lang, fb.lang), -self.LOG_LEN.get((fb.lang, fa.lang), 0.0))
        r = math.log(fa.length / fb.length) - ratio if fa.length > 0 and fb.length > 0 else 9.0
        return (0.6 * anchors + 0.4 * stems) * math.exp(-(r * r) / (2 * self.LEN_SIGMA ** 2))

    def alone(self, a: DocInfo, b: DocInfo) -> float:
        return 1.0 if (self.logit(a, b) or 0.0) >= 0.12 else 0.0

    def provenance(self, a: DocInfo, b: DocInfo, rival_a: float | None, rival_b: float | None):
        s = self.logit(a, b) or 0.0
        return (s if s >= self.DOMINANCE * max(rival_a or 0.0, rival_b or 0.0) else 0.0), {}


SCENARIOS = [
    ("vi+en", ("en", "vi"), 0), ("zh+en", ("en", "zh"), 0), ("vi+zh+en", ("en", "vi", "zh"), 0),
    ("vi+en, nights of 12", ("en", "vi"), 12), ("zh+en, nights of 12", ("en", "zh"), 12),
    ("vi+zh+en, nights of 12", ("en", "vi", "zh"), 12),
    ("vi+zh+en, nights of 4", ("en", "vi", "zh"), 4),
    ("site stories: vi+zh+en", ("en", "vi", "zh"), 0),
    ("site stories: vi+zh+en, nights of 12", ("en", "vi", "zh"), 12),
]
TEMPLATE_SEEDS = range(5000, 5120)  # stories of the tests' loopback outlet (tests/news_site.py's story_text)


def template_documents() -> dict[str, dict[str, list[str]]]:
    """The loopback test outlet's generated stories (same facts in vi, zh, en from sentence templates): every
    story shares the templates' words with every other, only names and numbers tell them apart."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from news_site import story_text

    out: dict[str, dict[str, list[str]]] = {}
    for seed in TEMPLATE_SEEDS:
        out[f"site-{seed}"] = {lang: [title, *paras] for lang, (title, paras) in story_text(seed).items()}
    return out


def corpus_ids(ids: list[str], name: str) -> list[str]:
    """The scenario's documents: NTREX ones, or the loopback outlet's stories ("site stories: ...")."""
    site = name.startswith("site stories")
    return [d for d in ids if d.startswith("site-") == site]
DEV_SEEDS = (101, 102, 103, 104)


def sites(docs, ids, seeds):
    """Every scenario's sites (each night its own pool) for these seeds: (infos, truth) lists."""
    for seed in seeds:
        for name, langs, night in SCENARIOS:
            mine = corpus_ids(ids, name)
            chunks = [mine[i : i + night] for i in range(0, len(mine), night)] if night else [mine]
            for n, chunk in enumerate(chunks):
                yield build_site(docs, chunk, langs, seed * 1000 + n, 0.4 if night else 0.2)


def fit(docs, dev: list[str]) -> PairingModel:
    """Both logistic stages and the threshold on the dev half; returns the model (not yet written)."""
    neutral = PairingModel(tuple([0.0] * 8), (1.0, 0.0, 0.0, 0.0), 0.5)
    pools = list(sites(docs, dev, DEV_SEEDS))
    rows, labels = [], []
    for infos, truth in pools:
        scorer = ContentScorer(infos, neutral)
        for i, a in enumerate(infos):
            for b in infos[i + 1 :]:
                if base_lang(a.lang) != base_lang(b.lang) and scorer.logit(a, b) is not None:
                    rows.append(scorer.scorer.features(a.features, b.features))
                    labels.append(int((min(a.key, b.key), max(a.key, b.key)) in truth))
    w1 = fit_logistic(rows, labels)
    wrong = sorted(sum(w * v for w, v in zip(w1, r)) + w1[-1] for r, y in zip(rows, labels) if not y)
    floor = wrong[int(0.95 * (len(wrong) - 1))] if wrong else None
    right = sorted(sum(w * v for w, v in zip(w1, r)) + w1[-1] for r, y in zip(rows, labels) if y)
    min_logit = right[int(0.02 * (len(right) - 1))] if right else None
    print(f"stage 1: true pairs' log-odds 2nd percentile {min_logit:.2f} (the floor), wrong pairs' 95th {floor:.2f}")
    stage1 = PairingModel(tuple(w1), (1.0, 0.0, 0.0, 0.0), 0.5, floor)
    rows2, labels2 = [], []
    for infos, truth in pools:
        scorer = ContentScorer(infos, stage1)
        logits, best = rivals(infos, scorer)
        by_key = {d.key: d for d in infos}
        for (ka, kb), z in logits.items():
            if min_logit is not None and z < min_logit:
                continue  # under the floor: probability 0 whatever the rivals (fitted on the pairs that pass it)
            a, b = by_key[ka], by_key[kb]
            rows2.append(rival_features(z, rival(best, ka, base_lang(b.lang), kb), rival(best, kb, base_lang(a.lang), ka), stage1))
            labels2.append(int((min(ka, kb), max(ka, kb)) in truth))
    w2 = fit_logistic(rows2, labels2)
    # Floors on the pair's own log-odds: at least -2 (alone, under ~12 %), so that a weak pair is never lifted
    # by its rivals being weaker still (the whole-chain check, bench/eval_discovery_site.py, showed such pairs).
    grid = [(m, t) for m in (-2.0, -1.0, 0.0) for t in (0.5, 0.6, 0.7, 0.8, 0.9)]
    print(f"fit on {len(dev)} dev documents (NTREX and site stories), seeds {DEV_SEEDS}: {len(rows)} candidate pairs ({sum(labels)} true)")
    print("dev no-link pairs P / R / F1 by (floor on the pair's own log-odds, threshold):")
    scores = {}
    scorers = [ContentScorer(infos, stage1) for infos, _ in pools]
    for m, t in grid:
        variant = PairingModel(tuple(w1), tuple(w2), t, floor, m)
        p_r_f = []
        for (infos, truth), sc in zip(pools, scorers):
            sc.model = sc.scorer.model = variant  # the cached log-odds stay; only the probability changes
            p_r_f.append(no_link_prf(truth, predicted_pairs(infos, t, variant, sc)))
        tp = sum(x[0] for x in p_r_f)
        npred = sum(x[1] for x in p_r_f)
        ngold = sum(x[2] for x in p_r_f)
        p, r = tp / npred if npred else 1.0, tp / ngold if ngold else 1.0
        scores[(m, t)] = (p, r)
        print(f"  ({m:.2f}, {t}): {p:.3f} / {r:.3f} / {2 * p * r / (p + r) if p + r else 0:.3f}", flush=True)
    # The best dev F1 among the settings whose dev precision on no-link pairs is 0.99 or more.
    ok = [g for g in grid if scores[g][0] >= 0.99] or [grid[-1]]
    m, t = max(ok, key=lambda g: (2 * scores[g][0] * scores[g][1] / (scores[g][0] + scores[g][1]), g[0], -g[1]))
    return PairingModel(tuple(w1), tuple(w2), t, floor, m, source=f"bench/eval_pairing.py --fit (NTREX-128 dev half and "
                        f"site stories, seeds {list(DEV_SEEDS)}, {'strict' if not EDITED else 'abridged English editions'})")


def no_link_prf(truth, pred) -> tuple[int, int, int]:
    """(true positives, predicted, gold) over no-link pairs (a predicted pair the truth links is not counted)."""
    none = {k for k, c in truth.items() if c == "none"}
    predicted = {k for k in pred if k not in truth or k in none}
    return len(predicted & none), len(predicted), len(none)


def spread(values: list[float]) -> str:
    return f"{sum(values) / len(values):.3f} ({min(values):.3f}-{max(values):.3f})"


def reliability(docs, ids, seeds, model: PairingModel) -> None:
    """Calibration on held-out sites: every candidate pair's probability by band, the share that is a true pair."""
    bands = [0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 0.97, 1.0001]
    n = [0] * (len(bands) - 1)
    right = [0] * (len(bands) - 1)
    for infos, truth in sites(docs, ids, seeds):
        scorer = ContentScorer(infos, model)
        logits, best = rivals(infos, scorer)
        for (ka, kb), z in logits.items():
            a = next(d for d in infos if d.key == ka)
            b = next(d for d in infos if d.key == kb)
            p, _ = scorer.provenance(a, b, rival(best, ka, base_lang(b.lang), kb), rival(best, kb, base_lang(a.lang), ka))
            i = next(i for i in range(len(n)) if bands[i] <= p < bands[i + 1])
            n[i] += 1
            right[i] += (min(ka, kb), max(ka, kb)) in truth
    print("\nreliability (held-out candidate pairs, all scenarios and seeds):")
    print("| probability | pairs | true pairs |")
    print("|---|---|---|")
    for i in range(len(n)):
        hi = min(bands[i + 1], 1.0)
        print(f"| {bands[i]:.2f}-{hi:.2f} | {n[i]} | {right[i] / n[i] if n[i] else 0:.3f} |")


def main() -> None:
    global EDITED, BASELINE
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--seeds", type=int, default=5, help="held-out draws of the site (seeds 1..N)")
    ap.add_argument("--strict", action="store_true", help="whole translations (no abridged English editions)")
    ap.add_argument("--fit", action="store_true", help=f"fit tasks/data/{MODEL_FILE} on the dev half and write it")
    args = ap.parse_args()
    EDITED = not args.strict
    docs = {**load_documents(args.data_dir), **template_documents()}
    dev = sorted(d for d in docs if is_dev(d))
    test = sorted(d for d in docs if not is_dev(d))
    model = None
    if args.fit:
        model = fit(docs, dev)
        target = Path(__file__).resolve().parents[1] / "tasks" / "data" / MODEL_FILE
        target.write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
        print(f"threshold {model.threshold}; written to {target}")
    from tasks.align.doc_evidence import shipped_model

    model = model or shipped_model()
    seeds = list(range(1, args.seeds + 1))
    print(f"held-out half: {len(corpus_ids(test, ''))} NTREX documents, {len(corpus_ids(test, 'site stories'))} site stories; seeds {seeds}; {'strict translations' if args.strict else 'abridged English editions'}; "
          f"threshold {model.threshold}\n")
    print("| edition set | scorer | pairs | P | R | F1 | no-link pairs | no-link P | no-link R |")
    print("|---|---|---|---|---|---|---|---|---|")
    totals: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    for name, langs, night, baseline in [(n, lg, ni, b) for n, lg, ni in SCENARIOS for b in (False, True)]:
        BASELINE = baseline
        ps, rs, fs, nps, nrs, npairs, pairs = [], [], [], [], [], [], []
        for seed in seeds:
            truth, pred = evaluate(docs, corpus_ids(test, name), langs, None, seed, night, model)
            p, r, f = prf(set(pred), set(truth))
            tp, npred, ngold = no_link_prf(truth, pred)
            ps.append(p), rs.append(r), fs.append(f)
            nps.append(tp / npred if npred else 1.0), nrs.append(tp / ngold if ngold else 1.0)
            pairs.append(len(truth)), npairs.append(ngold)
            for k, c in truth.items():
                totals[c] += 0 if baseline else 1
                hits[c] += 0 if baseline else k in pred
        print(f"| {name} | {'before (0.09)' if baseline else 'evidence'} | {sum(pairs) / len(pairs):.0f} | {spread(ps)} | {spread(rs)} | {spread(fs)} | {sum(npairs) / len(npairs):.0f} | "
              f"{spread(nps)} | {spread(nrs)} |", flush=True)
    print("\nrecall per gold evidence (all edition sets and seeds):")
    print("| gold evidence | pairs | recall |")
    print("|---|---|---|")
    for c in ("hreflang", "link", "none"):
        print(f"| {c} | {totals[c]} | {hits[c] / totals[c] if totals[c] else 1:.3f} |")
    BASELINE = False
    reliability(docs, test, seeds, model)


if __name__ == "__main__":
    main()
