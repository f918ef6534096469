"""The story stage: once a night, after all shards, for hand-written and discovered stories alike.

A story is the language versions of one article:

- hand-written: sources sharing a `story:` id in sources.yaml;
- discovered: an outlet's articles paired by tasks/align/pairing.py from the link evidence
  extraction recorded (`document.evidence`) and their content.

Every version not in the pivot language is aligned sentence by sentence to the
pivot-language version (the human translation), so a translator sees original, human
version and MT together. The story block goes into the version's latest stored record in
place (`tasks.store.document.update_latest`, under the document's write lock): a document
stored on an earlier night gets its story links without a new version, and a reviewer's
edit made meanwhile is kept. Nothing here needs the shards to keep a story together:
every version is read back from the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tasks.align.pairing import story_change
from tasks.langs import base_lang
from tasks.models import Source
from tasks.store.document import StoredDocument, StoryBlock, StoryLink, latest_stored, update_latest


@dataclass
class StoryStage:
    """What the story stage did in one night."""

    aligned: list[str] = field(default_factory=list)  # hand-written versions whose story block was (re)written
    stories: list[dict[str, Any]] = field(default_factory=list)  # discovered stories that gained a version (pair_run)


def pivot_links(
    pivot_doc: StoredDocument, doc: StoredDocument, lang: str, pivot: str, output_dir: Path | None = None
) -> list[StoryLink]:
    """Sentence links of a version (src, in `lang`) to the story's pivot version (tgt).

    With `output_dir`, the lexicon the archive has learned (beside its translation memory)
    joins the shipped dictionaries as evidence."""
    from tasks.align.learned import archive_lexicon
    from tasks.align.sentences import align_story

    extra = archive_lexicon(output_dir, lang, pivot) if output_dir is not None else None
    links = align_story(pivot_doc.segments, doc.segments, lang, pivot, extra_lexicon=extra or None)
    return [StoryLink.of(link) for link in links]


def align_hand_written(
    output_dir: Path, sources: list[Source], stored_tonight: set[str], pivot: str, dsn: str | None = None
) -> list[str]:
    """Story blocks for the versions of every hand-written `story:` among `sources`.

    The pivot version is the story's first source (in sources.yaml order) whose stored
    document is in the pivot language. A version is (re)aligned when it or the pivot
    version was stored tonight, or when its stored block does not point at that pivot
    version yet; a story without a stored pivot version, or a version already in the
    pivot language, gets none. Returns the source ids whose record was rewritten.
    """
    by_story: dict[str, list[Source]] = {}
    for source in sources:
        if source.story:
            by_story.setdefault(source.story, []).append(source)
    rewritten: list[str] = []
    for story, members in by_story.items():
        docs = {s.id: d for s in members if (d := latest_stored(output_dir, s.id)) is not None}
        pivots = [sid for sid, d in docs.items() if base_lang(d.document.lang) == base_lang(pivot)]
        if not pivots:
            continue
        pivot_id = pivots[0]
        pivot_doc = docs[pivot_id]
        for sid, doc in docs.items():
            if sid == pivot_id or base_lang(doc.document.lang) == base_lang(pivot):
                continue
            current = doc.story is not None and doc.story.id == story and doc.story.pivot_source == pivot_id
            if current and sid not in stored_tonight and pivot_id not in stored_tonight:
                continue  # its links still point into the pivot version as stored
            links = pivot_links(pivot_doc, doc, doc.document.lang or "und", pivot, output_dir)
            block = StoryBlock(
                id=story,
                pivot_source=pivot_id,
                pivot_lang=pivot_doc.document.lang or "und",
                method=links[0].method if links else None,
                links=links,
            )
            if update_latest(output_dir, sid, doc.version, story_change(block), dsn) is not None:
                rewritten.append(sid)
    return rewritten


def run_story_stage(
    output_dir: Path, selected: list[Source], stored: dict[str, str], pivot: str, *, pair: bool = True
) -> StoryStage:
    """The night's story stage, after all shards: hand-written stories aligned, discovered articles paired.

    `stored`: {source id: relative path} of the documents stored (new or changed) tonight.
    `pair=False` (a shard failed) aligns hand-written stories only. Story blocks are written
    under each document's write lock (tasks/store/locks.py), on PostgreSQL too when the
    translation memory is there (the lock the crawl's store takes).
    """
    from tasks.settings import get_settings

    dsn = get_settings().tm_dsn
    stage = StoryStage()
    hand_written = {s.id for s in selected if s.story}
    stage.aligned = align_hand_written(output_dir, [s for s in selected if s.story], set(stored), pivot, dsn)
    discovered = {s.id for s in selected if s.discovery is not None and s.id not in hand_written}
    tonight = {sid: rel for sid, rel in stored.items() if sid in discovered}
    if pair and tonight:
        from tasks.align.pairing import pair_run
        from tasks.crawl.frontier import open_frontier

        frontier = open_frontier(output_dir)
        try:
            stage.stories = pair_run(output_dir, tonight, pivot, frontier, hand_written=hand_written, dsn=dsn)
        finally:
            frontier.close()
    return stage
