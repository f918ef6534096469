"""Boilerplate lines and page edges: the vocabularies in tasks/data/boilerplate/ (one
regex a line), metadata and boilerplate line tests, and trimming a candidate's edges.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path

from tasks.langs import HAN_RE
from tasks.text.extract.parse import (
    _has_a_sentence,
    _reads_like_prose,
    _reads_like_sentence,
    normalize_text,
)

# --------------------------------------------------------------------------- boilerplate
#
# The vocabularies live in tasks/data/boilerplate/*.txt (one file per language plus
# common.txt; sections [line] [meta] [tail] [edge], one regex a line): explicit data
# that reviewers can read and extend without touching the code.

_VOCAB_DIR = Path(__file__).resolve().parents[2] / "data" / "boilerplate"


@functools.cache
def boilerplate_patterns() -> dict[str, list[re.Pattern[str]]]:
    """{section: compiled patterns} from every vocabulary file, loaded once on first use."""
    sections: dict[str, list[re.Pattern[str]]] = {"line": [], "credit": [], "meta": [], "head": [], "tail": [], "edge": []}
    for path in sorted(_VOCAB_DIR.glob("*.txt")):
        current = None
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("[") and line.endswith("]") and line[1:-1] in sections:
                current = line[1:-1]
            elif current is None:
                raise ValueError(f"{path.name}: pattern outside a section: {line!r}")
            else:
                sections[current].append(re.compile(line, re.I))
    return sections


def _matches(section: str, text: str) -> bool:
    return any(rx.search(text) for rx in boilerplate_patterns()[section])


def is_metadata_line(text: str) -> bool:
    """A dateline, byline, editor/source line, breadcrumb or pager line (short lines only).

    A full sentence in a script with spaces is never one ("By Monday, all schools will be
    closed." / "Published in 2019, the report found 12 leaks." are article text).
    """
    if _reads_like_sentence(text) and not HAN_RE.search(text):
        return False
    return len(text) <= 120 and _matches("meta", text)


def is_boilerplate_line(text: str) -> bool:
    """A line that is a site footer or widget, never article text (ICP, copyright, share bar...)."""
    return len(text) <= 200 and (_matches("line", text) or _matches("credit", text))


# An interactive-session line: a Python/shell prompt or continuation ('>>> foo()', '... pass', '$ ls', 'In [3]: x').
_PROMPT_RE = re.compile(r"^(>>>|\.\.\.|\$|In \[\d+\]:)\s")
# A label cell of a "key: value" table ("发布机构：" then "市人民政府办公厅" in the next cell).
_LABEL_RE = re.compile(r"^[^\s:：]{1,12}\s*[:：]$")


def _drop_boilerplate(paras: list[str], keep_credits: bool = False) -> list[str]:
    """Drop footer/widget/metadata lines and repeated paragraphs (galleries repeat captions).

    `keep_credits`: copyright/credit lines stay (trafilatura's text ends with the article,
    so such a line there is the article's own credit, which gold texts keep).
    """
    seen: set[str] = set()
    out: list[str] = []
    label = False  # the previous line was a label of a metadata pair ("索引号：" | "1144/2021-00123")
    for p, nxt in zip(paras, [*paras[1:], ""]):
        short = len(p) <= 200
        # (the value is a short cell, not a sentence: a paragraph after "编辑：" is no value)
        value = len(nxt) <= 40 and not _reads_like_sentence(nxt)
        was_label, label = label, _LABEL_RE.match(p) is not None and value and is_metadata_line(p + nxt)
        if was_label or label:
            continue
        # (a code line repeats in a tutorial: ">>> foo()", "... pass" are not a gallery's captions)
        repeated = len(p) >= 20 and p in seen and not _PROMPT_RE.match(p)
        if repeated or is_metadata_line(p) or (short and _matches("line", p)):
            continue
        if short and not keep_credits and _matches("credit", p):
            continue
        seen.add(p)
        out.append(p)
    return out


_POST_TIME_RE = re.compile(r"(19|20)\d\d[-/.年]\d{1,2}[-/.月]\d{1,2}日?\s*\d{1,2}[:：]\d\d")


def trim_edges(
    paras: list[str], headlines: frozenset[str] = frozenset(), boxes: Callable[[str], tuple[int, ...]] | None = None
) -> list[str]:
    """Cut what follows the article and promotions at its ends (vocabulary: [head], [tail], [edge]).

    - the headline as first line goes (the Document keeps it as `title`);
    - [head] lines (a bare date under the title) above the first full sentence;
    - from a section heading after the article (related stories, comments, newsletter,
      author bio, portal footer) to the end, when at least 40% of the text precedes it;
    - promotion lines (subscribe, follow us, read also) among the first/last lines.

    `boxes` (a paragraph's parent and grandparent elements on the page, when known) keeps
    an inline box's heading ("Newsletter", "Related" inside the article body) from ending
    the article: no cut when a paragraph after the heading shares a box with one before it.
    """
    paras = list(paras)
    if paras and headlines and _fold(paras[0]) in headlines and len(paras) > 1:
        paras = paras[1:]
    # Above the first sentence (the title and its dateline): [head] lines (a bare date).
    first = next((i for i, p in enumerate(paras) if _reads_like_sentence(p)), 0)
    paras = [p for i, p in enumerate(paras) if i >= first or not (len(p) <= 120 and _matches("head", p))]
    total = sum(len(p) for p in paras)
    before = sentences = prose = 0
    for i, p in enumerate(paras):
        # A thread after the article may outweigh it: then its posts' own date-times
        # (3+ short lines) after 2+ sentences of article are the evidence instead.
        thread = sentences >= 2 and sum(len(q) <= 60 and bool(_POST_TIME_RE.search(q)) for q in paras[i:]) >= 3
        # (the article is before the heading: at least one sentence of it, not only a menu)
        if i and len(p) <= 200 and prose and (before >= 0.4 * total or thread) and _matches("tail", p):
            if boxes is None or not _share_a_box(paras[:i], paras[i + 1 :], boxes, p):
                paras = paras[:i]
                break
        before += len(p)
        sentences += _reads_like_sentence(p)
        prose += _has_a_sentence(p)
    while len(paras) > 1 and len(paras[-1]) <= 200 and _matches("edge", paras[-1]):
        paras.pop()
    while len(paras) > 1 and len(paras[0]) <= 200 and _matches("edge", paras[0]):
        paras.pop(0)
    return paras


def _share_a_box(
    before: list[str], after: list[str], boxes: Callable[[str], tuple[int, ...]], heading: str | None = None
) -> bool:
    """Has a prose paragraph of `after` the parent, or the grandparent, of a paragraph of `before`?

    Level by level: a box inside the article element (an author box after the paragraphs)
    has the article as grandparent, the paragraphs have it as parent: not the same box.
    Paragraphs wrapped one by one share their grandparent. A paragraph in the `heading`'s
    own box (its parent, holding none of the paragraphs before) belongs to that section:
    `<div class=comments><h3>评论</h3><p>…</p>` beside the article's body never shares it.
    """
    seen = [{boxes(p)[k] for p in before if len(boxes(p)) > k} for k in (0, 1)]
    own = boxes(heading)[:1] if heading is not None else ()
    if own and own[0] in seen[0]:
        own = ()  # the heading sits among the article's paragraphs: no box of its own
    return any(
        len(boxes(p)) > k and boxes(p)[k] in seen[k]
        for p in after
        if _reads_like_prose(p) and not (own and boxes(p)[:1] == own)
        for k in (0, 1)
    )


def _fold(text: str) -> str:
    return normalize_text(text).casefold()
