"""Translators' review: choose stored documents, import reviewed XLIFF, apply reviewers' edits.

The writers build on this module: `tasks/review/tmx.py` (TMX 1.4b per language pair),
`tasks/review/xliff.py` (XLIFF 1.2 per document) and `tasks/review/page.py` (static
side-by-side HTML), chosen by format in `tasks/review/export.py`. This module holds what they
share (document selection, the mapping of our segment states to XLIFF 1.2 states,
XML-safe text) and the operations that change stored data; it imports none of the
writers:

- `import_review(xliff_path, output_dir, memory)`: reviewed/final targets of an XLIFF
  file go into the translation memory and into the stored documents (atomically);
  importing the same file twice changes nothing; units whose segment no longer exists
  (or whose source text changed) are reported as stale.
- carrying reviews across re-crawls is `tasks/review/carry.py` (`carry_reviews`), built on
  this module's memory keys.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Protocol

from tasks.models import SOURCE_ID_RE, Segment, Translation
from tasks.store.document import StoredDocument, latest_stored, parse_time, read_document

__all__ = ["StoredDocument", "parse_time"]  # the exporters take both from here

REVIEWED_STATES = ("reviewed", "final")
HUMAN_MODEL = "human"  # model id of a translation a reviewer wrote where no model had one

# Our segment state -> (XLIFF 1.2 <target state>, state-qualifier or None).
# XLIFF 1.2 has no "initial"/"reviewed" (those are XLIFF 2.x words): machine output is
# `translated` qualified `leveraged-mt`; reviewed is `signed-off`; final is `final`;
# a changed source whose old review needs a look is `needs-review-translation`.
XLIFF12_STATE: dict[str, tuple[str, str | None]] = {
    "mt": ("translated", "leveraged-mt"),
    "copy": ("translated", None),
    "needs-review": ("needs-review-translation", None),
    "reviewed": ("signed-off", None),
    "final": ("final", None),
}
# XLIFF 1.2 target state -> our state, for the states that mean "a human approved this".
XLIFF12_REVIEWED: dict[str, str] = {"signed-off": "reviewed", "final": "final"}

XLIFF12_NS = "urn:oasis:names:tc:xliff:document:1.2"
XML_NS = "http://www.w3.org/XML/1998/namespace"

# Characters XML 1.0 cannot carry (C0 controls except tab/LF/CR, surrogates, U+FFFE/F).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str | None) -> str:
    """Text safe for an XML document: characters XML 1.0 forbids become U+FFFD."""
    return _XML_INVALID.sub("\ufffd", text or "")


def same_source(a: str, b: str) -> bool:
    """Source texts are the same when equal after NFC (as the translation memory keys them)."""
    return unicodedata.normalize("NFC", a) == unicodedata.normalize("NFC", b)


# --------------------------------------------------------------------------- selection


class SelectionError(ValueError):
    """The requested documents cannot be selected (unknown source, bad date)."""


def parse_since(value: str | None) -> datetime | None:
    """`--since` value: YYYY-MM-DD or an ISO datetime; a clear error otherwise."""
    if value is None:
        return None
    parsed = parse_time(value)
    if parsed is None:
        raise SelectionError(f"--since {value!r}: expected a date like 2026-11-24 or an ISO datetime")
    return parsed


def select_documents(
    output_dir: Path,
    sources: Iterable[str] | None = None,
    since: datetime | None = None,
    problems: list[str] | None = None,
) -> list[StoredDocument]:
    """The latest stored version of each source (or of the named ones), fetched at or after `since`.

    A named source with no stored document is an error naming it, not an empty export.
    A stored file that cannot be read is left out and described in `problems`.
    """
    from tasks.store.files import latest_document

    docs_dir = output_dir / "docs"
    wanted = list(dict.fromkeys(sources or []))
    for sid in wanted:
        if not SOURCE_ID_RE.match(sid):
            raise SelectionError(f"--only {sid!r}: not a source id ([a-z0-9-]+)")
    if wanted:
        ids = wanted
    else:
        ids = sorted(p.name for p in docs_dir.iterdir() if p.is_dir() and SOURCE_ID_RE.match(p.name)) if docs_dir.is_dir() else []
    missing = [sid for sid in ids if latest_document(output_dir, sid) is None]
    if wanted and missing:
        raise SelectionError(f"no stored document for source(s): {', '.join(missing)} (under {docs_dir})")
    selected: list[StoredDocument] = []
    for sid in ids:
        rel = latest_document(output_dir, sid)
        if rel is None:
            continue
        try:
            doc = read_document(output_dir, rel)
        except (OSError, ValueError) as exc:
            if problems is not None:
                problems.append(f"{rel}: skipped, unreadable ({exc})")
            continue
        if since is not None and (doc.fetched_at is None or doc.fetched_at < since):
            continue
        selected.append(doc)
    return selected


def story_partner(output_dir: Path, doc: StoredDocument) -> StoredDocument | None:
    """The latest record of the story's pivot source (the human version), when there is one."""
    pivot = doc.story.pivot_source if doc.story is not None else None
    if not pivot or not SOURCE_ID_RE.match(pivot) or pivot == doc.source_id:
        return None
    return latest_stored(output_dir, pivot)


