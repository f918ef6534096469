"""Evidence that two sentences in different languages say the same thing.

Language-independent cues shared across a translation: numbers (grouping/decimal
conventions, Chinese numerals, 万/亿/million/triệu scales), month and weekday names,
Latin-script names and acronyms, percent signs and salient punctuation (`extract_anchors`);
lengths in one unit (`sentence_length`); sentence ends inside a line (`count_sentences`);
and a bleualign-style n-gram similarity between an MT output and a target sentence
(`mt_similarity`); the length model (`length_model`), anchor overlap (`anchor_overlap`)
and link-list lines (`is_link_line`). Pure functions, importable by story pairing too.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from tasks.langs import HAN, abbreviations, base_lang

# --------------------------------------------------------------------------- features

_WS_RE = re.compile(r"\s+")


_HAN_RE = re.compile(rf"[\u3000-\u303f{HAN}\uff00-\uffef]")  # Han, CJK punctuation, full-width forms
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


def _ends_in_abbreviation(head: str, nxt: str) -> bool:
    """'... Mr.', '... J.', or '... No.' before a number (`nxt`, the next character): the text ends
    in an abbreviation or an initial (tasks/data/abbreviations.txt, as the segmenter reads it)."""
    if not head.endswith("."):
        return False
    word = head[:-1].rsplit(None, 1)[-1].lstrip("\"'“‘«(") if head[:-1].strip() else ""
    abbr = abbreviations()
    return (
        (len(word) == 1 and word.isupper()) or word in abbr.always or word.lower() in abbr.any_case
        or (word in abbr.before_number and nxt.isdigit())
    )


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
            if not _ends_in_abbreviation(head, text[m.end():m.end() + 1]):
                ends += 1
        ends += len(_GLUED_END_RE.findall(text))
    return 1 + ends


# --------------------------------------------------------------------------- pair evidence


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

    def z(self, ls: float, lt: float, unit: float = 1.0) -> float:
        """|log(target length / expected length)| in standard deviations (0 = as expected)."""
        expected = ls * self.ratio
        mean = (expected + lt) / 2.0 / unit
        return abs(math.log((lt + unit) / (expected + unit))) / self.sigma(mean)


# Estimated by `bench/eval_align.py --fit-lengths` on NTREX documents of the dev half. Keys use
# base language codes; the reverse direction is derived.
LENGTH_PRIORS: dict[tuple[str, str], LengthModel] = {
    ("vi", "en"): LengthModel(0.92, 0.0041, 2.13),
    ("zh", "en"): LengthModel(1.064, 0.0174, 2.28),
}
_DEFAULT_MODEL = LengthModel(1.0, 0.04, 3.0)
# Characters per English character, to express lengths in one unit for the variance model.
# (Chinese is already measured in this unit by `sentence_length`.)
CHAR_UNIT = {"en": 1.0, "vi": 1.094, "zh": 1.0}


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
    unit_s, unit_t = CHAR_UNIT.get(s), CHAR_UNIT.get(t)
    if unit_s and unit_t:
        return LengthModel(unit_t / unit_s, _DEFAULT_MODEL.floor, _DEFAULT_MODEL.short)
    return _DEFAULT_MODEL


# Anchor weights by kind: numbers/dates and names are strong, punctuation is weak.
ANCHOR_WEIGHT = {"n": 1.0, "d": 0.8, "w": 1.0, "p": 0.25}


def anchor_weights(sides: list[list[Counter[str]]]) -> dict[str, float]:
    """Anchor weight = kind weight / sqrt(how many sentences of a side carry it): an anchor
    repeated all over a document tells little about which sentence is whose partner."""
    df: Counter[str] = Counter()
    for side in sides:
        local: Counter[str] = Counter()
        for a in side:
            local.update(a.keys())
        for k, v in local.items():
            df[k] = max(df[k], v)
    return {k: ANCHOR_WEIGHT[k[0]] / math.sqrt(v) for k, v in df.items()}


def anchor_overlap(a: Counter[str], b: Counter[str], weight: dict[str, float]) -> tuple[float, float, float, float]:
    """(weight of strong anchors on both sides, of numbers and dates on one side only, of
    Latin-script names on one side only, of shared punctuation). Strong = numbers, dates,
    names. A name on one side only is weaker counter-evidence than a number: Chinese
    transliterates names that English keeps in Latin script."""
    matched = num_miss = name_miss = punct = 0.0
    for k, v in a.items():
        w = b.get(k, 0)
        kw = weight.get(k, ANCHOR_WEIGHT[k[0]])
        if k[0] == "p":
            punct += kw * min(v, w)
            continue
        matched += kw * min(v, w)
        if k[0] == "w":
            name_miss += kw * max(0, v - w)
        else:
            num_miss += kw * max(0, v - w)
    for k, w in b.items():
        if k[0] == "p":
            continue
        extra = weight.get(k, ANCHOR_WEIGHT[k[0]]) * max(0, w - a.get(k, 0))
        if k[0] == "w":
            name_miss += extra
        else:
            num_miss += extra
    return matched, num_miss, name_miss, punct


_URLISH_RE = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)+/\S*", re.IGNORECASE)


def is_link_line(text: str) -> bool:
    """A line that is a link (or a list of links) rather than prose: after removing URLs,
    fewer than three word characters in ten remain."""
    stripped = _URLISH_RE.sub("", text)
    if len(stripped) == len(text):
        return False
    letters = sum(1 for c in stripped if c.isalpha())
    return letters < 0.3 * max(1, len(text.strip())) or letters < 12
