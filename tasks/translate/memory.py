"""Translation memory: never translate the same segment with the same model twice.

Key = (sha256 of the NFC-normalised source text, source lang, target lang, model id +
version); value = text, state (`mt` | `reviewed` | `final`), created/updated (UTC).
Rules:
- a lookup returns the best entry for the source text and pair: `final` over
  `reviewed` (from any model: human work outlives model upgrades) over `mt` from
  exactly this model; a new model version therefore misses and retranslates, and
  nothing else does;
- writes never downgrade: an `mt` write cannot replace a `reviewed`/`final` entry.

Storage is behind a small backend interface (`TMBackend`, defined with the entry and the
table in `tasks/translate/memory_backend.py`); SQLite (WAL, one transaction per batch, busy timeout:
safe for several writer processes) is the default.
`open_memory(location)` picks the backend from the location string, so a PostgreSQL
backend for several machines can be registered in `BACKENDS` by scheme.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import unicodedata
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Sequence

from tasks.translate.memory_backend import (
    RANK_SQL,
    STATE_RANK,
    TM_ADD_REVIEWER,
    TM_COLUMNS,
    TM_SCHEMA,
    TMBackend,
    TMEntry,
    TMState,
    source_hash,
)

__all__ = [
    "RANK_SQL", "STATE_RANK", "TM_SCHEMA", "TMBackend", "TMEntry", "TMState", "source_hash",
    "SQLiteBackend", "TranslationMemory", "BACKENDS", "open_memory",
]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


class SQLiteBackend:
    """SQLite file in WAL mode; each batch is one IMMEDIATE transaction."""

    CHUNK = 500  # host parameters per IN (...) query

    def __init__(self, path: Path, timeout: float = 60.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            str(self.path), timeout=timeout, isolation_level=None, check_same_thread=False
        )
        self._db.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        # Switching a new file to WAL needs an exclusive lock and SQLite answers "database is
        # locked" at once (no busy wait) when another connection is mid-transaction: the
        # batched translate tasks open the memory concurrently, so retry, bounded by timeout.
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._db.execute("PRAGMA journal_mode = WAL")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self._db.execute("PRAGMA synchronous = NORMAL")
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for stmt in filter(None, (s.strip() for s in TM_SCHEMA.split(";"))):
                    self._db.execute(stmt)
                if "reviewer" not in {row[1] for row in self._db.execute("PRAGMA table_info(tm)")}:
                    self._db.execute(TM_ADD_REVIEWER)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def fetch(self, hashes: Sequence[str], src: str, tgt: str, model: str) -> list[TMEntry]:
        out: list[TMEntry] = []
        unique = list(dict.fromkeys(hashes))
        with self._lock:
            for i in range(0, len(unique), self.CHUNK):
                chunk = unique[i : i + self.CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT {TM_COLUMNS} "
                    f"FROM tm WHERE src = ? AND tgt = ? AND source_hash IN ({marks}) "
                    "AND (model = ? OR state IN ('reviewed', 'final'))",
                    (src, tgt, *chunk, model),
                ).fetchall()
                out.extend(TMEntry(*row) for row in rows)
        return out

    def upsert(self, entries: Sequence[TMEntry]) -> int:
        if not entries:
            return 0
        rank_new = RANK_SQL.format(col="excluded.state")
        rank_old = RANK_SQL.format(col="tm.state")
        sql = (
            f"INSERT INTO tm ({TM_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (source_hash, src, tgt, model) DO UPDATE SET "
            "text = excluded.text, state = excluded.state, updated = excluded.updated, "
            "source_text = excluded.source_text, reviewer = excluded.reviewer "
            f"WHERE {rank_new} >= {rank_old}"
        )
        rows = [
            (e.source_hash, e.src, e.tgt, e.model, e.source_text, e.text, e.state, e.created, e.updated, e.reviewer)
            for e in entries
        ]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                before = self._db.total_changes
                self._db.executemany(sql, rows)
                written = self._db.total_changes - before
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return written

    def count(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT state, COUNT(*) FROM tm GROUP BY state").fetchall()
        return {state: n for state, n in rows}

    def close(self) -> None:
        with self._lock:
            self._db.close()


class TranslationMemory:
    """Batch lookups and writes over a backend; hashing and the state rules live here."""

    def __init__(self, backend: TMBackend, location: str = "") -> None:
        self.backend = backend
        self.location = location

    def get_many(self, texts: Sequence[str], src: str, tgt: str, model: str) -> list[TMEntry | None]:
        """The winning entry for each text (same order), or None when nothing usable."""
        hashes = [source_hash(t) for t in texts]
        best: dict[str, TMEntry] = {}
        for entry in self.backend.fetch(hashes, src, tgt, model):
            have = best.get(entry.source_hash)
            if have is None or _better(entry, have, model):
                best[entry.source_hash] = entry
        return [best.get(h) for h in hashes]

    def get(self, text: str, src: str, tgt: str, model: str) -> TMEntry | None:
        return self.get_many([text], src, tgt, model)[0]

    def put_many(
        self,
        items: Iterable[tuple[str, str]],
        src: str,
        tgt: str,
        model: str,
        state: TMState = "mt",
        reviewer: str | None = None,
    ) -> int:
        """Store (source text, translation) pairs in one transaction; never downgrades.

        `reviewer`: who approved reviewed/final entries (the browser app, `review import`).
        """
        if state not in STATE_RANK:
            raise ValueError(f"state must be one of {sorted(STATE_RANK)}, got {state!r}")
        now = _now()
        entries = [
            TMEntry(source_hash(s), src, tgt, model, unicodedata.normalize("NFC", s), t, state, now, now, reviewer)
            for s, t in items
        ]
        return self.backend.upsert(entries)

    def put(
        self, text: str, translation: str, src: str, tgt: str, model: str, state: TMState = "mt", reviewer: str | None = None
    ) -> int:
        return self.put_many([(text, translation)], src, tgt, model, state, reviewer)

    def count(self) -> dict[str, int]:
        return self.backend.count()

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> "TranslationMemory":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _better(a: TMEntry, b: TMEntry, model: str) -> bool:
    """Is `a` a better answer than `b`? state rank, then this model, then newest."""
    ka = (STATE_RANK[a.state], a.model == model, a.updated)
    kb = (STATE_RANK[b.state], b.model == model, b.updated)
    return ka > kb


def _open_sqlite(location: str) -> TMBackend:
    path = location[len("sqlite:///") :] if location.startswith("sqlite:///") else location
    return SQLiteBackend(Path(path))


def _open_postgres(location: str) -> TMBackend:
    from tasks.translate.memory_pg import PostgresBackend  # psycopg only when a DSN asks for it

    return PostgresBackend(location)


# Scheme → backend factory. Anything without a registered scheme is a SQLite path.
BACKENDS: dict[str, Callable[[str], TMBackend]] = {
    "sqlite": _open_sqlite,
    "postgresql": _open_postgres,
    "postgres": _open_postgres,
}


def open_memory(location: str | Path) -> TranslationMemory:
    """Open the memory at a SQLite path / sqlite:/// URL, or a registered DSN scheme."""
    loc = str(location)
    scheme = loc.split("://", 1)[0].lower() if "://" in loc else "sqlite"
    if scheme in ("postgresql", "postgres") and scheme not in BACKENDS:
        raise ValueError(
            f"translation memory {scheme}:// is not available in this version; "
            "use a SQLite path (NEWSBRIDGE_TM_DSN unset)"
        )
    factory = BACKENDS.get(scheme)
    if factory is None:
        raise ValueError(f"unknown translation memory location {loc!r} (a SQLite path or sqlite:///PATH)")
    return TranslationMemory(factory(loc), location=loc)
