"""Detect stage: language of every segment (langdetect, seeded, + script evidence).

Contract: `detect_text(text: str) -> Detection(lang, score, evidence: list[str])`;
`detect_segments(segments: list[Segment], hint: str | None = None) -> list[Segment]`
(fills lang / lang_score / lang_evidence; `und` inherits from paragraph/page; short
weak segments lean on neighbours); `detect_lines(lines: list[str]) -> list[tuple[str, float]]`;
`DETECTOR_SIGNATURE: str`. Langs: vi, zh-Hans, zh-Hant, en, ja, ko, th, ru, ar, ..., und.
Must not import prefect or argostranslate (the CLI `detect` starts fast).

How a segment is decided (each step is recorded in `evidence`):
1. URLs, e-mail addresses, digits and punctuation carry no language: a segment with
   nothing else is `und` (in a document it then inherits its paragraph's or page's
   language).
2. Letters are counted per script, weighted to roughly "words" so a Chinese name in a
   Vietnamese sentence (or an English brand in a Chinese one) does not outvote the
   sentence. The dominant script decides the family:
   Han → Chinese, Simplified vs Traditional from OpenCC's character tables
   (`zh-Hans` / `zh-Hant`); Han with enough kana → `ja`; hangul → `ko`; Thai, Cyrillic,
   Arabic, Greek, ... → their own code (langdetect restricted to that script's
   languages where a script serves several), never vi/zh/en.
3. Latin script: Vietnamese letters and tone marks on lowercase words (names are
   discounted: English news is full of "Nguyễn Xuân Phúc") → `vi`; words that cannot be
   Vietnamese syllables with no Vietnamese marks → `en`; otherwise langdetect, seeded,
   with profiles restricted to vi/en (letters foreign to both send long text to the full
   langdetect, so French or German is not forced into en).
4. Evidence too thin (a word or two, no marks) is flagged `weak`; `detect_segments`
   lets such segments lean on their paragraph/page.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:  # pragma: no cover
    from tasks.models import Segment

DETECT_VERSION = "0.1"
LANGDETECT_SEED = 0

# Languages the pipeline routes; everything else is recorded under its own code.
TARGET_LANGS = ("vi", "zh-Hans", "zh-Hant", "en")
UND = "und"


def _dist_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:  # pragma: no cover - declared dependency
        return "missing"


DETECTOR_SIGNATURE = (
    f"newsbridge-detect/{DETECT_VERSION}"
    f"+langdetect/{_dist_version('langdetect')}(seed={LANGDETECT_SEED})"
    f"+opencc-tables/{_dist_version('opencc-python-reimplemented')}"
)


@dataclass(slots=True)
class Detection:
    """Language of one text: code, confidence in [0, 1], and the evidence used.

    `weak` marks a decision made on too little evidence (context may override it);
    `probs` holds the candidate probabilities when a statistical step ran.
    """

    lang: str
    score: float
    evidence: list[str] = field(default_factory=list)
    weak: bool = False
    probs: dict[str, float] = field(default_factory=dict)


# --------------------------------------------------------------------------- scripts

_URL_RE = re.compile(r"(?:https?://|ftp://|www\.)\S+|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b", re.IGNORECASE)
_DOMAIN_RE = re.compile(r"\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|vn|cn|tw|hk|gov|edu|info|io)(?:/\S*)?\b", re.IGNORECASE)

# Script of a code point → (group, weight). Weight turns character counts into rough
# word counts so scripts can be compared: a Latin word is ~5 letters, a Chinese word
# ~1.7 characters, a Korean word ~3 syllables.
_LATIN = "latin"
_RANGES: list[tuple[int, int, str]] = [
    (0x0370, 0x03FF, "greek"),
    (0x1F00, 0x1FFF, "greek"),
    (0x0400, 0x052F, "cyrillic"),
    (0x0530, 0x058F, "armenian"),
    (0x0590, 0x05FF, "hebrew"),
    (0x0600, 0x06FF, "arabic"),
    (0x0750, 0x077F, "arabic"),
    (0x08A0, 0x08FF, "arabic"),
    (0xFB50, 0xFDFF, "arabic"),
    (0xFE70, 0xFEFF, "arabic"),
    (0x0900, 0x097F, "devanagari"),
    (0x0980, 0x09FF, "bengali"),
    (0x0A00, 0x0A7F, "gurmukhi"),
    (0x0A80, 0x0AFF, "gujarati"),
    (0x0B80, 0x0BFF, "tamil"),
    (0x0C00, 0x0C7F, "telugu"),
    (0x0C80, 0x0CFF, "kannada"),
    (0x0D00, 0x0D7F, "malayalam"),
    (0x0D80, 0x0DFF, "sinhala"),
    (0x0E00, 0x0E7F, "thai"),
    (0x0E80, 0x0EFF, "lao"),
    (0x0F00, 0x0FFF, "tibetan"),
    (0x1000, 0x109F, "myanmar"),
    (0x10A0, 0x10FF, "georgian"),
    (0x1100, 0x11FF, "hangul"),
    (0x1780, 0x17FF, "khmer"),
    (0x1800, 0x18AF, "mongolian"),
    (0x3040, 0x309F, "kana"),
    (0x30A0, 0x30FF, "kana"),
    (0x31F0, 0x31FF, "kana"),
    (0x3130, 0x318F, "hangul"),
    (0x3400, 0x4DBF, "han"),
    (0x4E00, 0x9FFF, "han"),
    (0xA960, 0xA97F, "hangul"),
    (0xAC00, 0xD7AF, "hangul"),
    (0xF900, 0xFAFF, "han"),
    (0xFF66, 0xFF9D, "kana"),
    (0x20000, 0x323AF, "han"),
]
_RANGE_STARTS = [r[0] for r in _RANGES]

_WEIGHT = {"han": 1 / 1.7, "kana": 1 / 2.0, "hangul": 1 / 3.0, "thai": 1 / 5.0, "lao": 1 / 5.0,
           "khmer": 1 / 5.0, "myanmar": 1 / 5.0, "tibetan": 1 / 4.0}
_DEFAULT_WEIGHT = 1 / 5.0  # alphabetic scripts: ~5 letters per word

# Scripts used by one language we can name; the others go through langdetect
# restricted to the languages of that script.
_SCRIPT_LANG = {
    "greek": "el", "armenian": "hy", "hebrew": "he", "bengali": "bn", "gurmukhi": "pa",
    "gujarati": "gu", "tamil": "ta", "telugu": "te", "kannada": "kn", "malayalam": "ml",
    "sinhala": "si", "thai": "th", "lao": "lo", "tibetan": "bo", "myanmar": "my",
    "georgian": "ka", "hangul": "ko", "khmer": "km", "mongolian": "mn", "kana": "ja",
}
_SCRIPT_PROFILES = {
    "cyrillic": ("ru", "uk", "bg", "mk"),
    "arabic": ("ar", "fa", "ur"),
    "devanagari": ("hi", "mr", "ne"),
}
# Letters only one language of a shared script uses.
_SCRIPT_MARKERS = {"cyrillic": (("ыэъё", "ru"), ("іїєґ", "uk"))}
_SCRIPT_DEFAULT = {"cyrillic": "ru", "arabic": "ar", "devanagari": "hi"}


def _script_of(ch: str) -> str | None:
    """Script group of a letter, or None for non-letters (digits, punctuation, marks)."""
    cp = ord(ch)
    if cp < 0x80:
        return _LATIN if ch.isalpha() else None
    if cp < 0x250 or 0x1E00 <= cp <= 0x1EFF or 0xFF21 <= cp <= 0xFF5A:
        return _LATIN if ch.isalpha() else None
    from bisect import bisect_right

    i = bisect_right(_RANGE_STARTS, cp) - 1
    if i >= 0 and cp <= _RANGES[i][1]:
        group = _RANGES[i][2]
        # Thai/Indic vowel signs are marks, not letters, but still belong to the word.
        if ch.isalpha() or unicodedata.category(ch).startswith("M"):
            return group
        return None
    if ch.isalpha():
        return "other"
    return None


# --------------------------------------------------------------------------- Vietnamese

_VI_BASES = "aăâeêioôơuưy"
_VI_TONES = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")


def _vi_letter_sets() -> tuple[frozenset[str], frozenset[str]]:
    letters = {"đ"}
    for base in _VI_BASES:
        for tone in _VI_TONES:
            letters.add(unicodedata.normalize("NFC", base + tone))
    marked = {c for c in letters if ord(c) > 0x7F}
    strong = frozenset(c for c in marked if ord(c) > 0xFF)  # outside Latin-1: Vietnamese only
    return frozenset(marked), strong


VI_MARKED, VI_STRONG = _vi_letter_sets()
_VI_TONE_MARKS = {0x0300, 0x0301, 0x0303, 0x0309, 0x0323}

# A Vietnamese syllable, tone marks removed: onset, 1-3 vowels, optional coda.
_VI_SYLLABLE_RE = re.compile(
    r"^(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|b|c|d|đ|g|h|k|l|m|n|p|r|s|t|v|x)?"
    r"[aăâeêioôơuưy]{1,3}(?:ch|ng|nh|c|m|n|p|t)?$"
)

# Frequent English function words. Those that are not Vietnamese syllables already
# count as English; the ones below are also valid (unmarked) Vietnamese syllables, so
# they only count a little: text without tone marks is rare, not impossible, in Vietnamese.
_EN_FUNCTION = frozenset(
    """the of and to in a is was for that with on are as at be by this have from not it
    were which has had been their its will would there what when who they we you your
    our he she his her him them an or if than then also into about after over more
    most other some such these those only can could should may might must said says
    new""".split()
)
_EN_FUNCTION_SYLLABLE = frozenset(w for w in _EN_FUNCTION if _VI_SYLLABLE_RE.match(w))

# Per-word evidence, as log-odds for vi (positive) against en (negative).
_LLR_VI_STRONG = 4.0  # ă ơ ư đ ạ ế ... on a Vietnamese syllable
_LLR_VI_MARK = 2.0  # à á è é ... (shared with French/Spanish) on a Vietnamese syllable
_LLR_NOT_SYLLABLE = -2.0  # cannot be a Vietnamese syllable
_LLR_EN_FUNCTION = -1.0  # "the", "to", "can"... valid syllables, but English function words
_NAME_WEIGHT = 0.25  # capitalised words are mostly names: they vote, softly
_DECIDED = 3.0  # |log-odds| from letters alone that needs no statistics
_LANGDETECT_WEIGHT = 0.6  # langdetect's log-odds (clamped) join at this weight
_LANGDETECT_CLAMP = 5.0


def _strip_tones(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if ord(c) not in _VI_TONE_MARKS))


@lru_cache(maxsize=65536)
def _is_vi_syllable(word: str) -> bool:
    return bool(_VI_SYLLABLE_RE.match(_strip_tones(word)))


# --------------------------------------------------------------------------- Chinese variants


@lru_cache(maxsize=1)
def _variant_tables() -> tuple[frozenset[str], frozenset[str]]:
    """(Simplified-only, Traditional-only) characters from OpenCC's conversion tables.

    A character is Simplified-only when converting it to Traditional always changes it
    (and vice versa); characters valid in both scripts (e.g. 后, 干) are neutral.
    """
    import opencc

    dictionary = Path(opencc.__file__).parent / "dictionary"

    def one_way(name: str) -> tuple[set[str], set[str]]:
        changed, kept = set(), set()
        for line in (dictionary / name).read_text(encoding="utf-8").splitlines():
            key, _, values = line.partition("\t")
            if not key or len(key) != 1:
                continue
            targets = values.split()
            (kept if key in targets else changed).add(key)
        return changed, kept

    simp_changed, simp_kept = one_way("STCharacters.txt")
    trad_changed, trad_kept = one_way("TSCharacters.txt")
    simp_only = simp_changed - trad_changed - trad_kept
    trad_only = trad_changed - simp_changed - simp_kept
    return frozenset(simp_only), frozenset(trad_only)


def _zh_variant(han_chars: str) -> tuple[str | None, int, int]:
    simp_only, trad_only = _variant_tables()
    s = sum(1 for c in han_chars if c in simp_only)
    t = sum(1 for c in han_chars if c in trad_only)
    if s > t:
        return "zh-Hans", s, t
    if t > s:
        return "zh-Hant", s, t
    return None, s, t


# --------------------------------------------------------------------------- langdetect

_FACTORY_LOCK = threading.Lock()


@lru_cache(maxsize=None)
def _factory(langs: tuple[str, ...] | None):
    """A seeded langdetect factory with only `langs`' profiles (None = all), loaded once."""
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

    with _FACTORY_LOCK:
        factory = DetectorFactory()
        if langs is None:
            factory.load_profile(PROFILES_DIRECTORY)
        else:
            profiles = [(Path(PROFILES_DIRECTORY) / lang).read_text(encoding="utf-8") for lang in langs]
            factory.load_json_profile(profiles)
        factory.set_seed(LANGDETECT_SEED)
        return factory


