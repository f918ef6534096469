"""Storage: atomic files, content-addressed raw snapshots, document JSON and run records."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from tasks.models import SOURCE_ID_RE


class UnsafePathError(ValueError):
    """A path built from crawled or configured data would leave the output directory."""


def write_atomic(path: Path, data: bytes) -> None:
    """Write via a temp file in the same directory + fsync + rename: readers see old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    # fsync the directory so the rename itself survives a power cut.
    try:
        dfd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def write_json_atomic(path: Path, obj: Any) -> None:
    write_atomic(path, (json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n").encode("utf-8"))


def safe_join(root: Path, *parts: str) -> Path:
    """Join parts under root, refusing anything that would escape it."""
    root_resolved = root.resolve()
    for part in parts:
        if not part or part in (".", "..") or "/" in part or "\\" in part or "\x00" in part:
            raise UnsafePathError(f"unsafe path component: {part!r}")
    candidate = root_resolved.joinpath(*parts).resolve()
    if root_resolved != candidate and root_resolved not in candidate.parents:
        raise UnsafePathError(f"path escapes {root}: {'/'.join(parts)!r}")
    return candidate


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def store_raw(output_dir: Path, content: bytes) -> str:
    """Store raw bytes gzipped and content-addressed; returns the path relative to output_dir."""
    digest = sha256_hex(content)
    rel = Path("raw") / digest[:2] / f"{digest}.html.gz"
    dest = output_dir / rel
    if not dest.exists():
        # mtime=0 keeps the gzip bytes a pure function of the content.
        write_atomic(dest, gzip.compress(content, mtime=0))
    return rel.as_posix()


def read_raw(output_dir: Path, rel: str) -> bytes:
    return gzip.decompress((output_dir / rel).read_bytes())


def document_dir(output_dir: Path, source_id: str, doc_id: str) -> Path:
    if not SOURCE_ID_RE.match(source_id):
        raise UnsafePathError(f"invalid source id for a path: {source_id!r}")
    if not SOURCE_ID_RE.match(doc_id):
        raise UnsafePathError(f"invalid document id for a path: {doc_id!r}")
    return safe_join(output_dir, "docs", source_id, doc_id)
