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
2. Letters are counted per script, weighted to roughly "words"; capitalised Latin words
   (names) and text in brackets or quotation marks count less, so a Chinese name in a
   Vietnamese sentence (or an English brand in a Chinese one) does not outvote the
   sentence. The dominant script decides the family:
   Han → Chinese, Simplified vs Traditional from OpenCC's character tables, then its
   phrase-aware conversions (Traditional→Simplified for Traditional usage; Taiwan's and
   Hong Kong's Simplified→Traditional, both agreeing, for Simplified usage), then
   quotation marks (`zh-Hans` / `zh-Hant`). A Latin-majority line whose Han characters
   carry Chinese grammar (的, 不, 無, full-width punctuation) around lowercase terms
   (`設定 git pull 的上游`) is Chinese. Hyphenated words count as one term. Han with
   enough kana → `ja`; hangul → `ko`; Thai, Greek, ... → their own code; Cyrillic,
   Arabic, Devanagari → langdetect restricted to that script's languages. Never vi/zh/en.
3. Latin script: per-word log-odds vi vs en from the letters (Vietnamese marks on a
   valid Vietnamese syllable; words that cannot be Vietnamese syllables; function
   words), judged on lowercase words with each run of capitalised words (a name) voting
   once and softly. When that is not decisive, langdetect — seeded, profiles restricted
   to vi/en, loaded once — adds its log-odds. Letters foreign to both (ç ñ ß ...), or a
   long text without one English function word, go to the full langdetect, which may
   answer fr, de, id, ... when confident. A segment without a single Vietnamese mark
   leans English (a prior a paragraph/page replaces); a capitalised hyphenated word
   (Ai-len, I-xra-en) is one transliterated name.
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

DETECT_VERSION = "0.2"
LANGDETECT_SEED = 0

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
    `probs` holds the candidate probabilities when a statistical step ran; `prior` the
    part of their vi-vs-en log-odds that only stands in for missing context.
    """

    lang: str
    score: float
    evidence: list[str] = field(default_factory=list)
    weak: bool = False
    probs: dict[str, float] = field(default_factory=dict)
    prior: float = 0.0  # vi-vs-en log-odds of the isolated-text prior inside `probs`


# --------------------------------------------------------------------------- scripts

# The look-behinds start a match only where a run of such characters starts: from every
# position inside a long run ("a-a-a-...") the search would be quadratic.
_URL_RE = re.compile(r"(?:https?://|ftp://|www\.)\S+|(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b", re.IGNORECASE)
_DOMAIN_RE = re.compile(r"(?<![\w.-])[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|vn|cn|tw|hk|gov|edu|info|io)(?:/\S*)?\b",
                        re.IGNORECASE)

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
_SHORT_SCRIPT_LETTERS = 20
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
# Frequent Vietnamese words written without marks that are not English words.
_VI_FUNCTION = frozenset(
    "theo cho trong khi anh em chi sau cao hai nay nhanh thanh minh xin sinh kinh sao nhau giao thi".split()
)

# Per-word evidence, as log-odds for vi (positive) against en (negative).
_LLR_VI_STRONG = 4.0  # ă ơ ư đ ạ ế ... on a Vietnamese syllable
_LLR_VI_MARK = 2.0  # à á è é ... (shared with French/Spanish) on a Vietnamese syllable
_LLR_NOT_SYLLABLE = -2.0  # cannot be a Vietnamese syllable
_LLR_EN_GRAMMAR = -4.0  # "and", "of", "are": English function words that are not syllables
_LLR_EN_FUNCTION = -1.0  # "the", "to", "can"... valid syllables, but English function words
_LLR_VI_FUNCTION = 1.0  # "theo", "cho", "trong"... Vietnamese words that carry no marks
_LLR_UNMARKED = -1.5  # a whole segment without one Vietnamese mark
_LLR_PLAIN_SYLLABLE = 0.5  # ...each plain word that is a valid Vietnamese syllable
_PLAIN_SYLLABLE_OFFSET = 2  # ...net of two per word that cannot be one
_NAME_CHUNK_CLAMP = 2.0  # a run of capitalised words (a name) votes at most this much...
_NAME_CHUNK_WEIGHT = 0.5  # ...times this, when the segment has lowercase words to judge by
_TITLE_RUN_CAP = 4.0  # the most a run of capitalised Vietnamese syllables votes for vi
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


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _s2t_regional():
    """OpenCC's Simplified→Traditional conversions for Taiwan and for Hong Kong."""
    import opencc

    return opencc.OpenCC("s2tw"), opencc.OpenCC("s2hk")


def _changed(original: str, converted: str) -> list[int]:
    """Positions of the Han characters a same-length conversion changed."""
    if len(converted) != len(original):  # pragma: no cover - OpenCC keeps lengths for these tables
        return [i for i, c in enumerate(original) if _script_of(c) == "han"][:1]
    return [i for i, (a, b) in enumerate(zip(original, converted)) if a != b and _script_of(a) == "han"]


def _simplified_usage(text: str) -> int:
    """Han characters that both Taiwan and Hong Kong write differently in this context.

    A character valid in both scripts can still be Simplified usage: 党 is a surname in
    Traditional text, but 工党 is written 工黨; 周 is a name, but 每周 is 每週. OpenCC's
    phrase-aware conversions say so. Both regions must agree, so a form one of them keeps
    (Taiwan's 台, Hong Kong's 着 and 泄) is never counted.
    """
    tw, hk = _s2t_regional()
    return len(set(_changed(text, tw.convert(text))) & set(_changed(text, hk.convert(text))))


_PHRASE_CHARS = 20_000

# Quotation marks: Taiwan and Hong Kong write 「」『』, the mainland “” ‘’. Only a tie-breaker.
_HANT_QUOTES = frozenset("「」『』")
_HANS_QUOTES = frozenset("“”")


def _zh_variant(text: str, han_chars: str) -> tuple[str | None, str]:
    """Simplified or Traditional (None when nothing tells), and the evidence used.

    1. Characters that exist in one script only (OpenCC character tables).
    2. Otherwise OpenCC's phrase-aware conversions: a character that Traditional→Simplified
       changes in context (於 → 于, 著 → 着 in 看著) is Traditional usage; one that both
       Taiwan's and Hong Kong's Simplified→Traditional change (党 → 黨 in 工党, 周 → 週 in
       每周) is Simplified usage.
    3. Otherwise the quotation marks.
    """
    simp_only, trad_only = _variant_tables()
    s = sum(1 for c in han_chars if c in simp_only)
    t = sum(1 for c in han_chars if c in trad_only)
    if s != t:
        return ("zh-Hans" if s > t else "zh-Hant"), f"zh-chars:simp={s},trad={t}"
    if s == 0:
        # The phrase conversions are pure Python (microseconds a character): they read
        # the first _PHRASE_CHARS characters, which is plenty for a segment.
        head = han_chars[:_PHRASE_CHARS]
        converted = _t2s().convert(head)
        changed = sum(1 for a, b in zip(head, converted) if a != b) if len(converted) == len(head) else 1
        if changed:
            return "zh-Hant", f"zh-phrases:trad={changed}"
        simplified = _simplified_usage(text[:_PHRASE_CHARS])
        if simplified:
            return "zh-Hans", f"zh-phrases:simp={simplified}"
    qt = sum(1 for c in text if c in _HANT_QUOTES)
    qs = sum(1 for c in text if c in _HANS_QUOTES)
    if qt or qs:
        # 「」 in mainland text is rarer than “” in Taiwan/Hong Kong text: 「」 wins ties.
        return ("zh-Hant" if qt >= qs else "zh-Hans"), f"zh-quotes:hant={qt},hans={qs}"
    return None, f"zh-chars:simp={s},trad={t}"


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


def _langdetect_probs(text: str, langs: tuple[str, ...] | None) -> dict[str, float]:
    """langdetect probabilities over `langs` (all profiles when None); {} without features."""
    from langdetect.lang_detect_exception import LangDetectException

    detector = _factory(langs).create()
    detector.append(text)
    try:
        return {p.lang: p.prob for p in detector.get_probabilities()}
    except LangDetectException:
        return {}


# --------------------------------------------------------------------------- detection

# A Latin-script word (letters of the Latin blocks only; an apostrophe inside is kept).
_LATIN_LETTER = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
_WORD_RE = re.compile(f"[{_LATIN_LETTER}]+(?:['’][{_LATIN_LETTER}]+)*")
_BRACKETS = {"(": ")", "[": "]", "（": "）", "【": "】", "《": "》", "〈": "〉", "［": "］"}
_QUOTES = {"“": "”", "「": "」", "『": "』", "«": "»"}
_ASIDE_WEIGHT = 0.25  # letters in brackets: glosses, original names, titles
_QUOTE_WEIGHT = 0.5  # letters in quotation marks: someone else's words
_NAME_VOTE = 0.25  # a capitalised Latin word (a name, an acronym) as a vote for its script


# A Latin word with its hyphenated pieces (git-upload-pack, Ai-len): one term. `*`, not
# `+`, so a long run of letters without a hyphen is matched once, not retried from
# every position.
_TERM_RE = re.compile(f"{_WORD_RE.pattern}(?:-{_WORD_RE.pattern})*")


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = _URL_RE.sub(" ", text)
    text = _DOMAIN_RE.sub(" ", text)
    # A capitalised hyphenated word is one name, transliterated syllable by syllable
    # (Ai-len, Pa-le-xtin, Xi-ri): its lowercase pieces are part of the name too.
    return _TERM_RE.sub(_capitalise_pieces, text) if "-" in text else text


def _capitalise_pieces(match: re.Match[str]) -> str:
    word = match.group()
    if "-" not in word or not word[0].isupper():
        return word
    return "-".join(piece[:1].upper() + piece[1:] for piece in word.split("-"))


def _normalize_for_scripts(text: str) -> str:
    # Fullwidth Latin letters (common in Chinese pages) count as Latin.
    return "".join(chr(ord(c) - 0xFEE0) if 0xFF21 <= ord(c) <= 0xFF5A else c for c in text)


def _aside_weights(text: str) -> list[float]:
    """Per character: 1.0 in the sentence itself, less inside brackets or quotation marks.

    A gloss such as "Tập Cận Bình (习近平)" or a quoted foreign phrase should not decide
    the language of the sentence around it. Unbalanced closers are ignored.
    """
    stack: list[tuple[str, float]] = []
    weights = []
    for ch in text:
        if ch in _BRACKETS or ch in _QUOTES:
            inner = _ASIDE_WEIGHT if ch in _BRACKETS else _QUOTE_WEIGHT
            stack.append(((_BRACKETS.get(ch) or _QUOTES[ch]), min(inner, stack[-1][1]) if stack else inner))
        elif stack and ch == stack[-1][0]:
            stack.pop()
        weights.append(stack[-1][1] if stack else 1.0)
    return weights


def detect_text(text: str) -> Detection:
    """Language of one segment, with the evidence used (see the module docstring)."""
    cleaned = _normalize_for_scripts(_clean(text))
    aside = _aside_weights(cleaned)
    counts: Counter[str] = Counter()
    units: Counter[str] = Counter()
    han: list[str] = []
    for ch, inside in zip(cleaned, aside):
        group = _script_of(ch)
        if group is None:
            continue
        counts[group] += 1
        if group == "han":
            han.append(ch)
        if group != _LATIN:
            units[group] += _WEIGHT.get(group, _DEFAULT_WEIGHT) * inside
    if not counts:
        return Detection(UND, 0.0, ["no-letters"])

    latin_words: list[str] = []
    if counts[_LATIN]:
        outside: list[str] = []
        for m in _WORD_RE.finditer(cleaned):
            word = m.group()
            latin_words.append(word)
            if aside[m.start()] == 1.0:
                outside.append(word)
        for m in _TERM_RE.finditer(cleaned):
            # Sentence grammar lives in lowercase words; capitalised ones are mostly names.
            # A hyphenated compound (git-upload-pack, in-reply-to) is one term, one vote.
            vote = 1.0 if _is_lowercase_word(m.group().split("-")[0]) else _NAME_VOTE
            units[_LATIN] += vote * aside[m.start()]
        # The sentence is judged by its words outside brackets when they hold some of
        # its grammar (a lowercase word); "Del (Ô phím số)" is judged by all its words.
        if any(_is_lowercase_word(w) for w in outside):
            latin_words = outside
        if not units[_LATIN]:
            units[_LATIN] = counts[_LATIN] * _DEFAULT_WEIGHT
    # Japanese: kanji and kana together; Korean may carry hanja.
    if counts["kana"] >= 2 and counts["kana"] >= 0.2 * (counts["kana"] + counts["han"]):
        units["kana"] += units.pop("han", 0.0)
    elif counts["hangul"] and counts["han"] and units["hangul"] >= units["han"]:
        units["hangul"] += units.pop("han")
    units = Counter({g: u for g, u in units.items() if u > 0})
    total = sum(units.values())
    dominant = max(units, key=lambda g: (units[g], g == "han"))
    share = units[dominant] / total
    evidence = [f"script:{dominant}={share:.2f}"]
    if dominant == _LATIN and units["han"] and _chinese_grammar(cleaned, aside, latin_words):
        # Chinese syntax around Latin terms (設定 git pull 的上游, 無法 reset --hard): the
        # Latin words are names of things, the sentence is Chinese.
        share = units["han"] / total
        evidence = [f"script:han={share:.2f}", "grammar:zh-around-latin"]
        return _detect_chinese(cleaned, han, max(share, 0.6), evidence)
    if dominant == "han":
        return _detect_chinese(cleaned, han, share, evidence)
    if dominant == _LATIN:
        return _detect_latin(cleaned, latin_words, share, evidence)
    if dominant in _SCRIPT_PROFILES:
        for letters, lang in _SCRIPT_MARKERS.get(dominant, ()):
            if any(c in letters for c in cleaned.lower()):
                evidence.append(f"letters:{lang}")
                return Detection(lang, round(min(0.99, share), 4), evidence)
        langs = _SCRIPT_PROFILES[dominant]
        default = _SCRIPT_DEFAULT[dominant]
        if counts[dominant] < _SHORT_SCRIPT_LETTERS:
            # A word or two (капуста, лук) is shared by the script's languages; langdetect
            # guesses wildly there. The script's most common language, flagged weak.
            evidence.append(f"short:{default}")
            return Detection(default, round(share * 0.6, 4), evidence, weak=True)
        probs = _langdetect_probs(cleaned, langs)
        if probs:
            lang = max(probs, key=probs.__getitem__)
            evidence.append(f"langdetect[{','.join(langs)}]={lang}:{probs[lang]:.2f}")
            return Detection(lang, round(share * probs[lang], 4), evidence, probs=probs)
        return Detection(default, round(share * 0.5, 4), evidence, weak=True)
    lang = _SCRIPT_LANG.get(dominant, "other")
    return Detection(lang, round(min(0.99, share), 4), evidence, weak=counts[dominant] < 2)


# Characters that carry Chinese sentence structure (particles, copula, negation,
# prepositions, aspect), and the full-width punctuation only Chinese text uses.
_ZH_GRAMMAR_CHARS = frozenset("的了是在不和與与或為为把被也都就要會会能可以已將将無无沒没未從从對对並并")
_ZH_PUNCTUATION = frozenset("。，、；：！？")


def _chinese_grammar(text: str, aside: list[float], latin_words: list[str]) -> bool:
    """Whether a Latin-majority line is a Chinese sentence naming Latin-script things.

    True when, outside brackets and quotation marks, there are at least two Han
    characters, Chinese structure (particles, negation, full-width punctuation) outweighs
    twice the English function words, and no Latin word has a Vietnamese letter:
    "I love 中国" stays English, "git fetch-pack：取得失敗。" is Chinese.
    """
    if any(c in VI_MARKED for w in latin_words for c in w.lower()):
        return False
    han = [c for c, w in zip(text, aside) if w == 1.0 and _script_of(c) == "han"]
    if len(han) < 2:
        return False
    grammar = sum(1 for c in han if c in _ZH_GRAMMAR_CHARS)
    grammar += sum(1 for c, w in zip(text, aside) if w == 1.0 and c in _ZH_PUNCTUATION)
    # Function words inside a compound (in-reply-to) are part of a term, not grammar.
    english = sum(1 for m in _TERM_RE.finditer(text) if aside[m.start()] == 1.0 and m.group().lower() in _EN_FUNCTION)
    return grammar > 2 * english


def _detect_chinese(text: str, han: list[str], share: float, evidence: list[str]) -> Detection:
    variant, why = _zh_variant(text, "".join(han))
    evidence.append(why)
    if variant is None:
        # Nothing tells the scripts apart (他有很多英雄): Simplified, the more common,
        # unless the paragraph/page/input says otherwise.
        evidence.append("zh-variant:neutral")
    # A lone character is still Chinese, but a weaker guess.
    score = min(0.99, share) if len(han) >= 2 else min(0.9, share)
    return Detection(variant or "zh-Hans", round(score, 4), evidence, weak=variant is None)


def _word_llr(word: str) -> float:
    """Log-odds vi vs en carried by one lowercased word's letters."""
    if not _is_vi_syllable(word):
        if any(c in VI_STRONG for c in word):
            # Words run together by a page's markup ("thuộctin", "airlinesđối") still
            # carry letters only Vietnamese writes.
            return _LLR_VI_MARK
        # "and", "of", "are": English grammar, rare in Vietnamese even among loanwords.
        return _LLR_EN_GRAMMAR if word in _EN_FUNCTION else _LLR_NOT_SYLLABLE
    if any(c in VI_STRONG for c in word):
        return _LLR_VI_STRONG
    if any(c in VI_MARKED for c in word):
        return _LLR_VI_MARK
    if word in _EN_FUNCTION_SYLLABLE:
        return _LLR_EN_FUNCTION
    if word in _VI_FUNCTION:
        return _LLR_VI_FUNCTION
    return 0.0


def _is_acronym(word: str) -> bool:
    """WTO, UBND, TP: capitals without Vietnamese marks carry no language."""
    return word.isupper() and len(word) <= 5 and not any(c in VI_MARKED for c in word.lower())


def _is_lowercase_word(word: str) -> bool:
    """A word that is not a name: lowercase-initial and not camel-cased (iPhone, eBay)."""
    return word[:1].islower() and not any(c.isupper() for c in word[1:]) and len(word) > 1


def _sigmoid(x: float) -> float:
    import math

    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, x))))


