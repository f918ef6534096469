"""Abridged and edited document pairs built from NTREX-128, with a fixed dev/test split.

Used by bench/eval_align.py. A pair keeps every sentence of the vi/zh version (the source)
and edits the English version the way a foreign-language edition is edited:
- ~30 % of source sentences lose their English line, mostly in runs and at the end;
- ~10 % merges (two English lines joined, or two source lines joined);
- ~5 % splits (an English line cut in two at a clause boundary);
- ~10 % added English lines (taken from other documents);
- one or two moved paragraphs (a run of 2-4 English lines moved elsewhere).
Gold links are exact (source line set, target line set) pairs with both sides non-empty.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass
from pathlib import Path

FILES = {"vi": "newstest2019-ref.vie.txt", "zh": "newstest2019-ref.zho-CN.txt", "zh-Hant": "newstest2019-ref.zho-TW.txt"}

Gold = set[tuple[tuple[int, ...], tuple[int, ...]]]


@dataclass
class Doc:
    id: str
    src: list[str]  # vi / zh sentences
    en: list[str]


@dataclass
class Pair:
    doc: str
    src: list[str]
    tgt: list[str]
    gold: Gold


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").rstrip("\n").split("\n")


def documents(data: Path, lang: str) -> list[Doc]:
    ids = [line.split("\t")[0].strip() for line in read_lines(data / "DOCUMENT_IDS.tsv")]
    en = read_lines(data / "newstest2019-src.eng.txt")
    xx = read_lines(data / FILES[lang])
    assert len(ids) == len(en) == len(xx), (len(ids), len(en), len(xx))
    docs: list[Doc] = []
    for i, doc_id in enumerate(ids):
        if not docs or docs[-1].id != doc_id:
            docs.append(Doc(doc_id, [], []))
        docs[-1].src.append(xx[i])
        docs[-1].en.append(en[i])
    return docs


def split_of(doc_id: str) -> str:
    """Fixed split by document id: 'dev' (fit and tune) or 'test' (report only)."""
    return "dev" if int(hashlib.sha1(doc_id.encode()).hexdigest(), 16) % 2 == 0 else "test"


_CLAUSE_RE = re.compile(r"(?<=\w)(, | but | and | while | as |; )")


def _split_sentence(text: str, rng: random.Random) -> tuple[str, str] | None:
    cuts = [m for m in _CLAUSE_RE.finditer(text) if 0.3 * len(text) < m.start() < 0.7 * len(text)]
    if not cuts:
        return None
    m = rng.choice(cuts)
    head = text[: m.start()].rstrip(",;") + "."
    tail = text[m.end() :].strip()
    if len(head) < 15 or len(tail) < 15:
        return None
    return head, tail[0].upper() + tail[1:]


def _drops(n: int, rng: random.Random, share: float) -> set[int]:
    """~share of n positions, mostly one run at the end plus short runs."""
    dropped: set[int] = set()
    if n >= 5 and rng.random() < 0.7:
        tail = max(1, round(n * rng.uniform(0.08, 0.2)))
        dropped |= set(range(n - tail, n))
    goal = round(share * n)
    tries = 0
    while len(dropped) < goal and tries < 100:
        tries += 1
        start = rng.randrange(n)
        run = 1 + min(int(rng.expovariate(0.8)), 3)
        dropped |= set(range(start, min(n, start + run)))
    if n - len(dropped) < 2:
        dropped = set(sorted(dropped)[: max(0, n - 2)])
    return dropped


def edit(doc: Doc, lang: str, rng: random.Random, pool: list[str], drop: float = 0.30, merge: float = 0.10, split: float = 0.05, add: float = 0.10, moves: tuple[int, int] = (1, 2)) -> Pair:
    """One abridged and edited pair; see the module docstring."""
    joiner = "" if lang.startswith("zh") else " "
    n = len(doc.src)
    dropped = _drops(n, rng, drop)
    # Source lines: merge some neighbours (two source sentences in one line).
    src_groups: list[list[int]] = []
    k = 0
    while k < n:
        if k + 1 < n and rng.random() < merge / 2 and k not in dropped and k + 1 not in dropped:
            src_groups.append([k, k + 1])
            k += 2
        else:
            src_groups.append([k])
            k += 1
    src_lines = [joiner.join(doc.src[s] for s in g) for g in src_groups]
    # English items: (text, source line index or None for an added line).
    items: list[tuple[str, int | None]] = []
    g = 0
    while g < len(src_groups):
        group = src_groups[g]
        if group[0] in dropped:
            g += 1
            continue
        text = " ".join(doc.en[s] for s in group)
        nxt = src_groups[g + 1] if g + 1 < len(src_groups) else None
        if len(group) == 1 and nxt is not None and len(nxt) == 1 and nxt[0] not in dropped and rng.random() < merge / 2:
            items.append((text + " " + doc.en[nxt[0]], -g - 2))  # -g-2: lines g and g+1 merged
            g += 2
            continue
        if len(group) == 1 and rng.random() < split:
            parts = _split_sentence(text, rng)
            if parts:
                items.append((parts[0], g))
                items.append((parts[1], g))
                g += 1
                continue
        items.append((text, g))
        g += 1
    # Added English lines from other documents.
    for _ in range(round(add * n)):
        if pool:
            items.insert(rng.randrange(len(items) + 1), (rng.choice(pool), None))
    # Moved paragraphs: a run of 2-4 lines moved at least 3 lines away.
    for _ in range(rng.randint(*moves)):
        if len(items) < 10:
            break
        size = rng.randint(2, 4)
        start = rng.randrange(0, len(items) - size)
        block = items[start : start + size]
        rest = items[:start] + items[start + size :]
        choices = [p for p in range(len(rest) + 1) if abs(p - start) >= 3]
        if not choices:
            continue
        pos = rng.choice(choices)
        items = rest[:pos] + block + rest[pos:]
    tgt = [t for t, _ in items]
    links: dict[tuple[int, ...], list[int]] = {}
    for j, (_, who) in enumerate(items):
        if who is None:
            continue
        key = (who,) if who >= 0 else (-who - 2, -who - 1)
        links.setdefault(key, []).append(j)
    gold: Gold = set()
    for src_key, tgt_idx in links.items():
        if len(tgt_idx) == 2 and tgt_idx[1] != tgt_idx[0] + 1:
            continue  # a split whose halves a move separated: no contiguous gold link
        gold.add((src_key, tuple(tgt_idx)))
    return Pair(doc.id, src_lines, tgt, gold)


def strict(doc: Doc, lang: str, rng: random.Random, merge: float = 0.10, drop: float = 0.05) -> Pair:
    """A strict translation with light noise: ~10 % source merges, ~5 % English lines dropped."""
    joiner = "" if lang.startswith("zh") else " "
    n = len(doc.src)
    groups: list[list[int]] = []
    k = 0
    while k < n:
        if k + 1 < n and rng.random() < merge:
            groups.append([k, k + 1])
            k += 2
        else:
            groups.append([k])
            k += 1
    kept = [j for j in range(len(doc.en)) if rng.random() >= drop] or [0]
    new_index = {j: t for t, j in enumerate(kept)}
    gold: Gold = set()
    for s, grp in enumerate(groups):
        tgt = tuple(new_index[k] for k in grp if k in new_index)
        if tgt:
            gold.add(((s,), tgt))
    return Pair(doc.id, [joiner.join(doc.src[k] for k in g) for g in groups], [doc.en[j] for j in kept], gold)


def pairs(docs: list[Doc], lang: str, seed: int, kind: str = "edited") -> list[Pair]:
    """One edited (or strict) pair per document, seeded by (seed, lang, doc id)."""
    out = []
    for d in docs:
        rng = random.Random(f"{seed}:{lang}:{d.id}:{kind}")
        if kind == "strict":
            out.append(strict(d, lang, rng))
        else:
            pool = [s for other in docs if other.id != d.id for s in other.en[:40]]
            out.append(edit(d, lang, rng, pool))
    return out
