"""Carrying human review across re-crawls: `carry_reviews(previous, segments, memory)`.

Called by the stream (tasks/stream/page.py) between translate and store: reviewed/final
translations of unchanged segments are kept (from the previous stored version, or the
translation memory), changed segments are flagged `needs-review` with the old reviewed
text as `reference`.
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass
from typing import Any

from tasks.models import Segment, Translation
from tasks.review.reviews import REVIEWED_STATES, ReviewMemory, memory_key
from tasks.store.document import StoredDocument, parse_time

_PAIR_WINDOW = 8  # old segments considered around a changed segment's place


@dataclass
class CarryStats:
    kept: int = 0  # reviewed/final translations carried to an unchanged segment
    from_memory: int = 0  # reviewed/final translations found in the translation memory
    needs_review: int = 0  # changed segments flagged, old reviewed text kept as reference


def _reference_of(seg: Segment) -> str | None:
    """The reviewed text a previous segment carries: its own, or the reference it was flagged with."""
    tr = seg.translation
    if tr is None:
        return None
    if tr.state in REVIEWED_STATES:
        return tr.text
    if tr.state == "needs-review":
        return tr.reference
    return None


def carry_reviews(
    previous: StoredDocument | None, segments: list[Segment], memory: ReviewMemory | None = None
) -> CarryStats:
    """Carry human review from the previous stored version onto freshly translated segments.

    Call between translate and store (the new segments are changed in place).
    For each new segment that has a translation (copies excluded):

    1. **In the memory** — a reviewed/final entry for this source text and language
       pair in the translation memory wins (the memory holds the newest review; its
       state is kept, `reviewed_at` is the entry's time, `from_memory` is set).
    2. **Unchanged** — otherwise, the previous version has a segment with the same
       source text (NFC-equal, anywhere in the document, so moved sentences count)
       whose translation is reviewed/final, or which was already flagged needs-review:
       that translation is kept as it was (text, state, reviewed_at, reference).
    3. **Changed** — otherwise, when the segment takes the place of a previous segment
       that carried a review (the two versions' segment sequences are aligned with
       difflib; a segment in a replaced block is paired with the most similar old
       segment of that block, or the one at the same offset in the block), the new MT
       stays as text, the state becomes `needs-review` and the old reviewed text is kept
       as `reference`.

    A segment the translate stage left untranslated (no model for its language) gets
    back a reviewer's translation of the same source text from the previous version.
    Segments new to the page and segments without a reviewed predecessor are untouched.
    """
    stats = CarryStats()
    prev_segments: list[Segment] = list(previous.segments) if previous is not None else []

    # previous reviewed (or flagged) translations by source text
    by_text: dict[str, Translation] = {}
    for seg in prev_segments:
        tr = seg.translation
        if tr is not None and (tr.state in REVIEWED_STATES or tr.state == "needs-review"):
            key = unicodedata.normalize("NFC", seg.text)
            have = by_text.get(key)
            # a reviewed one beats a flagged one for the same text
            if have is None or (have.state == "needs-review" and tr.state != "needs-review"):
                by_text[key] = tr

    handled: set[int] = set()
    for i, seg in enumerate(segments):
        tr = seg.translation
        if tr is None:
            # no model for this language, but a reviewer translated it before: keep that
            prev = by_text.get(unicodedata.normalize("NFC", seg.text))
            if prev is not None and prev.state in REVIEWED_STATES:
                seg.translation = prev.model_copy()
                stats.kept += 1
                handled.add(i)
            continue
        if tr.state == "copy":
            continue
        if memory is not None:
            entry = memory.get(*memory_key(seg.text, tr), tr.model)
            if entry is not None and entry.state in REVIEWED_STATES:
                # who and when: from the previous version when it holds this very review
                prev_tr = by_text.get(unicodedata.normalize("NFC", seg.text))
                same = prev_tr is not None and prev_tr.text == entry.text and prev_tr.state == entry.state
                update: dict[str, Any] = {
                    "reviewed_at": (prev_tr.reviewed_at if same and prev_tr else None) or tr.reviewed_at or parse_time(entry.updated),
                    "reviewed_by": getattr(entry, "reviewer", None) or (prev_tr.reviewed_by if same and prev_tr else tr.reviewed_by),
                }
                if not (tr.state == entry.state and tr.text == entry.text):
                    update.update({"text": entry.text, "state": entry.state, "from_memory": True, "reference": None})
                seg.translation = tr.model_copy(update=update)
                stats.from_memory += 1
                handled.add(i)
                continue
        old = by_text.get(unicodedata.normalize("NFC", seg.text))
        if old is not None:
            if old.src == tr.src and old.tgt == tr.tgt:
                seg.translation = tr.model_copy(
                    update={
                        "text": old.text,
                        "state": old.state,
                        "reviewed_at": old.reviewed_at,
                        "reviewed_by": old.reviewed_by,
                        "reference": old.reference,
                        "model": old.model or tr.model,
                    }
                )
                stats.kept += 1
                handled.add(i)
                continue
        if tr.state in REVIEWED_STATES:
            handled.add(i)  # reviewed already (the translate stage used the memory)

    if not prev_segments:
        return stats
    old_texts = [unicodedata.normalize("NFC", s.text) for s in prev_segments]
    new_texts = [unicodedata.normalize("NFC", s.text) for s in segments]
    matcher = difflib.SequenceMatcher(a=old_texts, b=new_texts, autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag != "replace":
            continue
        candidates = [k for k in range(a0, a1) if _reference_of(prev_segments[k])]
        for j in range(b0, b1):
            seg = segments[j]
            tr = seg.translation
            if j in handled or tr is None or tr.state == "copy" or not candidates:
                continue
            # only old segments near the proportional place: bounded work on rewritten pages
            centre = a0 + (j - b0) * (a1 - a0) / max(b1 - b0, 1)
            best, best_ratio = None, 0.0
            for k in candidates:
                if abs(k - centre) > _PAIR_WINDOW:
                    continue
                matcher_k = difflib.SequenceMatcher(a=old_texts[k], b=new_texts[j], autojunk=False)
                if matcher_k.real_quick_ratio() < 0.5 or matcher_k.quick_ratio() < 0.5:
                    continue
                ratio = matcher_k.ratio()
                if ratio > best_ratio:
                    best, best_ratio = k, ratio
            if best_ratio < 0.5:
                same_place = a0 + (j - b0)
                best = same_place if same_place in candidates else None
            if best is None:
                continue
            old_tr = prev_segments[best].translation
            if old_tr is None or old_tr.src != tr.src or old_tr.tgt != tr.tgt:
                continue
            seg.translation = tr.model_copy(
                update={"state": "needs-review", "reference": _reference_of(prev_segments[best]), "reviewed_at": None}
            )
            stats.needs_review += 1
    return stats