def _detect_latin(cleaned: str, words: list[str], share: float, evidence: list[str]) -> Detection:
    # The grammar of a sentence lives in its lowercase words; capitalised runs are mostly
    # names (English news is full of "Nguyễn Xuân Phúc", Vietnamese news of "Donald
    # Trump"), so each run votes once and softly. A segment with no lowercase word (a
    # headline in capitals, a bare name) is judged by all its words.
    body = [w for w in words if _is_lowercase_word(w)]
    lowercase_words = len(body)
    if body:
        llr = sum(_word_llr(w.lower()) for w in body)
        rest = words
        if len(words) >= 2 and not _is_lowercase_word(words[0]) and _is_lowercase_word(words[1]) \
                and not _is_acronym(words[0]) and words[0][1:].islower():
            # "Tin moi", "He was": a capital from sentence case, not a name; half a vote.
            body.insert(0, words[0])
            llr += 0.5 * _word_llr(words[0].lower())
            rest = words[1:]
        chunk: list[str] = []
        for w in [*rest, ""]:
            if w and not _is_lowercase_word(w):
                if not _is_acronym(w):
                    chunk.append(w.lower())
                continue
            if chunk:
                vote = sum(_word_llr(x) for x in chunk)
                llr += _NAME_CHUNK_WEIGHT * max(-_NAME_CHUNK_CLAMP, min(_NAME_CHUNK_CLAMP, vote))
                chunk = []
    else:
        # Title case or capitals throughout: every word may be part of a name, and a run
        # of Vietnamese syllables (Nguyễn Thị Ánh Viên) is most likely one name; each run
        # votes at most _TITLE_RUN_CAP. Words that cannot be Vietnamese vote one by one.
        body = [w for w in words if not _is_acronym(w)] or list(words)
        llr, run = 0.0, 0.0
        for w in body:
            if _is_acronym(w):
                continue
            lw = w.lower()
            if _is_vi_syllable(lw):
                run += _word_llr(lw)
                continue
            llr += min(run, _TITLE_RUN_CAP) + _word_llr(lw)
            run = 0.0
        llr += min(run, _TITLE_RUN_CAP)
    vi_strong = sum(1 for w in body if any(c in VI_STRONG for c in w.lower()))
    en_function = sum(1 for w in body if w.lower() in _EN_FUNCTION)
    foreign = sum(1 for w in words if any(ord(c) > 0x7F and c.lower() not in VI_MARKED for c in w))
    evidence.append(f"latin:words={len(words)},lowercase={lowercase_words},letters-llr={llr:+.1f},"
                    f"en-function={en_function},foreign={foreign}")

    # Letters neither English nor Vietnamese use, or a long "English" text without a
    # single English function word: maybe another Latin-script language. Ask the full
    # langdetect and accept only a confident answer outside vi/en.
    if vi_strong == 0 and (
        (foreign >= 2 and foreign >= 0.15 * len(words)) or (llr < 0 and lowercase_words >= 8 and en_function == 0)
    ):
        probs = _langdetect_probs(cleaned, None)
        top = max(probs, key=probs.__getitem__) if probs else None
        if top and top not in ("en", "vi") and probs[top] >= 0.9:
            evidence.append(f"langdetect[all]={top}:{probs[top]:.2f}")
            return Detection(top, round(share * probs[top], 4), evidence, probs=probs)

    prior = 0.0
    if not any(c in VI_MARKED for c in cleaned.lower()):
        # Written Vietnamese marks almost every sentence (tones, ă â ê ô ơ ư đ); a text
        # with no mark at all leans English ("I try.", "So long."). A paragraph or page
        # replaces this prior (see _leans_to).
        prior = _LLR_UNMARKED
        # ...unless its words read as Vietnamese typed without marks: every plain word a
        # valid syllable ("toi khong biet", "chung ta di an com") is rare in English.
        syllables = sum(1 for w in body if _is_lowercase_word(w) and _is_vi_syllable(w.lower())
                        and w.lower() not in _EN_FUNCTION)
        others = sum(1 for w in body if _is_lowercase_word(w) and not _is_vi_syllable(w.lower()))
        bonus = _LLR_PLAIN_SYLLABLE * max(0, syllables - _PLAIN_SYLLABLE_OFFSET * others)
        llr += prior + bonus
        evidence.append(f"unmarked:{prior:+.1f},plain-syllables={syllables},other={others},{bonus:+.1f}")
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
                     probs={"vi": p_vi, "en": 1 - p_vi}, prior=prior)


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