def _langdetect_probs(
    text: str, langs: tuple[str, ...] | None, prior: dict[str, float] | None = None
) -> dict[str, float]:
    """langdetect probabilities over `langs` (all profiles when None); {} without features."""
    from langdetect.lang_detect_exception import LangDetectException

    detector = _factory(langs).create()
    if prior:
        detector.set_prior_map(prior)
    detector.append(text)
    try:
        return {p.lang: p.prob for p in detector.get_probabilities()}
    except LangDetectException:
        return {}


# --------------------------------------------------------------------------- detection

_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = _URL_RE.sub(" ", text)
    return _DOMAIN_RE.sub(" ", text)


def _normalize_for_scripts(text: str) -> str:
    # Fullwidth Latin letters (common in Chinese pages) count as Latin.
    return "".join(chr(ord(c) - 0xFEE0) if 0xFF21 <= ord(c) <= 0xFF5A else c for c in text)


def detect_text(text: str) -> Detection:
    """Language of one segment, with the evidence used (see the module docstring)."""
    cleaned = _normalize_for_scripts(_clean(text))
    counts: Counter[str] = Counter()
    han: list[str] = []
    for ch in cleaned:
        group = _script_of(ch)
        if group is None:
            continue
        counts[group] += 1
        if group == "han":
            han.append(ch)
    if not counts:
        return Detection(UND, 0.0, ["no-letters"])

    latin_words = _WORD_RE.findall(cleaned) if counts[_LATIN] else []
    units: dict[str, float] = {}
    for group, n in counts.items():
        if group == _LATIN:
            units[group] = float(len(latin_words)) or n * _DEFAULT_WEIGHT
        else:
            units[group] = n * _WEIGHT.get(group, _DEFAULT_WEIGHT)
    # Japanese: kanji and kana together; Korean may carry hanja.
    if counts["kana"] >= 2 and counts["kana"] >= 0.2 * (counts["kana"] + counts["han"]):
        units["kana"] = units.get("kana", 0.0) + units.pop("han", 0.0)
    elif counts["hangul"] and counts["han"] and units["hangul"] >= units["han"]:
        units["hangul"] += units.pop("han")
    total = sum(units.values())
    dominant = max(units, key=lambda g: (units[g], g == "han"))
    share = units[dominant] / total
    evidence = [f"script:{dominant}={share:.2f}"]
    if dominant == "han":
        return _detect_chinese(han, share, evidence)
    if dominant == _LATIN:
        return _detect_latin(cleaned, latin_words, share, evidence)
    if dominant in _SCRIPT_PROFILES:
        for letters, lang in _SCRIPT_MARKERS.get(dominant, ()):
            if any(c in letters for c in cleaned.lower()):
                evidence.append(f"letters:{lang}")
                return Detection(lang, round(min(0.99, share), 4), evidence)
        langs = _SCRIPT_PROFILES[dominant]
        # The script's most common language first: short text leans on it.
        prior = {lang: (0.7 if k == 0 else 0.3 / (len(langs) - 1)) for k, lang in enumerate(langs)}
        probs = _langdetect_probs(cleaned, langs, prior)
        if probs:
            lang = max(probs, key=probs.__getitem__)
            evidence.append(f"langdetect[{','.join(_SCRIPT_PROFILES[dominant])}]={lang}:{probs[lang]:.2f}")
            return Detection(lang, round(share * probs[lang], 4), evidence, probs=probs)
        return Detection(_SCRIPT_DEFAULT[dominant], round(share * 0.5, 4), evidence, weak=True)
    lang = _SCRIPT_LANG.get(dominant, "other")
    return Detection(lang, round(min(0.99, share), 4), evidence, weak=counts[dominant] < 2)