# --------------------------------------------------------------------------- memory keys


def memory_key(text: str, translation: Translation) -> tuple[str, str, str]:
    """(source text, src, tgt) under which the translate stage looks this segment up in the memory.

    The translate stage keys the memory with Argos language codes (zh-Hans -> zh) and, for
    Traditional Chinese converted with OpenCC before a zh->x model, the converted text; a
    review stored under the same key is what the next crawl's translate stage finds.
    """
    from tasks.translate.engine import ARGOS_CODE

    src = ARGOS_CODE.get(translation.src, translation.src)
    tgt = ARGOS_CODE.get(translation.tgt, translation.tgt)
    chain = translation.chain
    if chain and "opencc" in chain[0]:
        import opencc

        return opencc.OpenCC("t2s").convert(text), "zh", tgt
    return text, src, tgt


# --------------------------------------------------------------------------- re-crawl


class ReviewMemory(Protocol):
    """What carry_reviews / import_review need from tasks.translate.memory.TranslationMemory."""

    def get(self, text: str, src: str, tgt: str, model: str) -> Any: ...

    def put(
        self, text: str, translation: str, src: str, tgt: str, model: str, state: str = "mt", reviewer: str | None = None
    ) -> int: ...


# --------------------------------------------------------------------------- import


class ReviewImportError(ValueError):
    """The file cannot be imported at all (not XLIFF 1.2, not one of our exports)."""


@dataclass
class ReviewUnit:
    """One trans-unit read from a reviewed XLIFF file."""

    doc_rel: str  # docs/<source-id>/<doc-id>/<version>.json as exported
    unit_id: str
    source: str
    target: str | None
    state: str | None  # XLIFF 1.2 target state
    translate: bool = True
    target_lang: str | None = None  # the file's target-language


@dataclass
class ImportReport:
    applied: list[str] = field(default_factory=list)  # segment ids whose stored translation changed
    unchanged: list[str] = field(default_factory=list)  # reviewed already, nothing to do
    stale: list[dict[str, str]] = field(default_factory=list)  # {unit, reason}
    edited_not_marked: list[str] = field(default_factory=list)  # target edited, state not signed-off/final
    not_reviewed: int = 0  # units left in an MT/needs-review state and not edited
    memory_written: int = 0
    documents_rewritten: list[str] = field(default_factory=list)
    segments: dict[str, dict[str, Any]] = field(default_factory=dict)  # segment_view after the write, by id

    def as_dict(self) -> dict[str, Any]:
        return {
            "applied": len(self.applied),
            "unchanged": len(self.unchanged),
            "stale": self.stale,
            "edited_not_marked": self.edited_not_marked,
            "not_reviewed": self.not_reviewed,
            "memory_written": self.memory_written,
            "documents_rewritten": self.documents_rewritten,
        }


