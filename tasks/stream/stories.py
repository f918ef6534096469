"""The story hold-back: a hand-written `story:` version waits for its story's other versions.

A translated version of a story with several versions in this shard is held until every
other version is held too or has its outcome; then the held versions are aligned together
(tasks/align/story.py) and handed to the store with their story blocks. This is the one
place of the stream that knows about stories (issue 27 item 3 replaces it with one story
stage after the shards).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from tasks.models import Source
from tasks.store.document import StoryBlock

Ready = tuple[list[Any], dict[str, StoryBlock]]  # (items to store, story block by source id)


class StoryHold:
    """Held versions by story. Items have `.source` and `.processed.document`."""

    def __init__(self, sources: list[Source], pivot: str, output_dir: Path, settled: Callable[[str], bool]) -> None:
        self.by_id = {s.id: s for s in sources}
        self.pivot = pivot
        self.output_dir = output_dir
        self.settled = settled  # source id -> has its outcome
        self.members: dict[str, list[str]] = {}
        for s in sources:
            if s.story:
                self.members.setdefault(s.story, []).append(s.id)
        self.held: dict[str, dict[str, Any]] = {}

    def waits(self, source: Source) -> bool:
        """True for a version whose story has other versions in this shard."""
        return bool(source.story) and len(self.members.get(source.story or "", [])) > 1

    def hold(self, item: Any) -> Ready | None:
        """Hold a translated version; what is ready to store now, if anything."""
        story = item.source.story
        self.held.setdefault(story, {})[item.source.id] = item
        return self._ready(story)

    def release(self, sid: str) -> Ready | None:
        """After `sid` got its outcome: its story's held versions, if they are ready now."""
        story = self.by_id[sid].story if sid in self.by_id else None
        if story and story in self.held:
            return self._ready(story)
        return None

    def _ready(self, story: str) -> Ready | None:
        """The held versions of a story once every other version is held or settled."""
        held = self.held.get(story, {})
        members = self.members[story]
        if not held or not all(m in held or self.settled(m) for m in members):
            return None
        from tasks.align.story import story_alignments

        del self.held[story]
        items = list(held.values())
        documents = {i.source.id: i.processed.document for i in items}
        blocks = story_alignments([self.by_id[m] for m in members], documents, self.pivot, self.output_dir)  # type: ignore[arg-type]
        return items, blocks