def _detect_chinese(han: list[str], share: float, evidence: list[str]) -> Detection:
    variant, s, t = _zh_variant("".join(han))
    evidence.append(f"zh-variant:simp={s},trad={t}")
    lang = variant or "zh-Hans"
    if variant is None:
        evidence.append("zh-variant:neutral")
    # A lone character or two is still Chinese, but its variant is a guess.
    score = min(0.99, share) if len(han) >= 2 else min(0.9, share)
    return Detection(lang, round(score, 4), evidence, weak=variant is None)


def _word_llr(word: str) -> float:
    """Log-odds vi vs en carried by one lowercased word's letters."""
    if not _is_vi_syllable(word):
        return _LLR_NOT_SYLLABLE
    if any(c in VI_STRONG for c in word):
        return _LLR_VI_STRONG
    if any(c in VI_MARKED for c in word):
        return _LLR_VI_MARK
    if word in _EN_FUNCTION_SYLLABLE:
        return _LLR_EN_FUNCTION
    return 0.0


def _sigmoid(x: float) -> float:
    import math

    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, x))))


def _detect_latin(cleaned: str, words: list[str], share: float, evidence: list[str]) -> Detection:
    # Capitalised and all-caps words (names, acronyms such as WTO or UBND) vote softly
    # unless the segment has little else (a headline in capitals, a bare name): English
    # news is full of "Nguyễn Xuân Phúc", Vietnamese news of "Donald Trump".
    body = [w.lower() for w in words if w[:1].islower() and len(w) > 1]
    acronyms = [w.lower() for w in words if w.isupper() and len(w) <= 5]
    names = [w.lower() for w in words if not w[:1].islower() and len(w) > 1 and not (w.isupper() and len(w) <= 5)]
    if len(body) < 2:
        body, names = body + names, []
    if not body:
        body, acronyms = acronyms or [w.lower() for w in words], []
    names += acronyms
    llr = sum(_word_llr(w) for w in body) + _NAME_WEIGHT * sum(_word_llr(w) for w in names)
    vi_strong = sum(1 for w in body if any(c in VI_STRONG for c in w))
    en_function = sum(1 for w in body if w in _EN_FUNCTION)
    foreign = sum(1 for w in words if any(ord(c) > 0x7F and c.lower() not in VI_MARKED for c in w))
    evidence.append(f"latin:words={len(words)},body={len(body)},letters-llr={llr:+.1f},"
                    f"en-function={en_function},foreign={foreign}")

    # Letters neither English nor Vietnamese use, or a long "English" text without a
    # single English function word: maybe another Latin-script language. Ask the full
    # langdetect and accept only a confident answer outside vi/en.
    if vi_strong == 0 and (
        (foreign >= 2 and foreign >= 0.15 * len(words)) or (llr < 0 and len(body) >= 6 and en_function == 0)
    ):
        probs = _langdetect_probs(cleaned, None)
        top = max(probs, key=probs.__getitem__) if probs else None
        if top and top not in ("en", "vi") and probs[top] >= 0.9:
            evidence.append(f"langdetect[all]={top}:{probs[top]:.2f}")
            return Detection(top, round(share * probs[top], 4), evidence, probs=probs)

    total = llr
    if abs(llr) < _DECIDED:
        # Letters alone are not enough: seeded langdetect, profiles restricted to vi/en,
        # on the body words (names do not vote there either).
        probs = _langdetect_probs(" ".join(body), ("en", "vi"))
        if probs:
            import math

            p_vi = min(max(probs.get("vi", 0.0), 1e-9), 1 - 1e-9)
            ld = max(-_LANGDETECT_CLAMP, min(_LANGDETECT_CLAMP, math.log(p_vi / (1 - p_vi))))
            total += _LANGDETECT_WEIGHT * ld
            evidence.append(f"langdetect[en,vi]=vi:{p_vi:.2f}")
        else:
            evidence.append("langdetect:no-features")
    p_vi = _sigmoid(total)
    lang = "vi" if total > 0 else "en"
    confidence = max(p_vi, 1 - p_vi)
    # Thin evidence: a decision context (paragraph, page) may override.
    weak = abs(total) < _DECIDED + 1 or (len(body) <= 2 and abs(llr) < _DECIDED)
    evidence.append(f"vi-vs-en={total:+.1f}")
    return Detection(lang, round(share * confidence, 4), evidence, weak=weak,
                     probs={"vi": p_vi, "en": 1 - p_vi})


