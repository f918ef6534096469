"""What every translation-memory backend shares: the entry, the backend interface, the table.

`tasks/translate/memory.py` (the memory's rules and the SQLite backend) and `tasks/translate/memory_pg.py`
(the PostgreSQL backend) both build on this module; it imports neither of them.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from typing import Literal, Protocol, Sequence

TMState = Literal["mt", "reviewed", "final"]
STATE_RANK: dict[str, int] = {"mt": 0, "reviewed": 1, "final": 2}


def source_hash(text: str) -> str:
    """sha256 hex of the NFC-normalised text (NFD Vietnamese hits the same entry)."""
    return hashlib.sha256(unicodedata.normalize("NFC", text).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TMEntry:
    source_hash: str
    src: str
    tgt: str
    model: str
    source_text: str
    text: str
    state: str
    created: str
    updated: str
    reviewer: str | None = None  # who reviewed a reviewed/final entry, when known


class TMBackend(Protocol):
    """What a storage backend provides; rows are TMEntry."""

    def fetch(self, hashes: Sequence[str], src: str, tgt: str, model: str) -> list[TMEntry]:
        """Entries for these hashes and pair: this model's, plus any reviewed/final."""

    def upsert(self, entries: Sequence[TMEntry]) -> int:
        """Insert or update (never downgrading the state); return rows written."""

    def count(self) -> dict[str, int]:
        """Number of entries per state."""

    def close(self) -> None: ...


# One table for every backend (SQLite in tasks/translate/memory.py, PostgreSQL in tasks/translate/memory_pg.py).
TM_SCHEMA = """
CREATE TABLE IF NOT EXISTS tm (
    source_hash TEXT NOT NULL,
    src TEXT NOT NULL,
    tgt TEXT NOT NULL,
    model TEXT NOT NULL,
    source_text TEXT NOT NULL,
    text TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('mt', 'reviewed', 'final')),
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    reviewer TEXT,
    PRIMARY KEY (source_hash, src, tgt, model)
);
CREATE INDEX IF NOT EXISTS tm_lookup ON tm (source_hash, src, tgt);
"""

# Columns of a TMEntry, in order (SELECT and INSERT lists of every backend).
TM_COLUMNS = "source_hash, src, tgt, model, source_text, text, state, created, updated, reviewer"
# A table made before the reviewer column gets it (each backend checks or uses IF NOT EXISTS).
TM_ADD_REVIEWER = "ALTER TABLE tm ADD COLUMN reviewer TEXT"

# SQL rank of a state column: a write never downgrades a reviewed/final entry.
RANK_SQL = "(CASE {col} WHEN 'final' THEN 2 WHEN 'reviewed' THEN 1 ELSE 0 END)"
