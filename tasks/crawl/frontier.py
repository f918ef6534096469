"""The frontier: every article URL discovery has seen, where, its dates and what became of it.

SQLite (`<output>/frontier.sqlite`, WAL, busy timeout: safe for several processes on one
machine) by default; PostgreSQL when `NEWSBRIDGE_FRONTIER_DSN` (or else
`NEWSBRIDGE_TM_DSN`) is a `postgresql://` DSN, for several machines. One table, one row
per canonical URL:

    url, source_id, outlet, edition, via, found_on, published, date_source,
    first_seen, last_seen, status, reason, run_id, fetched, stored_at, document

`status`: discovered (found, not fetched yet: capped, or planned tonight) | stored |
rejected | failed (retried next run) | skipped_old. A row's final status (stored, rejected,
skipped_old) is changed only by processing (mark_stored / mark_rejected), e.g. on `--force`.
A stored article is never planned again by a normal run (tasks/crawl/discover.py `decide`).
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from tasks.crawl.fetch.state import switch_to_wal
from tasks.models import DiscoveryDecision, FrontierStatus

FRONTIER_FILENAME = "frontier.sqlite"
_COLUMNS = (
    "url", "source_id", "outlet", "edition", "via", "found_on", "published", "date_source",
    "first_seen", "last_seen", "status", "reason", "run_id", "fetched", "stored_at", "document",
)
SCHEMA = """
CREATE TABLE IF NOT EXISTS frontier (
    url TEXT PRIMARY KEY,
    source_id TEXT NOT NULL,
    outlet TEXT NOT NULL,
    edition TEXT NOT NULL,
    via TEXT NOT NULL,
    found_on TEXT,
    published TEXT,
    date_source TEXT,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    run_id TEXT,
    fetched INTEGER NOT NULL DEFAULT 0,
    stored_at TEXT,
    document TEXT
)
"""
_INDEX = "CREATE INDEX IF NOT EXISTS frontier_source ON frontier (source_id)"
# Statuses a decision writes; "fetch" is remembered as "discovered" until the store says more.
_DECISION_STATUS: dict[DiscoveryDecision, FrontierStatus] = {
    "fetch": "discovered", "skipped_cap": "discovered", "skipped_old": "skipped_old", "robots_disallowed": "rejected",
}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


class Frontier:
    """The frontier on a DB-API connection factory; `?` placeholders (rewritten for PostgreSQL)."""

    def __init__(self, connect: Any, *, postgres: bool = False, location: str = ""):
        self._connect = connect
        self._pg = postgres
        self.location = location
        self._lock = threading.Lock()
        with closing(self._connect()) as conn:
            if postgres:
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (0x6E626672,))
                    conn.execute(SCHEMA)
                    conn.execute(_INDEX)
            else:
                with conn:
                    conn.execute(SCHEMA)
                    conn.execute(_INDEX)

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self._pg else sql

    def _exec(self, sql: str, rows: Iterable[tuple[Any, ...]]) -> None:
        rows = list(rows)
        if not rows:
            return
        with closing(self._connect()) as conn:
            if self._pg:
                with conn.transaction(), conn.cursor() as cur:
                    cur.executemany(self._sql(sql), rows)
            else:
                with conn:
                    conn.executemany(sql, rows)

    def _query(self, sql: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
        with closing(self._connect()) as conn:
            cur = conn.execute(self._sql(sql), args)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row)) for row in cur.fetchall()]

    # -- discovery
    def get_many(self, urls: list[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for i in range(0, len(urls), 500):
            chunk = urls[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._query(f"SELECT * FROM frontier WHERE url IN ({marks})", tuple(chunk)):
                out[row["url"]] = row
        return out

    def record(self, decisions: Iterable[Any], run_id: str) -> None:
        """Remember every decided candidate (tasks.crawl.discover.Decision); a final status is never undone here."""
        now = _now()
        rows = []
        for d in decisions:
            disc = d.discovery
            rows.append((
                d.url, d.source_id, d.outlet, d.edition, disc.via, disc.found_on, disc.published, disc.date_source,
                now, now, _DECISION_STATUS.get(d.outcome, "discovered"), d.reason, run_id,
            ))
        self._exec(
            "INSERT INTO frontier (url, source_id, outlet, edition, via, found_on, published, date_source,"
            " first_seen, last_seen, status, reason, run_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT(url) DO UPDATE SET last_seen = excluded.last_seen,"
            " published = COALESCE(frontier.published, excluded.published),"
            " date_source = COALESCE(frontier.date_source, excluded.date_source),"
            " status = CASE WHEN frontier.status IN ('stored', 'skipped_old', 'rejected')"
            " THEN frontier.status ELSE excluded.status END,"
            " reason = CASE WHEN frontier.status IN ('stored', 'skipped_old', 'rejected')"
            " THEN frontier.reason ELSE excluded.reason END, run_id = excluded.run_id",
            rows,
        )

    def pending(self, outlet: str) -> list[dict[str, Any]]:
        """Articles found earlier and never fetched (over the cap then): candidates again tonight."""
        return self._query("SELECT * FROM frontier WHERE outlet = ? AND status = 'discovered'", (outlet,))

    # -- processing (the contract with the flow: called for every source, unknown ids are no-ops)
    def mark_stored(self, source_id: str, document: str | None, run_id: str) -> None:
        self._exec(
            "UPDATE frontier SET status = 'stored', reason = NULL, fetched = 1, stored_at = ?, document = ?, run_id = ?"
            " WHERE source_id = ?",
            [(_now(), document, run_id, source_id)],
        )

    def mark_rejected(self, source_id: str, reason: str, run_id: str, *, failed: bool = False) -> None:
        """A fetched-and-refused article (`failed`: a fault of the site or network, retried next run)."""
        status = "failed" if failed else ("skipped_old" if reason == "skipped_old" else "rejected")
        self._exec(
            "UPDATE frontier SET status = ?, reason = ?, fetched = 1, run_id = ? WHERE source_id = ? AND status != 'stored'",
            [(status, reason, run_id, source_id)],
        )

    # -- pairing
    def stored(self, outlet: str | None = None) -> list[dict[str, Any]]:
        """Every stored article (of one outlet), for pairing against tonight's versions."""
        if outlet is None:
            return self._query("SELECT * FROM frontier WHERE status = 'stored'", ())
        return self._query("SELECT * FROM frontier WHERE status = 'stored' AND outlet = ?", (outlet,))

    def by_source(self, source_id: str) -> dict[str, Any] | None:
        rows = self._query("SELECT * FROM frontier WHERE source_id = ?", (source_id,))
        return rows[0] if rows else None

    def count(self, status: str | None = None) -> int:
        if status is None:
            return int(self._query("SELECT COUNT(*) AS n FROM frontier", ())[0]["n"])
        return int(self._query("SELECT COUNT(*) AS n FROM frontier WHERE status = ?", (status,))[0]["n"])

    def close(self) -> None:
        """Nothing held open: one short connection per call."""


def _sqlite_factory(path: Path) -> Any:
    path.parent.mkdir(parents=True, exist_ok=True)

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(path, timeout=30)
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    with closing(connect()) as conn:
        switch_to_wal(conn)
    return connect


def frontier_location(output_dir: Path) -> str:
    """NEWSBRIDGE_FRONTIER_DSN, else a postgresql:// NEWSBRIDGE_TM_DSN, else <output>/frontier.sqlite."""
    import os

    from tasks.settings import get_settings

    dsn = os.environ.get("NEWSBRIDGE_FRONTIER_DSN") or get_settings().tm_dsn
    if dsn and dsn.split("://", 1)[0].lower() in ("postgresql", "postgres"):
        return dsn
    return str(Path(output_dir) / FRONTIER_FILENAME)


def open_frontier(output_dir: Path | str, location: str | None = None) -> Frontier:
    """Open (and create) the frontier for an output directory."""
    loc = location or frontier_location(Path(output_dir))
    if loc.split("://", 1)[0].lower() in ("postgresql", "postgres"):
        import psycopg

        return Frontier(lambda: psycopg.connect(loc, autocommit=True, connect_timeout=10), postgres=True, location=loc)
    return Frontier(_sqlite_factory(Path(loc)), location=loc)
