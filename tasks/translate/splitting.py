"""Splitting a sentence too long for a model: pieces of at most `max_tokens` tokens, cut at
clause boundaries first, then at spaces, then between characters (joined, they give the
text back). The engine (tasks/translate/engine.py) translates the pieces and joins them."""

from __future__ import annotations

import re

_CLAUSE_END = re.compile(r"(?<=[,;:，；：、—])\s*|(?<=\s[-–])\s+")


def split_long(text: str, encode, max_tokens: int) -> list[str]:
    """Pieces of `text` of at most `max_tokens` tokens, cut at clause boundaries first,
    then at spaces, then between characters; joining the pieces gives `text` back."""
    if len(encode(text)) <= max_tokens:
        return [text]
    for splitter in (_clause_parts, _space_parts, _char_parts):
        parts = splitter(text)
        if len(parts) > 1:
            return _pack(parts, encode, max_tokens)
    return [text]


def _clause_parts(text: str) -> list[str]:
    parts, start = [], 0
    for m in _CLAUSE_END.finditer(text):
        if m.end() > start and m.end() < len(text):
            parts.append(text[start : m.end()])
            start = m.end()
    parts.append(text[start:])
    return [p for p in parts if p]


def _space_parts(text: str) -> list[str]:
    return [p for p in re.split(r"(?<=\s)", text) if p]


def _char_parts(text: str) -> list[str]:
    return list(text)


def _pack(parts: list[str], encode, max_tokens: int) -> list[str]:
    """Greedily join consecutive parts while the join stays within the limit; an
    oversized part is split further at the next finer level."""
    out: list[str] = []
    current = ""
    for part in parts:
        candidate = current + part
        if current and len(encode(candidate)) > max_tokens:
            out.append(current)
            current = part
        else:
            current = candidate
        if len(encode(current)) > max_tokens:
            finer = _space_parts(current) if len(_space_parts(current)) > 1 else _char_parts(current)
            if len(finer) > 1 and finer != parts:
                packed = _pack(finer, encode, max_tokens)
                out.extend(packed[:-1])
                current = packed[-1]
    if current:
        out.append(current)
    return out
