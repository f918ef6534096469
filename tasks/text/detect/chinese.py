"""Han script: Chinese, and Simplified (zh-Hans) or Traditional (zh-Hant) from OpenCC's
tables, phrase-aware conversions and quotation marks; Chinese grammar around Latin terms."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from tasks.text.detect.detection import Detection
from tasks.text.detect.latin import _EN_FUNCTION, VI_MARKED
from tasks.text.detect.scripts import _TERM_RE, _script_of

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
