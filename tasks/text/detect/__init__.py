"""Language detection: the language of every segment (langdetect, seeded, + script evidence).

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

Modules (each imports only those above it): `detection` (the result type, the signature),
`scripts`, `statistical` (langdetect), `latin` (vi vs en), `chinese` (zh-Hans vs zh-Hant),
`decide` (`detect_text`), `documents` (segments in context, lines).
"""

from __future__ import annotations

from tasks.text.detect.decide import detect_text
from tasks.text.detect.detection import (
    DETECT_VERSION,
    DETECTOR_SIGNATURE,
    LANGDETECT_SEED,
    UND,
    Detection,
)
from tasks.text.detect.documents import detect_lines, detect_segments, page_language

__all__ = [
    "DETECTOR_SIGNATURE",
    "DETECT_VERSION",
    "LANGDETECT_SEED",
    "UND",
    "Detection",
    "detect_lines",
    "detect_segments",
    "detect_text",
    "page_language",
]
