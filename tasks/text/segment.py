"""Segment stage: sentences per language with character offsets into Document.text.

Contract: `segment_document(doc: Document, doc_id: str, lang_hint: str | None = None)
-> list[Segment]` with id f"{doc_id}:{paragraph}:{sentence}", start/end offsets such that
doc.text[start:end] == segment.text, `split="clause"` for long sentences split for MT.
`split_sentences(text: str, lang: str) -> list[tuple[int, int]]` for plain text.

Rules are chosen per paragraph by script (a Chinese footer on an English page is cut
with Chinese rules): Han text ends at 。！？；… (plus closing quotes and brackets);
Latin text (vi, en) ends at . ! ? … followed by space and a sentence start, except after
abbreviations (TP., PGS.TS., Mr., U.S.), initials, and inside numbers (1,5 / 1.5 /
20/2/2025, which contain no space anyway). Sentences longer than `max_chars` are split
at clause boundaries (; : , and their full-width forms) for MT, marked split="clause".
"""

from __future__ import annotations

import bisect
import re

from tasks.langs import HAN_RE, abbreviations
from tasks.models import Document, Segment

DEFAULT_MAX_CHARS = 400

_LETTER_RE = re.compile(r"[^\W\d_]")

# Closing quotes/brackets that stay with the sentence they end.
_CLOSERS = "\"'”’」』）)】》〉]»"
_OPENERS = "\"'“‘「『（(【《〈[«"

# ---------------------------------------------------------------- Chinese (and Japanese)
_ZH_END_RE = re.compile(rf"(?:[。！？!?；;]|…+|\.{{3,}})+[{re.escape(_CLOSERS)}]*")

# ---------------------------------------------------------------- Latin script (vi, en)
# Abbreviations (tasks/data/abbreviations.txt, one list with the aligner): tasks.langs.abbreviations.
# Dotted acronyms that may also end a sentence; decided by the next word.
_ACRONYMS_AT_END = frozenset({"U.S", "U.K", "U.N", "E.U", "U.S.A", "D.C", "a.m", "p.m"})
_SENTENCE_STARTERS = frozenset(
    "The A An He She It They We I You This That These Those There But And Yet So In On At "
    "For After Before When While If His Her Its Their Our Some Many Most Mr Mrs Ms Dr".split()
)


_WORD_RE = re.compile(r"[^\W\d_]+")


def _word_after(text: str, pos: int) -> str:
    m = _WORD_RE.match(text, pos)  # no text[pos:] copy: linear on 1 MB paragraphs
    return m.group(0) if m else ""


_LATIN_END_RE = re.compile(rf"(?:[.!?]+|…+)[{re.escape(_CLOSERS)}]*(?=\s|$)")
_TOKEN_BEFORE_RE = re.compile(r"(\S+)$")
_NEXT_START_RE = re.compile(r"\s+(\S)")
_LOOKBACK = 64  # characters; longer "words" are never abbreviations


def _is_han_text(text: str) -> bool:
    han = len(HAN_RE.findall(text))
    letters = len(_LETTER_RE.findall(text))
    return letters > 0 and han / letters >= 0.3


def _script_rules(text: str, lang: str) -> str:
    """'zh' or 'latin', from the text's own script (lang only breaks ties on empty text)."""
    if _is_han_text(text):
        return "zh"
    if not _LETTER_RE.search(text) and lang.lower().startswith(("zh", "ja")):
        return "zh"
    return "latin"


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _zh_boundaries(text: str) -> list[int]:
    return [m.end() for m in _ZH_END_RE.finditer(text)]


def _latin_is_boundary(text: str, m: re.Match[str]) -> bool:
    punct = m.group(0)
    after = _NEXT_START_RE.match(text, m.end())
    if after is None:  # end of text
        return True
    nxt = after.group(1)
    # Next sentence must start like a sentence: capital, digit, opening quote/bracket, or Han.
    if not (nxt.isupper() or nxt.isdigit() or nxt in _OPENERS or nxt in "-–—•" or HAN_RE.match(nxt)):
        return False
    if punct[0] != ".":
        return True
    if punct.startswith(".."):  # ellipsis "..." followed by a capital: a boundary
        return True
    # Look back a bounded window only: searching from 0 made long paragraphs quadratic.
    tok = _TOKEN_BEFORE_RE.search(text, max(0, m.start() - _LOOKBACK), m.start())
    if tok is None:
        return True
    word = tok.group(1).lstrip(_OPENERS)
    if not word:
        return True
    if word in _ACRONYMS_AT_END:
        # "in the U.S. He said": a dotted acronym ends a sentence before a typical starter.
        return _word_after(text, after.start(1)) in _SENTENCE_STARTERS
    abbr = abbreviations()
    if word in abbr.always or word.lower() in abbr.any_case:
        return False
    if word in abbr.before_number and nxt.isdigit():
        return False
    # Initials ("J. K. Rowling", "Nguyễn V. A.") and one-letter abbreviations
    # ("Viera d. Rockledge" in sports results).
    if len(word) == 1 and word.isalpha():
        return False
    # Dotted acronyms not in the list ("N.Y.", "T.Ư.") keep going.
    if re.fullmatch(r"(?:[^\W\d_]\.)+[^\W\d_]", word):
        return False
    return True


