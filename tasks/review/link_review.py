"""A translator's decision on an unsure story link: confirm or reject, and the memory's human-version entries.

`decide_link(...)` is the link counterpart of `tasks.review.reviews.apply_edits`: under the
review lock, the source's latest stored record is read, the link's version (what the
translator saw) is checked (a stale one writes nothing and raises `ReviewConflict`), then

- confirm: the link's two sides go into the translation memory as a `reviewed` entry
  (model `human-version`, the reviewer), the link gets `export: true`;
- reject: the link gets `export: false` (nothing goes into the memory);
- either way the link records `review: {decision, by, at, via}`, the document is
  rewritten atomically and one audit line is appended to review/audit.jsonl.

A confirmed link is exported from then on (memory, story TMX, XLIFF references); a
rejected one never. Only a link that is unsure (or was rejected, to take that back) can
be decided: an exported link is already in the memory and exports.

`remember_story_links(output_dir, memory)`: every exported link of every stored story
(latest versions) into the memory as a human-version entry, and the links' texts for the
learned lexicon; the night step (tasks/night/learn.py) calls it. Entries already there are
not written again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tasks.langs import base_lang
from tasks.models import Translation
from tasks.store.document import LinkReview, StoredDocument, StoryLink, read_document
from tasks.review.link_state import HUMAN_VERSION_MODEL, LINK_DECISIONS, exported_links, joined, link_status
from tasks.review.reviews import (
    AUDIT_LOG,
    ReviewConflict,
    ReviewMemory,
    memory_key,
    review_lock,
    story_partner,
)

class LinkDecisionError(ValueError):
    """The decision cannot be applied (unknown link, nothing to link to, already exported)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def link_version(record: StoredDocument, n: int, link: StoryLink) -> str:
    """Opaque version of one story link: changes with the page version, its sides, export flag or decision."""
    review = link.review.model_dump(mode="json") if link.review is not None else None
    basis = [record.doc_id, record.version, n, link.src, link.tgt, link.export, review]
    return hashlib.sha256(json.dumps(basis, ensure_ascii=False, default=str).encode("utf-8")).hexdigest()[:16]


def link_view(record: StoredDocument, n: int, link: StoryLink) -> dict[str, Any]:
    """What a reviewer's page shows of one story link (and what the decision API answers)."""
    review = link.review
    return {
        "link": n,
        "version": link_version(record, n, link),
        "status": link_status(link),
        "score": link.score,
        "method": link.method,
        "decided_by": review.by if review is not None else None,
        "decided_at": review.at if review is not None else None,
    }


def link_sides(record: StoredDocument, partner: StoredDocument, link: StoryLink) -> tuple[str, str, Translation] | None:
    """(source text, human-version text, the pseudo translation keying the memory) of a link; None when a side is empty."""
    mine = {s.id: s for s in record.segments}
    theirs = {s.id: s for s in partner.segments}
    src = [mine[i] for i in link.src if i in mine]
    tgt = [theirs[i] for i in link.tgt if i in theirs]
    if not src or not tgt:
        return None
    src_lang = src[0].lang or record.document.lang or "und"
    tgt_lang = tgt[0].lang or partner.document.lang or "und"
    if "und" in (src_lang, tgt_lang) or src_lang.split("-")[0] == tgt_lang.split("-")[0]:
        return None
    own = src[0].translation
    tr = Translation(
        text="", src=(own.src if own is not None and own.src else src_lang), tgt=tgt_lang,
        model=HUMAN_VERSION_MODEL, engine=HUMAN_VERSION_MODEL, chain=own.chain if own is not None else [],
    )
    source = joined([s.text for s in src], src_lang)
    target = joined([s.text for s in tgt], tgt_lang)
    return (source, target, tr) if source.strip() and target.strip() else None


def _remember(memory: ReviewMemory, sides: tuple[str, str, Translation], reviewer: str | None) -> int:
    source, target, tr = sides
    key_text, key_src, key_tgt = memory_key(source, tr)
    entry = memory.get(key_text, key_src, key_tgt, HUMAN_VERSION_MODEL)
    if entry is not None and entry.text == target and entry.state in ("reviewed", "final") and (reviewer is None or entry.reviewer == reviewer):
        return 0
    return memory.put(key_text, target, key_src, key_tgt, HUMAN_VERSION_MODEL, "reviewed", reviewer=reviewer)