_DOC_REL_RE = re.compile(r"^docs/([a-z0-9-]+)/([a-z0-9-]+)/([a-z0-9-]+)\.json\Z")


def read_xliff_units(path: Path) -> list[ReviewUnit]:
    """The trans-units of an XLIFF 1.2 file we exported (entities and network access disabled)."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.parse(str(path), parser).getroot()
    except (OSError, etree.XMLSyntaxError) as exc:
        raise ReviewImportError(f"{path}: not readable XML ({exc})") from exc
    if root.tag != f"{{{XLIFF12_NS}}}xliff":
        raise ReviewImportError(f"{path}: not an XLIFF 1.2 document (root element {root.tag!r})")
    ns = {"x": XLIFF12_NS}
    units: list[ReviewUnit] = []
    for file_el in root.findall("x:file", ns):
        original = file_el.get("original", "")
        if not _DOC_REL_RE.match(original):
            raise ReviewImportError(
                f"{path}: <file original={original!r}> is not a newsbridge document path "
                "(docs/<source-id>/<doc-id>/<version>.json); was this file exported by newsbridge?"
            )
        for tu in file_el.iter(f"{{{XLIFF12_NS}}}trans-unit"):
            source_el = tu.find("x:source", ns)
            target_el = tu.find("x:target", ns)
            units.append(
                ReviewUnit(
                    doc_rel=original,
                    unit_id=tu.get("id", ""),
                    source="".join(source_el.itertext()) if source_el is not None else "",
                    target="".join(target_el.itertext()) if target_el is not None else None,
                    state=target_el.get("state") if target_el is not None else None,
                    translate=tu.get("translate", "yes") != "no",
                    target_lang=file_el.get("target-language"),
                )
            )
    return units


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _stored_segments(output_dir: Path, source_id: str, doc_id: str) -> dict[str, Segment] | None:
    """Segments by id of the source's latest stored record when it is this document, else None (read only)."""
    record = latest_stored(output_dir, source_id)
    if record is None or record.doc_id != doc_id:
        return None
    return {s.id: s for s in record.segments}


def import_review(path: Path, output_dir: Path, memory: ReviewMemory, reviewer: str | None = None) -> ImportReport:
    """Apply the reviewed/final targets of an exported XLIFF file.

    Each unit whose target state is `signed-off` (→ reviewed) or `final` becomes a
    `SegmentEdit` written by `apply_edits` (the write path the browser app uses too):
    into the translation memory under the key the translate stage looks up, into the
    latest stored version of its document (rewritten atomically) and the audit log.
    A unit already in that state with that text is left alone, so a second import of the
    same file writes nothing. A unit is stale when its document is no longer the
    source's latest, or its segment is gone, or the segment's source text changed.
    """
    report = ImportReport()
    units = read_xliff_units(path)
    when = _now()
    by_doc: dict[str, list[ReviewUnit]] = {}
    for unit in units:
        by_doc.setdefault(unit.doc_rel, []).append(unit)

    for doc_rel, doc_units in by_doc.items():
        m = _DOC_REL_RE.match(doc_rel)
        assert m is not None  # checked by read_xliff_units
        source_id, doc_id, _version = m.groups()
        edits: list[SegmentEdit] = []
        stored: dict[str, Segment] | None = None
        for unit in doc_units:
            if not unit.translate or unit.target is None:
                continue
            state = XLIFF12_REVIEWED.get(unit.state or "")
            if state is None:
                # not signed off: only counted (edited or not), never written
                if stored is None:
                    stored = _stored_segments(output_dir, source_id, doc_id) or {}
                seg = stored.get(unit.unit_id)
                text = seg.translation.text if seg is not None and seg.translation is not None else None
                if text is not None and xml_text(text) != unit.target:
                    report.edited_not_marked.append(unit.unit_id)
                else:
                    report.not_reviewed += 1
                continue
            edits.append(SegmentEdit(unit.unit_id, unit.target, state, source=unit.source, target_lang=unit.target_lang))
        if edits:
            apply_edits(output_dir, source_id, doc_id, edits, memory, via="xliff-import", reviewer=reviewer, report=report, when=when)
    return report


