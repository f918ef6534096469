"""Align stage: source segment <-> its translation (mt-1:1) and a story's human versions.

Contract:
- `align_translations(segments: list[Segment]) -> list[AlignedPair]` method "mt-1:1".
- `align_sentences(src: list[str], tgt: list[str], src_lang: str, tgt_lang: str,
  mt: list[str] | None = None) -> list[Link]` with Link(src: list[int], tgt: list[int],
  score, export, features), 1:1, 1:2, 2:1 links and the 1:0, 0:1 leftovers, in order.
- `align_story(pivot_doc_segments, other_doc_segments, src_lang, tgt_lang,
  extra_lexicon=None, reviewed=None) -> list[AlignedPair]`: src = the non-pivot version's
  segment ids, tgt = the pivot version's segment ids; method, score, export and features
  recorded on every pair.

How it works (`tasks/align/aligner.py`): evidence (dictionaries, numbers, dates, names,
lengths, MT similarity when a real model made the MT, the memory's reviewed pairs) gives
each candidate bead a log-odds of being right; the search keeps the beads that pay, leaves
the rest unlinked, then links a moved paragraph in a second pass where the evidence is
strong; a calibrated model gives each link the probability that it is right, and links
from the export threshold on are exported (only those reach the memory, TMX and XLIFF).

Bad input gives no link and a recorded reason (`SentenceAlignment.notes`): an empty
version, two versions in one language, a version that is a list of links.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Mapping

from tasks.align.aligner import (
    REFIT_MAX,
    Bead,
    Evidence,
    band_width,
    char_unit,
    leftovers,
    link_features,
    monotonic,
    mt_grams,
    prepare,
    refit_ratio,
)
from tasks.align.calibration import align_model
from tasks.align.evidence import (
    LENGTH_PRIORS,
    LengthModel,
    count_sentences,
    extract_anchors,
    is_link_line,
    length_model,
    sentence_length,
)
from tasks.align.lexicon import (
    ExtraLexicon,
    Glosser,
    chinese_english_lexicon,
    chinese_glosses,
    english_stems,
    lexical_similarity,
    vietnamese_glosses,
)
from tasks.langs import base_lang
from tasks.models import TEST_MODEL_VERSION, AlignedPair, Segment

# Re-exported: story pairing and the tests import these cues from here.
__all__ = [
    "LENGTH_PRIORS",
    "ExtraLexicon",
    "LengthModel",
    "chinese_english_lexicon",
    "chinese_glosses",
    "count_sentences",
    "english_stems",
    "extract_anchors",
    "length_model",
    "lexical_similarity",
    "sentence_length",
    "vietnamese_glosses",
]

METHOD_MT = "mt-1:1"
METHOD_LENGTH = "length+anchors"  # no dictionary for the pair
METHOD_LEXICON = "length+anchors+lexicon"
METHOD_BRIDGE = "mt-bridge"  # MT similarity on (a real model's MT of the source)
LINK_LINES_SHARE = 0.5  # a version with more link lines than this is a list of links


@dataclass
class Link:
    """One alignment link between line indices; empty `src` or `tgt` = 0:1 or 1:0."""

    src: list[int]
    tgt: list[int]
    score: float  # probability that the link is right (0 for 1:0 and 0:1)
    export: bool = False
    features: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "src": list(self.src),
            "tgt": list(self.tgt),
            "score": round(self.score, 4),
            "export": self.export,
            "features": {k: round(v, 4) for k, v in sorted(self.features.items())},
        }


@dataclass
class SentenceAlignment:
    links: list[Link]
    method: str
    ratio: float  # the expansion factor used in the final pass
    passes: int = 1
    notes: list[str] = field(default_factory=list)  # reasons: bad input, capped search, MT state
    mt: str = "off: no MT given"  # "on", or "off: <why>"


def _unlinked(n: int, m: int) -> list[Link]:
    return [Link([i], [], 0.0) for i in range(n)] + [Link([], [j], 0.0) for j in range(m)]


def _refusal(src: list[str], tgt: list[str], src_lang: str, tgt_lang: str) -> str | None:
    """Why two versions cannot be aligned at all (None: they can)."""
    n, m = len(src), len(tgt)
    if n == 0 or not any(t.strip() for t in src):
        return "empty version: the source has no sentences; nothing linked"
    if m == 0 or not any(t.strip() for t in tgt):
        return "empty version: the target has no sentences; nothing linked"
    s, t = base_lang(src_lang), base_lang(tgt_lang)
    if s == t:
        return f"both versions are in {s}: versions in one language are not translations of each other; nothing linked"
    for name, lines in (("source", src), ("target", tgt)):
        k = sum(1 for x in lines if is_link_line(x))
        if k > LINK_LINES_SHARE * len(lines):
            return f"the {name} is a list of links ({k} of {len(lines)} lines); nothing linked"
    return None


def align_sentences_detailed(
    src: list[str],
    tgt: list[str],
    src_lang: str,
    tgt_lang: str,
    mt: list[str] | None = None,
    *,
    model: LengthModel | None = None,
    use_lexicon: bool = True,
    extra_lexicon: ExtraLexicon | None = None,
    reviewed: Mapping[str, str] | None = None,
    mt_off_reason: str | None = None,
    shipped_lexicon: bool = True,
) -> SentenceAlignment:
    """Align two versions' sentences; returns the links, the method used and the reasons.

    `mt`: the source sentences machine-translated into the target language (one per
    line), used as one more feature unless `mt_off_reason` says why not (test models).
    `extra_lexicon`: a learned lexicon joining the shipped dictionary. `reviewed`: the
    memory's reviewed pairs (source sentence -> reviewed target sentence).
    `shipped_lexicon=False` leaves out the starting lexicon shipped in tasks/data/ (the
    benchmark's fit, which must not see a lexicon learned from the documents it tunes on).
    """
    if mt is not None and len(mt) != len(src):
        raise ValueError(f"mt has {len(mt)} lines but src has {len(src)}; one MT line per source sentence")
    n, m = len(src), len(tgt)
    mt_state = "off: no MT given" if mt is None else ("on" if mt_off_reason is None else f"off: {mt_off_reason}")
    refusal = _refusal(src, tgt, src_lang, tgt_lang)
    if refusal is not None:
        return SentenceAlignment(_unlinked(n, m), METHOD_LENGTH, 0.0, passes=0, notes=[refusal], mt=mt_state)
    notes: list[str] = []
    s_lang, t_lang = base_lang(src_lang), base_lang(tgt_lang)
    foreign = t_lang if s_lang == "en" else s_lang
    glosser = Glosser(foreign, extra_lexicon, shipped_lexicon) if use_lexicon and "en" in (s_lang, t_lang) else None
    s_use = [bool(t.strip()) and not is_link_line(t) for t in src]
    t_use = [bool(t.strip()) and not is_link_line(t) for t in tgt]
    dropped = (n - sum(s_use)) + (m - sum(t_use))
    if dropped:
        notes.append(f"{dropped} blank or link-only lines left unlinked")
    s_side = prepare(src, src_lang, glosser, s_lang == "en", s_use)
    t_side = prepare(tgt, tgt_lang, glosser, t_lang == "en", t_use)
    lexical = glosser is not None and glosser.available
    method = METHOD_LEXICON if lexical else METHOD_LENGTH
    mt_side = None
    if mt is not None and mt_off_reason is None:
        mt_side = mt_grams(mt)
        t_side.grams = mt_grams(tgt)
        method = METHOD_BRIDGE
    prior = model or length_model(src_lang, tgt_lang)
    calib = align_model(src_lang, tgt_lang)
    unit = char_unit(tgt_lang)
    if band_width(n, m) < max(15, abs(n - m) + 10, int(0.2 * max(n, m))):
        notes.append(f"long documents: the search band is capped at ±{band_width(n, m)} sentences around the diagonal")
    if max(n, m) > 20 * min(n, m):
        notes.append(f"one version has {max(n, m) // max(1, min(n, m))}x the sentences of the other: most of it stays unlinked")
    ev = Evidence(s_side, t_side, prior, calib, unit, mt_side, reviewed)
    beads = monotonic(ev, list(range(n)), list(range(m)), offset=calib.first_pass_offset)
    ratio = refit_ratio(prior, s_side, t_side, beads)
    passes = 1
    if abs(ratio.ratio - prior.ratio) > 0.03 * prior.ratio and n + m <= REFIT_MAX:
        ev = Evidence(s_side, t_side, ratio, calib, unit, mt_side, reviewed)
        beads = monotonic(ev, list(range(n)), list(range(m)), offset=calib.first_pass_offset)
        passes = 2
    beads = beads + leftovers(ev, beads, n, m)
    return SentenceAlignment(_to_links(ev, beads, n, m, calib.export_threshold), method, ratio.ratio, passes + 1, notes, mt_state)


def _to_links(ev: Evidence, beads: list[Bead], n: int, m: int, threshold: float) -> list[Link]:
    """Kept beads as scored links, plus the unlinked sentences, ordered by source position."""
    context = link_features(ev, beads)
    links: list[Link] = []
    for bead, ctx in zip(beads, context, strict=True):
        p = ev.model.link.probability(ctx)
        features = {**bead.features, **ctx}
        links.append(Link(list(range(bead.i0, bead.i1)), list(range(bead.j0, bead.j1)), p, p >= threshold, features))
    used_s = {i for b in beads for i in range(b.i0, b.i1)}
    used_t = {j for b in beads for j in range(b.j0, b.j1)}
    links += [Link([i], [], 0.0) for i in range(n) if i not in used_s]
    links += [Link([], [j], 0.0) for j in range(m) if j not in used_t]

    # An unlinked target line sits after the source line linked just before it.
    ends = sorted((lk.tgt[-1], lk.src[-1]) for lk in links if lk.src and lk.tgt)
    tgt_ends = [t for t, _ in ends]
    best_src: list[int] = []
    for _, s_end in ends:
        best_src.append(max(s_end, best_src[-1]) if best_src else s_end)

    def key(link: Link) -> tuple[float, float]:
        if link.src:
            return (link.src[0], link.tgt[0] if link.tgt else -1)
        k = bisect_left(tgt_ends, link.tgt[0])
        return (best_src[k - 1] + 0.5 if k else -0.5, link.tgt[0])

    links.sort(key=key)
    return links


def align_sentences(
    src: list[str],
    tgt: list[str],
    src_lang: str,
    tgt_lang: str,
    mt: list[str] | None = None,
) -> list[Link]:
    """Sentence alignment of two versions: 1:1, 1:2, 2:1 links and the unlinked, in order."""
    return align_sentences_detailed(src, tgt, src_lang, tgt_lang, mt).links


# --------------------------------------------------------------------------- segments


def translation_ref(segment: Segment) -> str:
    """Reference to a segment's translation on the target side of an mt-1:1 pair."""
    lang = segment.translation.tgt if segment.translation else "und"
    return f"{segment.id}#mt:{lang}"


def align_translations(segments: list[Segment]) -> list[AlignedPair]:
    """Each segment <-> its own translation (1:1, score 1.0); untranslated segments get a
    1:0 pair with score 0.0 so nothing disappears silently."""
    pairs = []
    for seg in segments:
        if seg.translation is not None and seg.translation.text.strip():
            pairs.append(AlignedPair(src=[seg.id], tgt=[translation_ref(seg)], score=1.0, method=METHOD_MT))
        else:
            pairs.append(AlignedPair(src=[seg.id], tgt=[], score=0.0, method=METHOD_MT, export=False))
    return pairs


def is_test_model(model_id: str | None) -> bool:
    """A model id of a tiny test package (its output is nonsense): ends with the test version."""
    return bool(model_id) and str(model_id).endswith(TEST_MODEL_VERSION)


def align_story(
    pivot_doc_segments: list[Segment],
    other_doc_segments: list[Segment],
    src_lang: str,
    tgt_lang: str,
    extra_lexicon: ExtraLexicon | None = None,
    reviewed: Mapping[str, str] | None = None,
) -> list[AlignedPair]:
    """Align a non-pivot version (src) to the pivot version (tgt) of one story.

    The MT already on the non-pivot segments (into `tgt_lang`) joins the evidence when at
    least half of them have it and no test model made it; otherwise dictionaries, anchors
    and lengths decide. The MT state is recorded in every pair's features (`mt_on`).
    """
    src = [s.text for s in other_doc_segments]
    tgt = [s.text for s in pivot_doc_segments]
    mt: list[str] | None = [
        s.translation.text if s.translation is not None and base_lang(s.translation.tgt) == base_lang(tgt_lang) else ""
        for s in other_doc_segments
    ]
    fresh = [s.translation.model for s in other_doc_segments if s.translation is not None and s.translation.model != "copy"]
    off: str | None = None
    if not mt or sum(1 for t in mt if t.strip()) < len(mt) / 2 or not fresh:
        mt = None  # too little MT to bridge with
    elif any(is_test_model(model_id) for model_id in fresh):
        off = "test model (its output is nonsense)"
    result = align_sentences_detailed(src, tgt, src_lang, tgt_lang, mt, extra_lexicon=extra_lexicon, reviewed=reviewed, mt_off_reason=off)
    mt_on = 1.0 if result.mt == "on" else 0.0
    return [
        AlignedPair(
            src=[other_doc_segments[i].id for i in link.src],
            tgt=[pivot_doc_segments[j].id for j in link.tgt],
            score=round(link.score, 4),
            method=result.method,
            export=link.export,
            features={**{k: round(v, 4) for k, v in link.features.items()}, "mt_on": mt_on},
        )
        for link in result.links
    ]
