"""How good is the machine translation on our own outlets: chrF and BLEU against human versions.

A story with a human version in the pivot language (a Vietnamese article and its English
edition) is a free reference: its stored document holds sentence links (`story.links`,
src = this document's segment ids, tgt = the pivot version's segment ids). For every
EXPORTED link (`export` true; links without the field count as exported) whose source
segments all carry a machine translation (`translation.state == "mt"`, one model):

    hypothesis = the source segments' translations, joined
    reference  = the pivot version's segment texts (its newest stored version), joined

joined with a space, or with nothing when the language is written without spaces.
Scores are sacrebleu's corpus-level chrF (default: chrF2, char order 6) and BLEU (13a
tokens; `zh` tokens for a Chinese reference), 0-100, per model id, outlet and language
pair. Every figure carries the stored documents it came from (`documents`,
`pivot_documents`), so anyone can recompute it from the output directory
(`link_segments` is the whole rule). A figure from a TEST model says so (`test_model`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from tasks.langs import base_lang, written_without_spaces
from tasks.models import TEST_MODEL_VERSION
from tasks.store.document import StoredDocument

BOOTSTRAP_SAMPLES = 1000
BOOTSTRAP_SEED = 12345


@dataclass(frozen=True)
class LinkedSegment:
    """One exported link: the machine translation and the human version of the same text."""

    model: str
    outlet: str
    pair: str  # base languages, e.g. "vi-en", "zh-en" (zh-Hans and zh-Hant alike)
    source: str  # the original text (what a model translates)
    hypothesis: str  # the machine translation in the stored document
    reference: str  # the human version
    document: str  # stored document (relative path)
    pivot_document: str


def is_test_model(model: str) -> bool:
    """Test models (tasks/translate/testmodels.py) carry the test version in their id."""
    return model.endswith("@" + TEST_MODEL_VERSION)


def label(model: str) -> str:
    return f"{model} (TEST model: nonsense)" if is_test_model(model) else model


def _join(texts: list[str], lang: str | None) -> str:
    return ("" if written_without_spaces(lang) else " ").join(t.strip() for t in texts)


def _load(out: Path, rel: str | None) -> StoredDocument | None:
    from tasks.store.document import read_document

    if not rel:
        return None
    try:
        return read_document(out, rel)
    except (OSError, ValueError):
        return None


def link_segments(out: Path, rel: str, record: StoredDocument | None = None) -> list[LinkedSegment]:
    """The exported, machine-translated links of one stored document (see the module doc)."""
    from tasks.store.files import latest_document

    record = record if record is not None else _load(out, rel)
    story = record.story if record is not None else None
    if record is None or story is None or not story.pivot_source or not story.links:
        return []
    pivot_rel = latest_document(out, story.pivot_source)
    pivot = _load(out, pivot_rel)
    if pivot is None or pivot_rel is None:
        return []
    pivot_text = {s.id: s.text for s in pivot.segments}
    pivot_lang = story.pivot_lang or pivot.document.lang
    segments = {s.id: s for s in record.segments}
    outlet = record.discovery.outlet if record.discovery is not None else record.source_id
    found: list[LinkedSegment] = []
    for link in story.links:
        if not link.export or not link.src or not link.tgt:
            continue
        srcs = [segments.get(i) for i in link.src]
        refs = [pivot_text.get(i) for i in link.tgt]
        if any(s is None for s in srcs) or any(r is None for r in refs):
            continue
        trs = [s.translation for s in srcs if s is not None]
        if any(t is None or t.state != "mt" or not t.model or t.model == "copy" for t in trs):
            continue
        models = {t.model for t in trs if t is not None}
        if len(models) != 1:
            continue
        first = trs[0]
        assert first is not None
        src_lang = first.src or srcs[0].lang  # type: ignore[union-attr]
        found.append(LinkedSegment(
            model=models.pop(),
            outlet=outlet,
            pair=f"{base_lang(src_lang)}-{base_lang(first.tgt)}",  # zh-Hans / zh-Hant -> zh
            source=_join([s.text for s in srcs if s is not None], src_lang),
            hypothesis=_join([t.text for t in trs if t is not None], pivot_lang),
            reference=_join([r for r in refs if r is not None], pivot_lang),
            document=rel,
            pivot_document=pivot_rel,
        ))
    return found


# --------------------------------------------------------------------------- scores


def _metrics(target_lang: str | None):
    from sacrebleu.metrics import BLEU, CHRF

    return CHRF(), BLEU(tokenize="zh" if written_without_spaces(target_lang) else "13a")


def corpus_scores(hypotheses: list[str], references: list[str], target_lang: str | None = None) -> dict[str, Any]:
    """sacrebleu corpus chrF and BLEU (0-100) and their signatures."""
    chrf, bleu = _metrics(target_lang)
    return {
        "chrf": round(chrf.corpus_score(hypotheses, [references]).score, 4),
        "bleu": round(bleu.corpus_score(hypotheses, [references]).score, 4),
        "chrf_signature": str(chrf.get_signature()),
        "bleu_signature": str(bleu.get_signature()),
    }


def quality_figures(linked: Iterable[LinkedSegment]) -> list[dict[str, Any]]:
    """One figure per (model, outlet, pair): `{model, outlet, pair, chrf, bleu, segments, ...}`."""
    groups: dict[tuple[str, str, str], list[LinkedSegment]] = {}
    for seg in linked:
        groups.setdefault((seg.model, seg.outlet, seg.pair), []).append(seg)
    figures = []
    for (model, outlet, pair), segs in sorted(groups.items()):
        target = pair.rsplit("-", 1)[-1]
        scores = corpus_scores([s.hypothesis for s in segs], [s.reference for s in segs], target)
        figures.append({
            "model": model,
            "outlet": outlet,
            "pair": pair,
            "chrf": scores["chrf"],
            "bleu": scores["bleu"],
            "segments": len(segs),
            "test_model": is_test_model(model),
            "chrf_signature": scores["chrf_signature"],
            "bleu_signature": scores["bleu_signature"],
            "documents": sorted({s.document for s in segs}),
            "pivot_documents": sorted({s.pivot_document for s in segs}),
        })
    return figures


def night_mt_quality(out: Path, outcomes: Iterable[Any], stories: Iterable[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """The night's figures: documents stored new or changed tonight, and those pairing gave a
    story block tonight (their newest stored version). Never raises: a figure is a report."""
    from tasks.store.files import latest_document

    rels: set[str] = set()
    for o in outcomes:
        if getattr(o, "status", None) in ("new", "changed") and getattr(o, "id", None):
            rel = latest_document(out, o.id) or getattr(o, "document", None)
            if rel:
                rels.add(rel)
    for story in stories:
        for version in story.get("versions", []):
            rel = latest_document(out, str(version.get("source_id", "")))
            if rel:
                rels.add(rel)
    linked: list[LinkedSegment] = []
    for rel in sorted(rels):
        try:
            linked += link_segments(out, rel)
        except (KeyError, TypeError, ValueError, AttributeError):
            continue  # a malformed record is the store's problem, not a reason to lose the night
    return quality_figures(linked)


def quality_rows(mt_quality: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """For the outlet health table: per outlet, its figures (model labelled when a TEST model)."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for f in mt_quality:
        rows.setdefault(f["outlet"], []).append({
            "model": label(f["model"]), "pair": f["pair"], "chrf": f["chrf"], "bleu": f["bleu"], "segments": f["segments"],
        })
    return rows


