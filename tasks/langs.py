"""Language codes and scripts: one definition of each, shared by every stage.

- `base_lang`: the base language of a tag ('zh-Hant' -> 'zh', 'en_GB' -> 'en', none -> 'und').
- `HAN`: the Han ideographs as a regex character class body (CJK Unified Ideographs, their
  extensions A to G, and the compatibility ideographs); `HAN_RE` matches one of them.
- `written_without_spaces`: languages whose words are not separated by spaces (segments
  are joined without one).
- `abbreviations`: the words whose dot does not end a sentence (tasks/data/abbreviations.txt),
  for segmentation and for the aligner's sentence counts alike.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import NamedTuple

HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
HAN_RE = re.compile(f"[{HAN}]")

_NO_SPACE_LANGS = frozenset({"zh", "ja"})


def base_lang(lang: str | None) -> str:
    """'zh-Hant' -> 'zh', 'en-GB' / 'en_GB' -> 'en', '' or None -> 'und' (lower-cased)."""
    return lang.split("-")[0].split("_")[0].lower() if lang else "und"


def written_without_spaces(lang: str | None) -> bool:
    """Chinese and Japanese: sentences and segments are joined without a space."""
    return base_lang(lang) in _NO_SPACE_LANGS


class Abbreviations(NamedTuple):
    always: frozenset[str]  # "Mr", "PGS.TS", "etc": never a sentence end before more text
    before_number: frozenset[str]  # "No", "p", "Điều": not an end when a number follows
    any_case: frozenset[str]  # the lower-case entries of `always`, matched in any case


@functools.cache
def abbreviations() -> Abbreviations:
    """The abbreviation lists of tasks/data/abbreviations.txt (read once)."""
    sections: dict[str, set[str]] = {"always": set(), "before-a-number": set()}
    current: set[str] | None = None
    text = resources.files("tasks").joinpath("data", "abbreviations.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections[line[1:-1]]
        elif current is not None:
            current.add(line)
    always = frozenset(sections["always"])
    return Abbreviations(always, frozenset(sections["before-a-number"]), frozenset(a.lower() for a in always if a[0].islower()))