# --------------------------------------------------------------------------- the one write path

WRITE_STATES = ("reviewed", "final", "needs-review")  # what a reviewer sets: approve, finalise, flag
AUDIT_LOG = "review/audit.jsonl"  # under the output directory; append-only, one JSON line per change
REVIEW_LOCK = "review/.lock"


@dataclass
class SegmentEdit:
    """One reviewer's change to one segment, from an XLIFF unit (`review import`) or the browser."""

    segment_id: str
    text: str
    state: str  # one of WRITE_STATES
    source: str | None = None  # source text the reviewer saw (XLIFF); None: the stored segment's own
    target_lang: str | None = None  # target language for a segment no model translated
    version: str | None = None  # row version the reviewer saw (browser): a stale one writes nothing


class ReviewConflict(Exception):
    """A segment changed since the reviewer loaded it; nothing was written."""

    def __init__(self, segment_id: str, current: dict[str, Any] | None) -> None:
        super().__init__(f"segment {segment_id} changed since it was loaded")
        self.segment_id = segment_id
        self.current = current  # segment_view of the stored segment now; None when it is gone


def segment_version(record: StoredDocument, seg: Segment) -> str:
    """Opaque version of one stored segment: changes with its text, translation, state or the page version."""
    tr = seg.translation.model_dump(mode="json") if seg.translation is not None else {}
    basis = [
        record.doc_id, record.version, seg.id, seg.text,
        tr.get("text"), tr.get("state"), tr.get("reviewed_at"), tr.get("reference"),
    ]
    return hashlib.sha256(json.dumps(basis, ensure_ascii=False, default=str).encode("utf-8")).hexdigest()[:16]


def segment_view(record: StoredDocument, seg: Segment) -> dict[str, Any]:
    """What a reviewer's page shows of one segment (and what the write API answers)."""
    tr = seg.translation.model_dump(mode="json") if seg.translation is not None else {}
    return {
        "segment_id": seg.id,
        "version": segment_version(record, seg),
        "text": tr.get("text"),
        "state": tr.get("state") or "untranslated",
        "reference": tr.get("reference"),
        "reviewed_at": tr.get("reviewed_at"),
        "reviewed_by": tr.get("reviewed_by"),
    }