def quality_markdown(mt_quality: list[dict[str, Any]]) -> list[str]:
    """Lines for the run summary artifact."""
    if not mt_quality:
        return []
    lines = ["", "## Machine translation vs human versions (exported links; sacrebleu 0-100)", "",
             "| outlet | pair | model | chrF | BLEU | segments |", "|---|---|---|---|---|---|"]
    for f in mt_quality:
        lines.append(f"| {f['outlet']} | {f['pair']} | {label(f['model'])} | {f['chrf']:.2f} | {f['bleu']:.2f} | {f['segments']} |")
    return lines


def archive_links(out: Path, *, outlet: str | None = None, since: str | None = None) -> list[LinkedSegment]:
    """Every stored document's exported links (newest versions), optionally one outlet's,
    stored on or after `since` (YYYY-MM-DD)."""
    from tasks.store.files import latest_document

    linked: list[LinkedSegment] = []
    docs = out / "docs"
    if not docs.is_dir():
        return []
    for folder in sorted(p for p in docs.iterdir() if p.is_dir()):
        rel = latest_document(out, folder.name)
        record = _load(out, rel)
        if record is None or rel is None:
            continue
        if since and (record.fetch.fetched_at or "")[:10] < since:
            continue
        segs = link_segments(out, rel, record)
        linked += [s for s in segs if outlet is None or s.outlet == outlet]
    return linked



