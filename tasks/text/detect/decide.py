"""`detect_text`: one text's language, each step recorded in its evidence."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from tasks.text.detect.chinese import _chinese_grammar, _detect_chinese
from tasks.text.detect.detection import UND, Detection
from tasks.text.detect.latin import _detect_latin, _is_lowercase_word
from tasks.text.detect.scripts import (
    _DEFAULT_WEIGHT,
    _DOMAIN_RE,
    _LATIN,
    _SCRIPT_DEFAULT,
    _SCRIPT_LANG,
    _SCRIPT_MARKERS,
    _SCRIPT_PROFILES,
    _SHORT_SCRIPT_LETTERS,
    _TERM_RE,
    _URL_RE,
    _WEIGHT,
    _WORD_RE,
    _script_of,
)
from tasks.text.detect.statistical import _langdetect_probs

# --------------------------------------------------------------------------- detection

_BRACKETS = {"(": ")", "[": "]", "（": "）", "【": "】", "《": "》", "〈": "〉", "［": "］"}
_QUOTES = {"“": "”", "「": "」", "『": "』", "«": "»"}
_ASIDE_WEIGHT = 0.25  # letters in brackets: glosses, original names, titles
_QUOTE_WEIGHT = 0.5  # letters in quotation marks: someone else's words
_NAME_VOTE = 0.25  # a capitalised Latin word (a name, an acronym) as a vote for its script


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
