"""Language codes and scripts: one definition of each, shared by every stage.

- `base_lang`: the base language of a tag ('zh-Hant' -> 'zh', 'en_GB' -> 'en', none -> 'und').
- `HAN`: the Han ideographs as a regex character class body (CJK Unified Ideographs, their
  extensions A to G, and the compatibility ideographs); `HAN_RE` matches one of them.
- `written_without_spaces`: languages whose words are not separated by spaces (segments
  are joined without one).
"""

from __future__ import annotations

import re

HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
HAN_RE = re.compile(f"[{HAN}]")

_NO_SPACE_LANGS = frozenset({"zh", "ja"})


def base_lang(lang: str | None) -> str:
    """'zh-Hant' -> 'zh', 'en-GB' / 'en_GB' -> 'en', '' or None -> 'und' (lower-cased)."""
    return lang.split("-")[0].split("_")[0].lower() if lang else "und"


def written_without_spaces(lang: str | None) -> bool:
    """Chinese and Japanese: sentences and segments are joined without a space."""
    return base_lang(lang) in _NO_SPACE_LANGS
