"""The translators' outputs after every run, written incrementally.

Under `<output>/export/`: `html/` (one review page per document and an index), `tmx/`
(one TMX per language pair, plus story TMX) and `xliff/` (one XLIFF per document) — the
same files `newsbridge export` writes. A small ledger (`<output>/export-ledger.json`) remembers
each source's exported version, its story partner and the language pairs it fed; a
source whose latest stored version, record and partner did not change is not read, and
its files are not rewritten. Only TMX files of a language pair that gained or changed a
document are rebuilt (from every document of that pair). Unchanged sources cost one
`stat` and one small pointer read each.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NONE

from tasks.review.page import export_html_pages, page_path, render_index_file
from tasks.review.reviews import story_partner
from tasks.review.tmx import TmxUnit, build_tmx, story_units, tmx_name, translation_units
from tasks.review.xliff import build_xliff, xliff_path
from tasks.store.document import StoredDocument, read_document
from tasks.store.files import latest_document, write_atomic

LEDGER = "export-ledger.json"
UNITS = "export-units"  # per source: its TMX units, so a pair's TMX is rebuilt without reading every record
LEDGER_VERSION = 1


@dataclass
class Exported:
    """What one export wrote: documents re-exported, files written, unchanged documents left alone."""

    documents: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)
    root: Path | None = None

    def counts(self) -> dict[str, int]:
        """Documents re-exported, documents unchanged, files written per format."""
        kinds = {".html": "html", ".tmx": "tmx", ".xlf": "xliff", ".xliff": "xliff"}
        written = {"html": 0, "tmx": 0, "xliff": 0}
        for path in self.files:
            written[kinds.get(path.suffix, "html")] += 1
        return {"documents": len(self.documents), "unchanged": self.unchanged, **written}


def _stamp(output_dir: Path, rel: str) -> list[int]:
    st = (output_dir / rel).stat()
    return [st.st_mtime_ns, st.st_size]


def _source_ids(output_dir: Path) -> list[str]:
    from tasks.models import SOURCE_ID_RE

    docs = output_dir / "docs"
    return sorted(p.name for p in docs.iterdir() if p.is_dir() and SOURCE_ID_RE.match(p.name)) if docs.is_dir() else []


def _read_ledger(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != LEDGER_VERSION or not isinstance(data.get("sources"), dict):
        return {}
    return data["sources"]


def export_changed(output_dir: Path) -> Exported:
    """Bring `<output>/export/` up to date with the latest stored version of every source."""
    root = output_dir / "export"
    ledger_path = output_dir / LEDGER
    before = _read_ledger(ledger_path)
    after: dict[str, Any] = {}
    result = Exported(root=root)
    changed: list[StoredDocument] = []
    partners: dict[str, StoredDocument | None] = {}
    for sid in _source_ids(output_dir):
        rel = latest_document(output_dir, sid)
        if rel is None:
            continue
        try:
            stamp = _stamp(output_dir, rel)
            old = before.get(sid)
            partner_rel = old.get("partner") if old else None
            partner_stamp = _partner_stamp(output_dir, partner_rel)
            files = [root / f for f in old.get("files", [])] if old else []
            if (old and old.get("rel") == rel and old.get("stamp") == stamp and old.get("partner_stamp") == partner_stamp
                    and files and all(f.is_file() for f in files)):
                after[sid] = old
                result.unchanged += 1
                continue
            doc = read_document(output_dir, rel)
        except (OSError, ValueError) as exc:
            result.problems.append(f"{rel}: skipped, unreadable ({exc})")
            if sid in before:
                after[sid] = before[sid]
            continue
        partner = story_partner(output_dir, doc)
        partner_rel = partner.rel if partner is not None else None
        partners[rel] = partner
        changed.append(doc)
        after[sid] = {
            "rel": rel, "stamp": stamp, "partner": partner_rel, "partner_stamp": _partner_stamp(output_dir, partner_rel),
            "pairs": sorted(_cache_units(output_dir, doc, partner)), "entry": None,
            # its own files, relative to export/: deleted ones are written again
            "files": [xliff_path(root / "xliff", doc).relative_to(root).as_posix(),
                      page_path(root / "html", doc).relative_to(root).as_posix()],
        }
    missing_tmx = {p for row in after.values() for p in row.get("pairs", []) if not (root / "tmx" / p).is_file()}
    if not changed and set(after) == set(before) and not missing_tmx:
        return result
    # XLIFF and review pages of the new or changed documents only.
    for doc in changed:
        path = xliff_path(root / "xliff", doc)
        write_atomic(path, build_xliff(doc, partner=partners.get(doc.rel)))
        result.files.append(path)
    pages, entries = export_html_pages(changed, root / "html", output_dir, partners)
    result.files += pages
    for doc, entry in zip(changed, entries):
        after[doc.source_id]["entry"] = entry
        result.documents.append(doc.rel)
    index = render_index_file(root / "html", [after[sid]["entry"] for sid in sorted(after) if after[sid].get("entry")])
    result.files.append(index)
    # TMX: only the language pairs a new or changed document feeds (or fed) are rebuilt.
    touched = {p for doc in changed for p in after[doc.source_id]["pairs"]} | missing_tmx
    touched |= {p for sid in before if sid in after and after[sid]["rel"] != before[sid].get("rel") for p in before[sid].get("pairs", [])}
    result.files += _rebuild_tmx(output_dir, root / "tmx", touched, after, result.problems)
    write_atomic(ledger_path, json.dumps({"version": LEDGER_VERSION, "sources": after}, ensure_ascii=False).encode("utf-8"))
    return result


def _partner_stamp(output_dir: Path, rel: str | None) -> list[int] | None:
    if not rel:
        return None
    try:
        return _stamp(output_dir, rel)
    except OSError:
        return None


def _units_of(doc: StoredDocument, partner: StoredDocument | None) -> dict[str, list[TmxUnit]]:
    """The TMX units this document adds, per TMX file (`vi-en.tmx`, `vi-en.story.tmx`)."""
    by_file: dict[str, list[TmxUnit]] = {}
    for unit in translation_units(doc):
        by_file.setdefault(tmx_name("", unit.src_lang, unit.tgt_lang), []).append(unit)
    for unit in story_units(doc, partner):
        by_file.setdefault(tmx_name(".story", unit.src_lang, unit.tgt_lang), []).append(unit)
    return by_file


def _cache_path(output_dir: Path, source_id: str) -> Path:
    from tasks.store.files import safe_join

    return safe_join(output_dir, UNITS, f"{source_id}.json")


def _cache_units(output_dir: Path, doc: StoredDocument, partner: StoredDocument | None) -> set[str]:
    """Keep the document's TMX units beside the ledger (a pair's TMX is rebuilt from these,
    not from every record); returns the TMX files it feeds."""
    by_file = _units_of(doc, partner)
    data = {"rel": doc.rel, "units": {name: [_unit_json(u) for u in units] for name, units in by_file.items()}}
    write_atomic(_cache_path(output_dir, doc.source_id), json.dumps(data, ensure_ascii=False).encode("utf-8"))
    return set(by_file)


def _unit_json(u: TmxUnit) -> dict[str, Any]:
    return {**asdict(u), "created": u.created.isoformat() if u.created else None,
            "changed": u.changed.isoformat() if u.changed else None}


def _unit_of(d: dict[str, Any]) -> TmxUnit:
    from datetime import datetime

    return TmxUnit(**{**d, "created": datetime.fromisoformat(d["created"]) if d.get("created") else None,
                      "changed": datetime.fromisoformat(d["changed"]) if d.get("changed") else None,
                      "props": [tuple(p) for p in d.get("props", [])]})


def _cached_units(output_dir: Path, sid: str, row: dict[str, Any], name: str) -> list[TmxUnit]:
    """The source's units for one TMX file, from its cache; from its record when the cache is stale."""
    try:
        data = json.loads(_cache_path(output_dir, sid).read_text(encoding="utf-8"))
        if data.get("rel") == row["rel"]:
            return [_unit_of(u) for u in data["units"].get(name, [])]
    except (OSError, ValueError, TypeError, KeyError):
        pass
    doc = read_document(output_dir, row["rel"])
    partner = read_document(output_dir, row["partner"]) if row.get("partner") else None
    _cache_units(output_dir, doc, partner)
    return _units_of(doc, partner).get(name, [])


