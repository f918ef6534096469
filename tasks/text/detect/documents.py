"""Documents and lines: `detect_segments` (weak segments lean on their paragraph and page),
`page_language`, `detect_lines` (neutral lines lean on their neighbours)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Iterable

from tasks.text.detect.decide import detect_text
from tasks.text.detect.detection import UND, Detection

if TYPE_CHECKING:  # pragma: no cover
    from tasks.models import Segment

# --------------------------------------------------------------------------- documents


def _majority(dets: Iterable[tuple[Detection, int]]) -> str | None:
    """Language with the most characters among confident, known detections."""
    weight: Counter[str] = Counter()
    for det, size in dets:
        if det.lang != UND and not det.weak:
            weight[det.lang] += size
    return weight.most_common(1)[0][0] if weight else None


def _hint_lang(hint: str | None) -> str | None:
    """A source hint or a page's declared language (vi, vi-VN, zh, zh-TW, zh-Hant, ...) as our code."""
    if not hint or hint.strip().lower() in ("auto", "und", ""):
        return None
    parts = hint.strip().replace("_", "-").lower().split("-")
    if parts[0] != "zh":
        return parts[0]
    if any(p in ("hant", "tw", "hk", "mo") for p in parts[1:]):
        return "zh-Hant"
    return "zh-Hans"


_CONTEXT_LOG_ODDS = 4.0  # how far a paragraph/page language tilts a weak vi/en segment


def _leans_to(det: Detection, context: str) -> bool:
    """Whether a weak vi/en detection flips to the context's language under its prior."""
    import math

    if context not in ("vi", "en") or det.lang not in ("vi", "en") or context == det.lang:
        return False
    p = min(max(det.probs.get("vi", 0.5), 1e-12), 1 - 1e-12)
    # The paragraph/page replaces the prior a text alone gets (unmarked → English).
    vi_log_odds = math.log(p / (1 - p)) - det.prior
    return (vi_log_odds if context == "vi" else -vi_log_odds) + _CONTEXT_LOG_ODDS > 0


def page_language(segments: list[Segment]) -> str | None:
    """Majority language of a document's segments, weighted by characters."""
    weight: Counter[str] = Counter()
    for seg in segments:
        if seg.lang != UND:
            weight[seg.lang] += len(seg.text)
    return weight.most_common(1)[0][0] if weight else None


def detect_segments(segments: list[Segment], hint: str | None = None) -> list[Segment]:
    """Detect every segment of one document; `und` and weak ones lean on paragraph/page.

    `hint` is the source's declared language (vi | zh | en | auto), the last fallback.
    Returns new Segment objects with lang, lang_score and lang_evidence filled.
    """
    dets = [detect_text(seg.text) for seg in segments]
    sizes = [len(seg.text.strip()) for seg in segments]
    page = _majority(zip(dets, sizes)) or _hint_lang(hint)
    by_paragraph: dict[int, list[int]] = {}
    for i, seg in enumerate(segments):
        by_paragraph.setdefault(seg.paragraph, []).append(i)

    # Page-level Chinese variant, for Han segments that have no variant evidence.
    zh_weight: Counter[str] = Counter()
    for det, size in zip(dets, sizes):
        if det.lang.startswith("zh") and "zh-variant:neutral" not in det.evidence:
            zh_weight[det.lang] += size

    # The paragraph's majority is only consulted for und/weak segments, which never vote
    # in it themselves: one majority per paragraph equals the majority of the peers, and
    # keeps a paragraph of thousands of segments linear instead of quadratic.
    para_majority = {p: _majority((dets[j], sizes[j]) for j in idx) for p, idx in by_paragraph.items()}

    out: list[Segment] = []
    for seg, det in zip(segments, dets):
        paragraph = para_majority[seg.paragraph]
        lang, score, evidence = det.lang, det.score, list(det.evidence)
        if det.lang == UND:
            context, where = (paragraph, "paragraph") if paragraph else (page, "page")
            if context:
                lang, score = context, 0.5
                evidence.append(f"inherited:{where}={context}")
        elif det.weak:
            context, where = (paragraph, "paragraph") if paragraph else (page, "page")
            if context and _leans_to(det, context):
                lang = context
                evidence.append(f"lean:{where}={context}")
            elif "zh-variant:neutral" in det.evidence and zh_weight:
                lang = zh_weight.most_common(1)[0][0]
                evidence.append(f"zh-variant:page={lang}")
        out.append(seg.model_copy(update={"lang": lang, "lang_score": round(score, 4), "lang_evidence": evidence}))
    return out


def detect_lines(lines: list[str]) -> list[tuple[str, float]]:
    """(lang, score) per line, same count and order; empty or letterless lines → `und`.

    Each line is judged on its own, with one exception: a Chinese line whose characters
    exist in both scripts (他有很多英雄) takes the Simplified/Traditional script that the
    other Chinese lines of the input show, as a page would give it.
    """
    dets = [detect_text(line) if line.strip() else Detection(UND, 0.0, ["empty"]) for line in lines]
    decided = [i for i, d in enumerate(dets) if d.lang.startswith("zh") and "zh-variant:neutral" not in d.evidence]
    overall = Counter(dets[i].lang for i in decided).most_common(1)
    results = []
    for i, det in enumerate(dets):
        lang = det.lang
        if decided and "zh-variant:neutral" in det.evidence:
            lang = _window_variant(dets, decided, i) or overall[0][0]
        results.append((lang, det.score))
    return results


_VARIANT_WINDOW = 5  # lines on each side that may lend their script to a neutral line


def _window_variant(dets: list[Detection], decided: list[int], i: int) -> str | None:
    """The script of the decided Chinese lines within the window, when at least two agree
    and none disagrees (a document's run of lines); None in a mixed stretch."""
    import bisect

    lo = bisect.bisect_left(decided, i - _VARIANT_WINDOW)
    hi = bisect.bisect_right(decided, i + _VARIANT_WINDOW)
    scripts = {dets[j].lang for j in decided[lo:hi]}
    return scripts.pop() if hi - lo >= 2 and len(scripts) == 1 else None
