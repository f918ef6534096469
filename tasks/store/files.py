"""Storage: atomic files, safe paths, content-addressed raw snapshots, document paths and run records.

The stored document itself (its type, reader and writer) is tasks/store/document.py.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from tasks.models import SOURCE_ID_RE, Rejection, SourceOutcome


class UnsafePathError(ValueError):
    """A path built from crawled or configured data would leave the output directory."""


def write_atomic(path: Path, data: bytes) -> None:
    """Write via a temp file in the same directory + fsync + rename: readers see old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # The writer's pid in the name lets the next run remove what a SIGKILLed run left behind.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
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


_TEMP_NAME_RE = re.compile(r"^\..+\.(\d+)\.[A-Za-z0-9_]+\.tmp\Z")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_temp_files(output_dir: Path) -> list[Path]:
    """Remove write_atomic temp files whose writer process is gone (a killed run); returns them.

    Files of live processes (this one included) are left alone, so a concurrent writer on
    this machine never loses its temp file. Writers on other machines sharing the output
    directory cannot be told apart: run the sweep there only when no other host writes.
    """
    removed: list[Path] = []
    if not output_dir.is_dir():
        return removed
    me = os.getpid()
    for p in output_dir.rglob(".*.tmp"):
        m = _TEMP_NAME_RE.match(p.name)
        if m is None or not p.is_file():
            continue
        pid = int(m.group(1))
        if pid == me or _pid_alive(pid):
            continue
        try:
            p.unlink()
        except FileNotFoundError:
            continue
        removed.append(p)
    return removed


def append_lines(path: Path, lines: list[str]) -> None:
    """Append whole lines to an append-only log in one write (O_APPEND) + fsync; never rewrites what is there."""
    if not lines:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(line.rstrip("\n") + "\n" for line in lines).encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


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


# --------------------------------------------------------------------------- documents

def doc_id_for(url: str) -> str:
    """Stable id of an article across content versions: a hash of its URL."""
    return sha256_hex(url.encode("utf-8"))[:16]


def version_for(sha256: str) -> str:
    """Id of one content version: a prefix of the raw bytes' sha256."""
    return sha256[:16]


def latest_document(output_dir: Path, source_id: str) -> str | None:
    """Relative path of the newest stored version of a source, or None."""
    pointer = safe_join(output_dir, "docs", source_id, "latest.json")
    try:
        data = json.loads(pointer.read_text(encoding="utf-8"))
        doc_id, version = data["doc_id"], data["version"]
    except (FileNotFoundError, json.JSONDecodeError, KeyError, TypeError):
        return None
    # Rebuilt from its parts, never taken as written: a tampered pointer cannot lead
    # a reader outside the source's own folder.
    if not (isinstance(version, str) and SOURCE_ID_RE.match(version) and isinstance(doc_id, str)):
        return None
    try:
        path = document_dir(output_dir, source_id, doc_id) / f"{version}.json"
    except UnsafePathError:
        return None
    return path.relative_to(output_dir.resolve()).as_posix()


def iter_documents(output_dir: Path) -> list[Path]:
    """Every stored document version (latest pointers excluded), sorted."""
    docs = output_dir / "docs"
    if not docs.is_dir():
        return []
    return sorted(p for p in docs.glob("*/*/*.json"))


# --------------------------------------------------------------------------- runs


def write_run_records(
    output_dir: Path,
    run_id: str,
    *,
    outcomes: list[SourceOutcome],
    stats: dict[str, Any],
    rejections: list[Rejection],
    meta: dict[str, Any],
) -> Path:
    """Write runs/<run-id>/{manifest.json, stats.json, rejected.jsonl} atomically."""
    run_dir = safe_join(output_dir, "runs", run_id)
    write_json_atomic(
        run_dir / "manifest.json",
        {**meta, "run_id": run_id, "sources": [o.model_dump(mode="json") for o in outcomes]},
    )
    write_json_atomic(run_dir / "stats.json", stats)
    lines = "".join(json.dumps(r.model_dump(mode="json"), ensure_ascii=False) + "\n" for r in rejections)
    write_atomic(run_dir / "rejected.jsonl", lines.encode("utf-8"))
    return run_dir