def _rebuild_tmx(output_dir: Path, to_dir: Path, touched: set[str], ledger: dict[str, Any], problems: list[str]) -> list[Path]:
    from datetime import datetime, timezone

    written: list[Path] = []
    now = datetime.now(timezone.utc)
    for name in sorted(touched):
        units: list[TmxUnit] = []
        for sid, row in sorted(ledger.items()):
            if name not in row.get("pairs", []):
                continue
            try:
                units += _cached_units(output_dir, sid, row, name)
            except (OSError, ValueError) as exc:
                problems.append(f"{row['rel']}: left out of {name} ({exc})")
        path = to_dir / name
        if units:
            write_atomic(path, build_tmx(units, units[0].src_lang, created=now))
            written.append(path)
        elif path.exists():
            path.unlink()
    return written


@task(name="export", cache_policy=NONE)
def export_task(output_dir: Path) -> dict[str, Any] | None:
    """Export what changed (see `export_changed`); the counts, the export folder and any problem."""
    from tasks.night.merge import run_logger

    try:
        done = export_changed(output_dir)
    except Exception as exc:  # noqa: BLE001 - the stored documents stand; `newsbridge export` can redo it
        run_logger().error("export failed (run `newsbridge export --output %s`): %s: %s", output_dir, type(exc).__name__, exc)
        return None
    counts = done.counts()
    run_logger().info(
        "exported %d new or changed document(s) (%d unchanged, not rewritten): %d review page(s), %d TMX, %d XLIFF → %s",
        counts["documents"], counts["unchanged"], counts["html"], counts["tmx"], counts["xliff"], done.root,
    )
    for problem in done.problems:
        run_logger().warning("export: %s", problem)
    return {**counts, "root": str(done.root), "problems": done.problems}
