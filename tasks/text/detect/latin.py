"""Latin script: Vietnamese or English from the letters (per-word log-odds on Vietnamese
syllables, marks and function words), with langdetect's log-odds when that is not decisive."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from tasks.text.detect.detection import Detection
from tasks.text.detect.statistical import _langdetect_probs

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
