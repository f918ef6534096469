"""The export after every run: what unchanged documents cost (tasks/night/outputs.py).

    PYTHONPATH=. .venv/bin/python bench/export_incremental.py [--docs 3000] [--repeats 3]

Builds an output folder of N stored documents (copies of a real demo record,
tests/fixtures/stored_document.json, under N source ids), exports it once, then times,
in the same run:
  - ours, nothing changed: `export_changed` again (what a night with no new document adds);
  - ours, one changed: one document re-stored, then `export_changed`;
  - the baseline: `newsbridge export` of the three formats (every document read and written).
Prints seconds (median and range over the repeats) and the ratio baseline / ours.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tasks.night.outputs import export_changed  # noqa: E402
from tasks.review.export import export_documents  # noqa: E402
from tasks.store.document import parse_document, write_document  # noqa: E402


def store(out: Path, template: dict, sid: str, version: str, extra: str = "") -> None:
    record = copy.deepcopy(template)
    record.update(source_id=sid, version=version, doc_id=f"{sid}-doc", url=f"http://127.0.0.1:8000/{sid}.html")
    record["segments"][1]["text"] += extra
    write_document(out, parse_document(record))


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def spread(xs: list[float]) -> str:
    return f"{statistics.median(xs):7.2f} s (range {min(xs):.2f}-{max(xs):.2f})"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    template = json.loads((ROOT / "tests" / "fixtures" / "stored_document.json").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="newsbridge-export-bench-") as tmp:
        out = Path(tmp) / "out"
        for i in range(args.docs):
            store(out, template, f"bench-{i:05d}", "v1")
        first = timed(lambda: export_changed(out))
        unchanged, one, full = [], [], []
        for r in range(args.repeats):
            unchanged.append(timed(lambda: export_changed(out)))
            store(out, template, "bench-00000", f"v{r + 2}", extra=f" {r}")
            one.append(timed(lambda: export_changed(out)))
            full.append(timed(lambda: [export_documents(f, out, Path(tmp) / "full" / f) for f in ("html", "tmx", "xliff")]))
    print(f"{args.docs} stored documents, {args.repeats} repeats")
    print(f"first export (everything new)     {first:7.2f} s")
    print(f"ours, nothing changed             {spread(unchanged)}")
    print(f"ours, one document changed        {spread(one)}")
    print(f"baseline: newsbridge export x3    {spread(full)}")
    print(f"ratio baseline / ours (unchanged) {statistics.median(full) / statistics.median(unchanged):7.1f}x")
    print(f"ratio baseline / ours (one)       {statistics.median(full) / statistics.median(one):7.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
