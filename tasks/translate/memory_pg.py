"""Translation memory on PostgreSQL: the same table, key and state rules as the SQLite backend.

Used when several machines write (a Dask cluster, several work-pool workers): set
`NEWSBRIDGE_TM_DSN=postgresql://user:password@host:5432/dbname` (any libpq URI, e.g.
`postgresql://user@/db?host=/run/postgresql` for a unix socket). `tasks.translate.memory.open_memory`
picks this backend for `postgresql://` and `postgres://` locations.

- Schema creation is serialised with a transaction-level advisory lock, so many
  processes may open a fresh database at once.
- Each batch is one statement over arrays (`unnest`) in one transaction; the
  never-downgrade rule is the `ON CONFLICT ... DO UPDATE ... WHERE` clause, evaluated
  under the row lock, so concurrent writers cannot replace reviewed work with MT.
"""

from __future__ import annotations

import re
import threading
from typing import Sequence

import psycopg

from tasks.translate.memory_backend import RANK_SQL as _RANK
from tasks.translate.memory_backend import TM_SCHEMA as _SCHEMA
from tasks.translate.memory_backend import TM_ADD_REVIEWER, TM_COLUMNS, TMEntry

_LOCK_KEY = 0x6E62746D  # "nbtm": advisory lock id for schema creation


_UPSERT = (
    f"INSERT INTO tm ({TM_COLUMNS}) "
    "SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], "
    "%s::text[], %s::text[], %s::text[]) "
    "ON CONFLICT (source_hash, src, tgt, model) DO UPDATE SET "
    "text = excluded.text, state = excluded.state, updated = excluded.updated, source_text = excluded.source_text, reviewer = excluded.reviewer "
    f"WHERE {_RANK.format(col='excluded.state')} >= {_RANK.format(col='tm.state')}"
)


def redact(dsn: str) -> str:
    """The DSN without its password, for messages."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", dsn)


class PostgresBackend:
    """One connection per backend (per process or task); batches are single transactions."""

    def __init__(self, dsn: str, connect_timeout: int = 10) -> None:
        self.dsn = dsn
        self._lock = threading.Lock()
        try:
            self._db = psycopg.connect(dsn, connect_timeout=connect_timeout, autocommit=False)
        except psycopg.OperationalError as exc:
            raise ConnectionError(
                f"translation memory: cannot connect to PostgreSQL at {redact(dsn)}: {str(exc).strip()}"
            ) from exc
        with self._lock, self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            for stmt in filter(None, (s.strip() for s in _SCHEMA.split(";"))):
                self._db.execute(stmt)
            self._db.execute(TM_ADD_REVIEWER.replace("ADD COLUMN", "ADD COLUMN IF NOT EXISTS"))

    def fetch(self, hashes: Sequence[str], src: str, tgt: str, model: str) -> list[TMEntry]:
        unique = list(dict.fromkeys(hashes))
        if not unique:
            return []
        with self._lock, self._db.transaction():
            rows = self._db.execute(
                f"SELECT {TM_COLUMNS} "
                "FROM tm WHERE src = %s AND tgt = %s AND source_hash = ANY(%s) "
                "AND (model = %s OR state IN ('reviewed', 'final'))",
                (src, tgt, unique, model),
            ).fetchall()
        return [TMEntry(*row) for row in rows]

    def upsert(self, entries: Sequence[TMEntry]) -> int:
        if not entries:
            return 0
        columns = [list(col) for col in zip(*(
            (e.source_hash, e.src, e.tgt, e.model, e.source_text, e.text, e.state, e.created, e.updated, e.reviewer)
            for e in entries
        ))]
        with self._lock, self._db.transaction():
            cur = self._db.execute(_UPSERT, columns)
            return max(cur.rowcount, 0)

    def count(self) -> dict[str, int]:
        with self._lock, self._db.transaction():
            rows = self._db.execute("SELECT state, COUNT(*) FROM tm GROUP BY state").fetchall()
        return {state: int(n) for state, n in rows}

    def close(self) -> None:
        with self._lock:
            self._db.close()