@contextmanager
def review_lock(output_dir: Path) -> Iterator[None]:
    """One review writer at a time (browser app threads, `review import` processes): an exclusive flock."""
    import fcntl

    path = output_dir / REVIEW_LOCK
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def apply_edits(
    output_dir: Path,
    source_id: str,
    doc_id: str,
    edits: list[SegmentEdit],
    memory: ReviewMemory,
    *,
    via: str,
    reviewer: str | None = None,
    report: ImportReport | None = None,
    when: datetime | None = None,
) -> ImportReport:
    """Write reviewers' edits of one document: translation memory, stored document, audit log.

    The one write path of `review import` and of the browser app. Under the review lock
    the source's latest stored record is read. An edit that carries a `version` (the
    browser's row version) is checked first: if any segment changed since, ReviewConflict
    is raised and nothing is written. Then for each edit:

    - `reviewed`/`final` go into the translation memory under the key the translate stage
      looks up (`memory_key`; the segment's MT model id, the state, the reviewer, the memory's timestamp),
      so every later crawl finds them; a flag (`needs-review`) is not a memory state and
      lives in the document only (a reviewed text it replaces is kept as `reference`);
    - the segment gets text, state, `reviewed_at` (= `when`), `reviewed_by`;
    - one audit line (who, when, via, old -> new) per changed segment.

    The document is rewritten atomically once (memory first: if the process dies between
    the two, the next crawl takes the review from the memory). An edit already applied
    (same text and state) writes nothing anywhere, so a second import changes nothing.
    """
    from tasks.store.document import rewrite_document
    from tasks.store.files import append_lines, latest_document
    from tasks.store.locks import document_lock

    report = report if report is not None else ImportReport()
    when = when or _now()
    # The document's write lock too: a crawl storing this source (carry reviews, write the
    # new version) waits, so no save lands between its read and its write (tasks/store/locks.py).
    with review_lock(output_dir), document_lock(output_dir, source_id, getattr(memory, "location", None)):
        latest = latest_document(output_dir, source_id)
        record: StoredDocument | None = None
        reason = f"document {doc_id} is no longer stored as the latest of {source_id}"
        if latest:
            try:
                record = read_document(output_dir, latest)
            except (OSError, ValueError) as exc:
                reason = f"stored document {latest} is unreadable ({exc})"
        if record is None or record.doc_id != doc_id:
            for edit in edits:
                if edit.version is not None:
                    raise ReviewConflict(edit.segment_id, None)
                report.stale.append({"unit": edit.segment_id, "reason": reason})
            return report
        assert latest is not None
        segments = record.segments
        by_id = {s.id: s for s in segments}
        for edit in edits:
            if edit.state not in WRITE_STATES:
                raise ValueError(f"state {edit.state!r}: expected one of {', '.join(WRITE_STATES)}")
            if edit.version is not None:
                seg = by_id.get(edit.segment_id)
                if seg is None or segment_version(record, seg) != edit.version:
                    raise ReviewConflict(edit.segment_id, segment_view(record, seg) if seg is not None else None)

        audit: list[dict[str, Any]] = []
        for edit in edits:
            seg = by_id.get(edit.segment_id)
            if edit.source is None or (seg is not None and same_source(xml_text(seg.text), edit.source)):
                targets = [seg] if seg is not None else []
            else:
                # the sentence may have moved: same source text elsewhere in the latest version
                targets = [s for s in segments if same_source(xml_text(s.text), edit.source)]
            if not targets:
                reason = (
                    "segment no longer exists in the latest version"
                    if seg is None
                    else "segment's source text changed since export"
                )
                report.stale.append({"unit": edit.segment_id, "reason": reason})
                continue
            for target in targets:
                tr = target.translation
                if tr is None:
                    # no model covered this language: the reviewer's translation is the first one
                    if not edit.target_lang or not target.lang or target.lang in ("und", "other"):
                        report.stale.append({"unit": edit.segment_id, "reason": "untranslated segment of unknown language: no pair to store"})
                        continue
                    tr = Translation(text="", src=target.lang, tgt=edit.target_lang, model=HUMAN_MODEL, engine=HUMAN_MODEL)
                if edit.state in REVIEWED_STATES:
                    key_text, key_src, key_tgt = memory_key(target.text, tr)
                    entry = memory.get(key_text, key_src, key_tgt, tr.model)
                    if entry is None or entry.state != edit.state or entry.text != edit.text:
                        report.memory_written += memory.put(
                            key_text, edit.text, key_src, key_tgt, tr.model, edit.state, reviewer=reviewer
                        )
                if tr.state == edit.state and tr.text == edit.text:
                    report.unchanged.append(target.id)
                    report.segments[target.id] = segment_view(record, target)
                    continue
                old = {"text": tr.text, "state": tr.state}
                if edit.state == "needs-review":
                    reference = tr.text if tr.state in REVIEWED_STATES else tr.reference
                else:
                    reference = None
                target.translation = tr.model_copy(
                    update={
                        "text": edit.text,
                        "state": edit.state,
                        "reviewed_at": when,
                        "reviewed_by": reviewer,
                        "reference": reference,
                    }
                )
                report.applied.append(target.id)
                report.segments[target.id] = segment_view(record, target)
                audit.append(
                    {
                        "at": when.isoformat(),
                        "reviewer": reviewer,
                        "via": via,
                        "source_id": source_id,
                        "document": latest,
                        "segment_id": target.id,
                        "old": old,
                        "new": {"text": edit.text, "state": edit.state},
                    }
                )
        if audit:
            rewrite_document(output_dir, record)
            report.documents_rewritten.append(latest)
            append_lines(output_dir / AUDIT_LOG, [json.dumps(a, ensure_ascii=False) for a in audit])
    return report
