"""Stories: sources sharing a `story` id are language versions of one article.

Every non-pivot version is aligned sentence by sentence to the pivot-language version
(the human translation), so a translator sees original, human version and MT together.
"""

from __future__ import annotations

from pathlib import Path

from tasks.langs import base_lang
from tasks.models import Document, Segment, Source
from tasks.store.document import StoryBlock, StoryLink


def _stored_version(output_dir: Path, source_id: str) -> tuple[str, list[Segment]] | None:
    """(lang, segments) of the newest stored version of a source, when there is one."""
    from tasks.store.document import latest_stored

    stored = latest_stored(output_dir, source_id)
    if stored is None:
        return None
    return stored.document.lang or "und", stored.segments


def story_alignments(
    sources: list[Source],
    documents: dict[str, Document],
    pivot: str,
    output_dir: Path,
) -> dict[str, StoryBlock]:
    """`story` blocks for the documents processed in this run, keyed by source id.

    The pivot version is the story's source whose document language is the pivot
    language: processed in this run, or else its newest stored version. A story
    without a pivot version, or a document already in the pivot language, gets none.
    """
    from tasks.align.sentences import align_story

    by_story: dict[str, list[Source]] = {}
    for source in sources:
        if source.story:
            by_story.setdefault(source.story, []).append(source)

    blocks: dict[str, StoryBlock] = {}
    for story, members in by_story.items():
        versions: dict[str, tuple[str, list[Segment]]] = {}
        for source in members:
            doc = documents.get(source.id)
            if doc is not None:
                versions[source.id] = (doc.lang or "und", doc.segments)
            else:
                stored = _stored_version(output_dir, source.id)
                if stored is not None:
                    versions[source.id] = stored
        pivots = [sid for sid, (lang, _) in versions.items() if base_lang(lang) == base_lang(pivot)]
        if not pivots:
            continue
        pivot_id = pivots[0]
        pivot_segments = versions[pivot_id][1]
        for sid, (lang, segments) in versions.items():
            if sid == pivot_id or sid not in documents or base_lang(lang) == base_lang(pivot):
                continue
            links = align_story(pivot_segments, segments, lang, pivot)
            blocks[sid] = StoryBlock(
                id=story,
                pivot_source=pivot_id,
                pivot_lang=versions[pivot_id][0],
                method=links[0].method if links else None,
                links=[StoryLink.of(link) for link in links],
            )
    return blocks