def decide_link(
    output_dir: Path,
    source_id: str,
    n: int,
    decision: str,
    version: str | None,
    memory: ReviewMemory,
    *,
    via: str,
    reviewer: str | None = None,
    when: datetime | None = None,
) -> dict[str, Any]:
    """Confirm or reject story link `n` of the source's latest stored document; returns the link's view."""
    from tasks.store.document import rewrite_document
    from tasks.store.files import append_lines, latest_document
    from tasks.store.locks import document_lock

    if decision not in LINK_DECISIONS:
        raise LinkDecisionError(400, f"decision must be one of {', '.join(LINK_DECISIONS)}")
    when = when or datetime.now(timezone.utc)
    # the document's write lock too: a crawl storing this source waits (tasks/store/locks.py)
    with review_lock(output_dir), document_lock(output_dir, source_id, getattr(memory, "location", None)):
        rel = latest_document(output_dir, source_id)
        if rel is None:
            raise LinkDecisionError(404, "no such link")
        try:
            record = read_document(output_dir, rel)
        except (OSError, ValueError) as exc:
            raise LinkDecisionError(409, f"stored document is unreadable ({exc})") from exc
        links = record.story.links if record.story is not None else []
        if not 0 <= n < len(links):
            raise LinkDecisionError(404, "no such link")
        link = links[n]
        if version is not None and link_version(record, n, link) != version:
            raise ReviewConflict(f"{source_id}/l{n}", link_view(record, n, link))
        old = link_status(link)
        allowed = ("unsure", "rejected") if decision == "confirm" else ("unsure",)
        if old not in allowed:
            if old == ("confirmed" if decision == "confirm" else "rejected"):
                return link_view(record, n, link)  # decided so already: nothing to write
            raise LinkDecisionError(409, f"this link is {old}: only an unsure link can be {decision}ed")
        if decision == "confirm":
            partner = story_partner(output_dir, record)
            sides = link_sides(record, partner, link) if partner is not None else None
            if sides is None:
                raise LinkDecisionError(409, "the link has no text on one side (or the human version is not stored)")
            _remember(memory, sides, reviewer)  # memory first: a crash before the rewrite loses no confirmation
        link.export = decision == "confirm"
        link.review = LinkReview(decision=decision, by=reviewer, at=when.isoformat(), via=via)
        rewrite_document(output_dir, record)
        audit = {
            "at": when.isoformat(), "reviewer": reviewer, "via": via, "source_id": source_id, "document": rel,
            "link": n, "src": link.src, "tgt": link.tgt,
            "old": {"link": old}, "new": {"link": link_status(link), "decision": decision},
        }
        append_lines(output_dir / AUDIT_LOG, [json.dumps(audit, ensure_ascii=False)])
        return link_view(record, n, link)


@dataclass
class RememberReport:
    documents: int = 0  # stored story documents read
    links: int = 0  # exported links with text on both sides
    written: int = 0  # memory rows written (new or changed)
    unreadable: list[str] = field(default_factory=list)
    # (source lang, pivot lang) -> (source text, human-version text) of every exported link: what the lexicon learns from
    pairs: dict[tuple[str, str], list[tuple[str, str]]] = field(default_factory=dict)


def remember_story_links(output_dir: Path, memory: ReviewMemory) -> RememberReport:
    """Every exported story link of the latest stored documents into the memory (human-version entries)."""
    from tasks.store.files import latest_document

    report = RememberReport()
    docs = output_dir / "docs"
    if not docs.is_dir():
        return report
    for folder in sorted(docs.iterdir()):
        rel = latest_document(output_dir, folder.name) if folder.is_dir() else None
        if rel is None:
            continue
        try:
            record = read_document(output_dir, rel)
            links = exported_links(record.story.links if record.story is not None else None)
            partner = story_partner(output_dir, record) if links else None
        except (OSError, ValueError):
            report.unreadable.append(rel)
            continue
        if partner is None:
            continue
        report.documents += 1
        for link in links:
            sides = link_sides(record, partner, link)
            if sides is not None:
                report.links += 1
                report.written += _remember(memory, sides, link.review.by if link.review is not None else None)
                key = (base_lang(sides[2].src), base_lang(sides[2].tgt))
                report.pairs.setdefault(key, []).append((sides[0], sides[1]))
    return report
