"""The lexicon the archive teaches itself: word translations learned from exported story links.

After each night, `learn_lexicon(pairs, location)` takes the texts of the archive's
**exported** sentence links to the pivot (English) version (collected by
tasks/review/link_review.py's `remember_story_links`: calibrated links the aligner trusts,
and unsure links a translator confirmed), tokenises both sides (tasks/align/ibm1.py) and
re-estimates IBM Model 1 word-translation probabilities per language pair from all of
them (5 EM iterations, at most `MAX_PAIRS` link pairs, pruned to the 5 best translations
per word at p >= 0.05). The table replaces the previous night's in one transaction.
A language pair with fewer than MIN_LINKS (300) exported links is not learned yet: below
that the learned table is noisier than the shipped dictionaries (bench/eval_lexicon.py).

Storage is beside the translation memory, at the same location: a `lexicon` table (and a
`lexicon_runs` row per language pair saying when and from how many links it was learned)
in the memory's SQLite file, or in its PostgreSQL database when the memory is a DSN.

`load_lexicon(location, src, tgt)` gives the aligner and the pairer the table as
`Mapping[str, Mapping[str, float]]`: source word -> English stem -> probability (an empty
mapping when nothing has been learned yet).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping, Sequence

from tasks.langs import base_lang

MAX_PAIRS = 200_000  # sentence links per language pair per night (newest documents first)
ITERATIONS = 5
MIN_PROB = 0.05
MIN_LINKS = 300  # fewer links learn a table noisier than the shipped dictionaries alone (bench/eval_lexicon.py)
TOP = 5
LEXICON_SCHEMA = """
CREATE TABLE IF NOT EXISTS lexicon (
    src TEXT NOT NULL,
    tgt TEXT NOT NULL,
    word TEXT NOT NULL,
    translation TEXT NOT NULL,
    prob REAL NOT NULL,
    PRIMARY KEY (src, tgt, word, translation)
);
CREATE TABLE IF NOT EXISTS lexicon_runs (
    src TEXT NOT NULL,
    tgt TEXT NOT NULL,
    trained_at TEXT NOT NULL,
    links INTEGER NOT NULL,
    words INTEGER NOT NULL,
    iterations INTEGER NOT NULL,
    PRIMARY KEY (src, tgt)
)
"""


def _is_dsn(location: str) -> bool:
    return location.split("://", 1)[0].lower() in ("postgresql", "postgres") if "://" in location else False


def _sqlite_path(location: str) -> Path:
    return Path(location[len("sqlite:///") :] if location.startswith("sqlite:///") else location)


class LexiconStore:
    """The `lexicon` tables at the translation memory's location (SQLite path or PostgreSQL DSN)."""

    def __init__(self, location: str | Path) -> None:
        self.location = str(location)
        self.pg = _is_dsn(self.location)
        if self.pg:
            import psycopg

            self._db: Any = psycopg.connect(self.location, connect_timeout=10, autocommit=False)
            with self._db.transaction():
                self._db.execute("SELECT pg_advisory_xact_lock(%s)", (0x6E626C78,))  # "nblx": schema creation
                for stmt in filter(None, (s.strip() for s in LEXICON_SCHEMA.split(";"))):
                    self._db.execute(stmt.replace("REAL", "DOUBLE PRECISION"))
        else:
            path = _sqlite_path(self.location)
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), timeout=60.0, isolation_level=None)
            self._db.execute("PRAGMA busy_timeout = 60000")
            self._db.executescript(LEXICON_SCHEMA)

    def replace(self, src: str, tgt: str, table: Mapping[str, Mapping[str, float]], meta: dict[str, int]) -> int:
        """The pair's table becomes `table` (one transaction); returns the rows written."""
        rows = [(src, tgt, w, e, float(p)) for w, row in sorted(table.items()) for e, p in sorted(row.items())]
        run = (src, tgt, datetime.now(timezone.utc).isoformat(timespec="seconds"), meta.get("links", 0), len(table),
               meta.get("iterations", ITERATIONS))
        if self.pg:
            with self._db.transaction():
                self._db.execute("DELETE FROM lexicon WHERE src = %s AND tgt = %s", (src, tgt))
                with self._db.cursor() as cur:
                    cur.executemany("INSERT INTO lexicon VALUES (%s, %s, %s, %s, %s)", rows)
                self._db.execute("DELETE FROM lexicon_runs WHERE src = %s AND tgt = %s", (src, tgt))
                self._db.execute("INSERT INTO lexicon_runs VALUES (%s, %s, %s, %s, %s, %s)", run)
        else:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("DELETE FROM lexicon WHERE src = ? AND tgt = ?", (src, tgt))
                self._db.executemany("INSERT INTO lexicon VALUES (?, ?, ?, ?, ?)", rows)
                self._db.execute("INSERT OR REPLACE INTO lexicon_runs VALUES (?, ?, ?, ?, ?, ?)", run)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return len(rows)

    def load(self, src: str, tgt: str) -> dict[str, dict[str, float]]:
        q = "SELECT word, translation, prob FROM lexicon WHERE src = {0} AND tgt = {0}".format("%s" if self.pg else "?")
        if self.pg:
            with self._db.transaction():
                rows = self._db.execute(q, (src, tgt)).fetchall()
        else:
            rows = self._db.execute(q, (src, tgt)).fetchall()
        out: dict[str, dict[str, float]] = {}
        for word, translation, prob in rows:
            out.setdefault(word, {})[translation] = float(prob)
        return out

    def runs(self) -> list[dict[str, Any]]:
        cols = ("src", "tgt", "trained_at", "links", "words", "iterations")
        q = f"SELECT {', '.join(cols)} FROM lexicon_runs ORDER BY src, tgt"
        if self.pg:
            with self._db.transaction():
                rows = self._db.execute(q).fetchall()
        else:
            rows = self._db.execute(q).fetchall()
        return [dict(zip(cols, r)) for r in rows]

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "LexiconStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def load_lexicon(location: str | Path | None, src: str, tgt: str = "en") -> Mapping[str, Mapping[str, float]]:
    """The learned table for src -> tgt at the memory's location; {} when there is none (or no store)."""
    if location is None:
        return {}
    if not _is_dsn(str(location)) and not _sqlite_path(str(location)).exists():
        return {}
    try:
        with LexiconStore(location) as store:
            return store.load(base_lang(src), base_lang(tgt))
    except (sqlite3.Error, OSError):
        return {}


