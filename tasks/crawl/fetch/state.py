"""Per-URL fetch state (ETag, Last-Modified, sha256) for conditional GETs on the next run.

A small SQLite file under the output directory (`state.sqlite`). One short connection per
call, so it is safe from any thread and from several processes on one machine; rows are
only written by `Fetcher.commit` (fetcher.py), after the document is stored, so a crash between fetch
and store means the page is fetched again next run, never skipped.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

STATE_FILENAME = "state.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS fetch_state (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    sha256 TEXT NOT NULL,
    raw_path TEXT,
    final_url TEXT,
    committed_at TEXT NOT NULL
)
"""

_ROBOTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS robots_run (
    run_id TEXT NOT NULL,
    host TEXT NOT NULL,
    status TEXT NOT NULL,          -- 'pending' | 'allowed' | 'unreachable'
    body TEXT,                     -- robots.txt text when parsed, else NULL (allow all)
    detail TEXT,
    claimed_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (run_id, host)
)
"""


@dataclass(frozen=True, slots=True)
class RobotsRecord:
    status: str
    body: str | None
    detail: str


@dataclass(frozen=True, slots=True)
class FetchState:
    url: str
    etag: str | None
    last_modified: str | None
    sha256: str
    raw_path: str | None
    final_url: str | None
    committed_at: str


def switch_to_wal(conn: sqlite3.Connection, wait_seconds: float = 30) -> None:
    """Put an SQLite file in WAL mode. A new file's switch fails at once ("database is
    locked", no busy wait) while another process or thread is mid-transaction on it:
    retry, bounded."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class FetchStateStore:
    """Read and write the per-URL validators of the last stored fetch."""

    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as conn, conn:
            switch_to_wal(conn)
            conn.execute(_SCHEMA)
            conn.execute(_ROBOTS_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection, kept open: opening, committing with a full sync and
        closing (a WAL checkpoint) once per stored page cost more than storing the page.
        `synchronous=NORMAL` in WAL mode survives a killed process; a power cut may lose
        the last commits, which only means those pages are fetched again."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        yield conn

    def close(self) -> None:
        """Close every thread's connection (the Fetcher's close calls this)."""
        with self._all_lock:
            conns, self._all = self._all, []
        for conn in conns:
            try:
                conn.close()
            except sqlite3.Error:
                pass
        self._local = threading.local()

    def get(self, url: str) -> FetchState | None:
        with self._connection() as conn:
            row = conn.execute(
                "SELECT url, etag, last_modified, sha256, raw_path, final_url, committed_at"
                " FROM fetch_state WHERE url = ?",
                (url,),
            ).fetchone()
        return FetchState(*row) if row else None

    def put(
        self,
        url: str,
        *,
        sha256: str,
        etag: str | None,
        last_modified: str | None,
        raw_path: str | None,
        final_url: str | None,
    ) -> None:
        now = datetime.now(timezone.utc).isoformat()
        with self._connection() as conn, conn:
            conn.execute(
                "INSERT INTO fetch_state (url, etag, last_modified, sha256, raw_path, final_url, committed_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(url) DO UPDATE SET etag=excluded.etag, last_modified=excluded.last_modified,"
                " sha256=excluded.sha256, raw_path=excluded.raw_path, final_url=excluded.final_url,"
                " committed_at=excluded.committed_at",
                (url, etag, last_modified, sha256, raw_path, final_url, now),
            )

    def count(self) -> int:
        with self._connection() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM fetch_state").fetchone()[0])

    # -- robots.txt decisions shared by every process of one run ("one fetch per host per run")
    def claim_robots(self, run_id: str, host: str, claimant: str) -> bool:
        """True if this claimant must fetch robots.txt for host in this run (first to ask)."""
        now = datetime.now(timezone.utc).isoformat()
        with self._connection() as conn, conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO robots_run (run_id, host, status, claimed_by, updated_at)"
                " VALUES (?, ?, 'pending', ?, ?)",
                (run_id, host, claimant, now),
            )
            return cur.rowcount == 1

    def get_robots(self, run_id: str, host: str) -> RobotsRecord | None:
        """The finished decision for host in this run, or None while pending/absent."""
        with self._connection() as conn:
            row = conn.execute(
                "SELECT status, body, detail FROM robots_run WHERE run_id = ? AND host = ? AND status != 'pending'",
                (run_id, host),
            ).fetchone()
        return RobotsRecord(row[0], row[1], row[2] or "") if row else None

    def put_robots(self, run_id: str, host: str, claimant: str, record: RobotsRecord) -> None:
        now = datetime.now(timezone.utc).isoformat()
        with self._connection() as conn, conn:
            conn.execute(
                "INSERT INTO robots_run (run_id, host, status, body, detail, claimed_by, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(run_id, host) DO UPDATE SET status=excluded.status, body=excluded.body,"
                " detail=excluded.detail, claimed_by=excluded.claimed_by, updated_at=excluded.updated_at",
                (run_id, host, record.status, record.body, record.detail, claimant, now),
            )
