"""One write lock per stored document, shared by every writer: the crawl's store and a reviewer's save.

A crawl writes a document's new version after carrying reviews over from the latest one;
a reviewer's save (browser app, `review import`, a link decision) rewrites the latest one.
Without a common lock a save landing between the crawl's read and its write is lost from
the document. Both take `document_lock(output_dir, source_id)` around read → write:

- an exclusive `flock` on one of `STRIPES` lock files under `<output>/review/locks/`
  (the stripe is a hash of the source id: documents rarely wait for each other), for every
  process on this machine;
- and, when the translation memory (or the frontier) is on PostgreSQL — shards on several
  machines share the output directory, where `flock` is not to be trusted — a session
  advisory lock on the source id in that database, for every machine.

Every writer takes the file lock first, then the database lock: no deadlock.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

STRIPES = 64
LOCK_DIR = "review/locks"
_PG_NAMESPACE = 0x6E62  # "nb": the first key of pg_advisory_lock(int, int)


def _key(source_id: str) -> int:
    return int.from_bytes(hashlib.sha256(source_id.encode("utf-8")).digest()[:4], "big", signed=True)


def is_postgres(location: str | None) -> bool:
    return location is not None and str(location).split("://", 1)[0].lower() in ("postgresql", "postgres")


@contextmanager
def document_lock(output_dir: Path, source_id: str, dsn: str | None = None) -> Iterator[None]:
    """Hold the write lock of one stored document (see the module docstring); `dsn`: a
    postgresql:// DSN to lock across machines too (anything else: the file lock only)."""
    import fcntl

    folder = Path(output_dir) / LOCK_DIR
    folder.mkdir(parents=True, exist_ok=True)
    stripe = _key(source_id) % STRIPES
    fd = os.open(folder / f"{stripe:02d}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if is_postgres(dsn):
            import psycopg

            with psycopg.connect(str(dsn), autocommit=True, connect_timeout=10) as conn:
                conn.execute("SELECT pg_advisory_lock(%s, %s)", (_PG_NAMESPACE, _key(source_id)))
                try:
                    yield
                finally:
                    conn.execute("SELECT pg_advisory_unlock(%s, %s)", (_PG_NAMESPACE, _key(source_id)))
        else:
            yield
    finally:
        os.close(fd)  # releases the flock