def archive_lexicon(output_dir: Path, src: str, tgt: str) -> Mapping[str, Mapping[str, float]]:
    """The table the archive learned for src -> tgt, beside this output's translation memory ({} when none)."""
    from tasks.settings import get_settings

    if base_lang(tgt) != "en" or base_lang(src) in {"en", "und"}:
        return {}
    return load_lexicon(get_settings().tm_location(Path(output_dir)), src, tgt)


@dataclass
class LearnReport:
    pairs: dict[str, dict[str, Any]] = field(default_factory=dict)  # "vi-en" -> {links, words, rows} or {links, skipped}

    def as_dict(self) -> dict[str, Any]:
        return {"lexicon": self.pairs}


def learn_from_pairs(pairs: Sequence[tuple[str, str]], src: str, tgt: str, iterations: int = ITERATIONS) -> dict[str, dict[str, float]]:
    """The pruned IBM Model 1 table of (source text, target text) pairs."""
    from tasks.align.ibm1 import prune, tokens, train

    tokenised = [(tokens(a, src), tokens(b, tgt)) for a, b in pairs[-MAX_PAIRS:]]
    return prune(train(tokenised, iterations, max_pairs=MAX_PAIRS), MIN_PROB, TOP)


def learn_lexicon(
    by_pair: Mapping[tuple[str, str], Sequence[tuple[str, str]]], location: str | Path,
    iterations: int = ITERATIONS, min_links: int = MIN_LINKS,
) -> LearnReport:
    """Re-learn every language pair's lexicon from the archive's exported links (source lang, pivot lang) ->
    (source text, pivot text); store it beside the memory.

    A pair with fewer than `min_links` links is not learned (recorded as skipped): on a
    fresh archive the shipped dictionaries alone are the better evidence."""
    report = LearnReport()
    if not by_pair:
        return report
    with LexiconStore(location) as store:
        for (src, tgt), pairs in sorted(by_pair.items()):
            if len(pairs) < min_links:
                report.pairs[f"{src}-{tgt}"] = {"links": len(pairs), "skipped": f"fewer than {min_links} links"}  # type: ignore[dict-item]
                continue
            table = learn_from_pairs(pairs, src, tgt, iterations)
            rows = store.replace(src, tgt, table, {"links": len(pairs), "iterations": iterations})
            report.pairs[f"{src}-{tgt}"] = {"links": len(pairs), "words": len(table), "rows": rows}
    return report