# --------------------------------------------------------------------------- compare


def resolve_models(spec: str, packages: Path) -> list[Any]:
    """Packages a MODEL argument names: an installed model id, a package folder, or a packages dir."""
    from tasks.translate.packages import ModelInstallError, list_packages

    path = Path(spec).expanduser()
    if path.is_dir() and (path / "metadata.json").is_file():
        found = [i for i in list_packages(path.parent) if i.path.resolve() == path.resolve()]
    elif path.is_dir():
        found = list_packages(path)
    else:
        found = [i for i in list_packages(packages) if spec in (i.model_id, i.name)]
    if not found:
        raise ModelInstallError(
            f"{spec}: no such model (an installed model id from `newsbridge models list`, a package folder, "
            "or a packages directory such as one filled by NEWSBRIDGE_MODELS_DIR=DIR newsbridge models install ...)"
        )
    return found


def compare_models(linked: list[LinkedSegment], models: list[tuple[str, list[Any]]], memory: Any = None,
                   samples: int = BOOTSTRAP_SAMPLES) -> list[dict[str, Any]]:
    """Translate the linked human pairs with each model (memory first) and score them:
    per pair, each model's corpus chrF/BLEU with a 95 % bootstrap interval, and the
    difference (second − first) with a paired bootstrap interval on the same resamples."""
    import numpy as np

    from tasks.translate.engine import ARGOS_CODE, translate_with_package

    by_pair: dict[tuple[str, str], list[LinkedSegment]] = {}
    for seg in linked:
        src, tgt = seg.pair.rsplit("-", 1)
        by_pair.setdefault((ARGOS_CODE.get(src, src), tgt), []).append(seg)
    results = []
    for (src, tgt), segs in sorted(by_pair.items()):
        row: dict[str, Any] = {"pair": f"{src}-{tgt}", "segments": len(segs), "models": []}
        refs = [s.reference for s in segs]
        rng = np.random.default_rng(BOOTSTRAP_SEED)
        picks = rng.integers(0, len(segs), size=(samples, len(segs)))
        per_model_samples = []
        for spec, infos in models:
            info = next((i for i in infos if (i.src, i.tgt) == (src, tgt)), None)
            if info is None:
                row["models"].append({"spec": spec, "missing": f"no {src}→{tgt} package"})
                continue
            hyps = translate_with_package([s.source for s in segs], info, memory=memory)
            scores = corpus_scores(hyps, refs, tgt)
            boot = {}
            drawn = {}
            for name, metric in zip(("chrf", "bleu"), _metrics(tgt)):
                stats = np.array(metric._extract_corpus_statistics(hyps, [refs]), dtype=float)
                drawn[name] = np.array([metric._compute_score_from_stats(list(stats[p].sum(0))).score for p in picks])
                boot[name] = (round(float(np.percentile(drawn[name], 2.5)), 2), round(float(np.percentile(drawn[name], 97.5)), 2))
            per_model_samples.append(drawn)
            row["models"].append({
                "spec": spec, "model": info.model_id, "test_model": info.is_test or is_test_model(info.model_id),
                "chrf": scores["chrf"], "bleu": scores["bleu"], "chrf_ci": boot["chrf"], "bleu_ci": boot["bleu"],
            })
        if len(per_model_samples) == 2:
            a, b = per_model_samples
            row["difference"] = {
                name: (round(float(np.percentile(b[name] - a[name], 2.5)), 2), round(float(np.percentile(b[name] - a[name], 97.5)), 2))
                for name in ("chrf", "bleu")
            }
        results.append(row)
    return results
