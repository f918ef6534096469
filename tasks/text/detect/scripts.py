"""Scripts: letters counted per Unicode script (weighted to roughly words), the script tables,
and what carries no language (URLs, e-mail addresses, domains)."""

from __future__ import annotations

import re
import unicodedata

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


# A Latin-script word (letters of the Latin blocks only; an apostrophe inside is kept).
_LATIN_LETTER = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
_WORD_RE = re.compile(f"[{_LATIN_LETTER}]+(?:['’][{_LATIN_LETTER}]+)*")
# A Latin word with its hyphenated pieces (git-upload-pack, Ai-len): one term. `*`, not
# `+`, so a long run of letters without a hyphen is matched once, not retried from
# every position.
_TERM_RE = re.compile(f"{_WORD_RE.pattern}(?:-{_WORD_RE.pattern})*")