# --------------------------------------------------------------------------- documents


def _majority(dets: Iterable[tuple[Detection, int]]) -> str | None:
    """Language with the most characters among confident, known detections."""
    weight: Counter[str] = Counter()
    for det, size in dets:
        if det.lang != UND and not det.weak:
            weight[det.lang] += size
    return weight.most_common(1)[0][0] if weight else None


def _hint_lang(hint: str | None) -> str | None:
    if not hint or hint == "auto":
        return None
    return "zh-Hans" if hint == "zh" else hint


_CONTEXT_LOG_ODDS = 3.0  # how far a paragraph/page language tilts a weak vi/en segment


def _leans_to(det: Detection, context: str) -> bool:
    """Whether a weak vi/en detection flips to the context's language under its prior."""
    import math

    if context not in ("vi", "en") or det.lang not in ("vi", "en") or context == det.lang:
        return False
    p = min(max(det.probs.get(context, 0.5), 1e-12), 1 - 1e-12)
    return math.log(p / (1 - p)) + _CONTEXT_LOG_ODDS > 0


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

    out: list[Segment] = []
    for i, (seg, det) in enumerate(zip(segments, dets)):
        peers = [j for j in by_paragraph[seg.paragraph] if j != i]
        paragraph = _majority((dets[j], sizes[j]) for j in peers)
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
    """Each line is its own segment, judged alone: (lang, score) per line, same order."""
    results = []
    for line in lines:
        if not line.strip():
            results.append((UND, 0.0))
            continue
        det = detect_text(line)
        results.append((det.lang, det.score))
    return results
