"""The demo's outputs, normalized: what `make demo` writes, minus what changes on every run.

Used by tests/e2e/test_demo_snapshot.py, which compares a fresh demo run with the
committed snapshot in tests/fixtures/demo_snapshot/. When the demo's output changes ON
PURPOSE (a better aligner, a new record field, a changed demo page), regenerate the
snapshot, read the diff, and commit it with the change:

    PYTHONPATH=. .venv/bin/python tests/demo_snapshot.py            # runs the demo, rewrites the snapshot
    PYTHONPATH=. .venv/bin/python tests/demo_snapshot.py OUTPUT_DIR # normalizes an existing demo output
    git diff --stat tests/fixtures/demo_snapshot/

Normalized away: the loopback port of the demo site (and so the document ids, a hash
of the URL), run ids and Prefect's flow run ids, timestamps (ISO, HTTP and TMX forms) and the output directory.
Everything else (documents, segments, translations, alignments, TMX, XLIFF, review
pages) must match byte for byte.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "tests" / "fixtures" / "demo_snapshot"
COMPARED = ("docs", "export")  # documents, TMX, XLIFF, review pages (not runs/, the run records)

_VOLATILE = [
    (re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?"), "<TIME>"),
    (re.compile(r"\b\d{8}T\d{6}Z-[0-9a-f]{8}\b"), "<RUN>"),
    (re.compile(r"\b\d{8}T\d{6}Z\b"), "<TIME>"),
    (re.compile(r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\b"), "<HTTPDATE>"),
    (re.compile(r"\b(127\.0\.0\.1|localhost):\d+\b"), r"\1:<PORT>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<UUID>"),  # Prefect run ids
]


def run_demo(output: Path) -> None:
    """`newsbridge demo --output OUTPUT` in a subprocess, as `make demo` runs it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    env.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="newsbridge-demo-prefect-"))
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "demo", "--listed", "--output", str(output)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"newsbridge demo exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def normalized(output: Path) -> dict[str, str]:
    """Relative path -> normalized text of every compared file of a demo output."""
    # document id (a hash of the URL, so of the port) -> a name from its source id
    doc_names: dict[str, str] = {}
    for pointer in sorted((output / "docs").glob("*/latest.json")):
        record = json.loads((output / json.loads(pointer.read_text(encoding="utf-8"))["path"]).read_text(encoding="utf-8"))
        doc_names[record["doc_id"]] = f"<DOC:{record['source_id']}>"

    def clean(text: str) -> str:
        text = text.replace(str(output.resolve()), "<OUT>").replace(str(output), "<OUT>")
        for doc_id, name in doc_names.items():
            text = text.replace(doc_id, name)
        for pattern, repl in _VOLATILE:
            text = pattern.sub(repl, text)
        return text

    files: dict[str, str] = {}
    for top in COMPARED:
        for path in sorted((output / top).rglob("*")):
            if path.is_file():
                files[clean(path.relative_to(output).as_posix())] = clean(path.read_text(encoding="utf-8"))
    return files


def snapshot_name(rel: str) -> str:
    """A file name of the snapshot folder for a normalized relative path (no '<', ':' or '>')."""
    return re.sub(r"<DOC:([\w.-]+)>", r"DOC-\1", rel)


def read_snapshot(folder: Path = SNAPSHOT) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*")) if p.is_file()}


def write_snapshot(files: dict[str, str], folder: Path = SNAPSHOT) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    for rel, text in files.items():
        path = folder / snapshot_name(rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def as_snapshot(files: dict[str, str]) -> dict[str, str]:
    """The normalized files keyed as the snapshot folder names them."""
    return {snapshot_name(rel): text for rel, text in files.items()}


def main(argv: list[str]) -> int:
    if argv:
        files = normalized(Path(argv[0]))
    else:
        with tempfile.TemporaryDirectory(prefix="newsbridge-demo-") as tmp:
            run_demo(Path(tmp) / "demo")
            files = normalized(Path(tmp) / "demo")
    write_snapshot(files)
    print(f"wrote {len(files)} normalized files to {SNAPSHOT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