# A list marker is not a sentence: "1. Ditch the diet", "IV. Results", "a) ...".
_LIST_MARKER_RE = re.compile(r"\(?(?:\d{1,3}|[ivxlcdmIVXLCDM]{1,5}|[a-zA-Z])[.)]")


def _latin_boundaries(text: str) -> list[int]:
    out: list[int] = []
    last = 0
    for m in _LATIN_END_RE.finditer(text):
        if not _latin_is_boundary(text, m):
            continue
        if _LIST_MARKER_RE.fullmatch(text[last : m.end()].strip()):
            continue
        out.append(m.end())
        last = m.end()
    return out


_CLAUSE_ZH_RE = re.compile(r"[，、；：,;:]")
_CLAUSE_LATIN_RE = re.compile(r"[;:,](?=\s)|\s[–—](?=\s)")


def _clause_spans(text: str, start: int, end: int, rules: str, max_chars: int) -> list[tuple[int, int]]:
    """Split text[start:end] at clause marks so that pieces are <= max_chars where possible."""
    if end - start <= max_chars:
        return [(start, end)]
    rx = _CLAUSE_ZH_RE if rules == "zh" else _CLAUSE_LATIN_RE
    # Prefer strong marks (; :) over commas: try them first.
    cuts_all = [m.end() for m in rx.finditer(text, start, end) if start < m.end() < end]
    if not cuts_all:
        return [(start, end)]
    pieces: list[tuple[int, int]] = []
    cur = start
    while end - cur > max_chars:
        # bisect, not a scan of every cut per piece: linear on 1 MB sentences full of commas
        first_after = bisect.bisect_right(cuts_all, cur)
        last_in_window = bisect.bisect_right(cuts_all, cur + max_chars)
        if last_in_window > first_after:
            cut = cuts_all[last_in_window - 1]
        elif first_after < len(cuts_all):
            cut = cuts_all[first_after]
        else:
            break
        s, e = _trim(text, cur, cut)
        if e > s:
            pieces.append((s, e))
        cur = cut
    s, e = _trim(text, cur, end)
    if e > s:
        pieces.append((s, e))
    return pieces


def split_sentences_marked(
    text: str, lang: str, max_chars: int | None = DEFAULT_MAX_CHARS
) -> list[tuple[int, int, bool]]:
    """(start, end, clause_split) spans of sentences in `text`, whitespace-trimmed."""
    out: list[tuple[int, int, bool]] = []
    pos = 0
    for line in re.finditer(r"[^\n]+", text):  # a newline always ends a sentence
        ls, le = line.start(), line.end()
        chunk = text[ls:le]
        rules = _script_rules(chunk, lang)
        bounds = _zh_boundaries(chunk) if rules == "zh" else _latin_boundaries(chunk)
        cur = 0
        for b in [*bounds, len(chunk)]:
            s, e = _trim(text, ls + cur, ls + b)
            cur = b
            if e <= s:
                continue
            if max_chars and e - s > max_chars:
                parts = _clause_spans(text, s, e, rules, max_chars)
                out.extend((ps, pe, len(parts) > 1) for ps, pe in parts)
            else:
                out.append((s, e, False))
        pos = le
    del pos
    return out


def split_sentences(text: str, lang: str) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets into `text` (no clause splitting)."""
    return [(s, e) for s, e, _ in split_sentences_marked(text, lang, max_chars=None)]


def segment_document(
    doc: Document, doc_id: str, lang_hint: str | None = None, max_chars: int | None = None
) -> list[Segment]:
    """Segments of every paragraph of `doc`, offsets into doc.text; long sentences split at clauses."""
    if max_chars is None:
        from tasks.settings import get_settings

        max_chars = get_settings().max_segment_chars
    lang = lang_hint or doc.page_lang or "und"
    segments: list[Segment] = []
    offset = 0
    for p_index, para in enumerate(doc.paragraphs):
        if doc.text[offset : offset + len(para)] != para:
            found = doc.text.find(para, offset)
            if found < 0:
                raise ValueError(f"paragraph {p_index} not found in doc.text")
            offset = found
        for s_index, (s, e, clause) in enumerate(split_sentences_marked(para, lang, max_chars)):
            start, end = offset + s, offset + e
            segments.append(
                Segment(
                    id=f"{doc_id}:{p_index}:{s_index}",
                    paragraph=p_index,
                    sentence=s_index,
                    start=start,
                    end=end,
                    text=doc.text[start:end],
                    split="clause" if clause else None,
                )
            )
        offset += len(para) + 2
    return segments
