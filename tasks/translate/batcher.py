"""The translation batcher: which segments go to the engine, and in which calls.

The one home of two policies:

- **copy, don't translate**: a segment already in the pivot is copied (a `copy`
  translation); one in no language we know (`und`, `other`) or empty is left untranslated
  with its reason; every other segment goes to the engine (`needs_engine`, `settle`).
  `tasks.translate.engine.translate_segments` and the shard's stream both apply it here.
- **batching**: segments waiting for the engine sit in buckets by (language, source token
  length). A CTranslate2 call costs about two sentences' share whatever its size, and
  only sources of one token length share a call (so every sentence gets what Argos'
  one-sentence call gives): the fuller a bucket, the cheaper each of its sentences. A
  free translator takes the fullest bucket; the others fill meanwhile. `put` waits while
  `limit` segments wait (back-pressure on processing and fetching).

It translates nothing itself and imports no engine: the caller hands it the token
counter (`tasks.translate.engine.length_counter`) and runs the engine on what `take` gives.
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable

from tasks.models import Segment, Translation

NOT_TRANSLATABLE = {"und", "other", "", None}

LengthCounter = Callable[[str, str], Callable[[str], int | None]]  # (src, pivot) -> text -> token length


def needs_engine(seg: Segment, pivot: str) -> bool:
    """True when the segment is translated (not the pivot, a known language, some text)."""
    return seg.lang != pivot and seg.lang not in NOT_TRANSLATABLE and bool(seg.text.strip())


def copy_of(text: str, src: str, tgt: str) -> Translation:
    """The translation of a text already in the target language: itself."""
    return Translation(text=text, src=src, tgt=tgt, model="copy", engine="copy", state="copy")


def settle(seg: Segment, pivot: str) -> str:
    """Settle a segment the engine does not translate: "copied" (pivot: copied as its own
    translation) or the reason it stays untranslated ("empty", "lang:<code>")."""
    if seg.lang == pivot:
        seg.translation = copy_of(seg.text, seg.lang, pivot)
        return "copied"
    seg.translation = None
    return "empty" if not seg.text.strip() else f"lang:{seg.lang or 'und'}"


@dataclass
class Batch:
    lang: str
    owners: list[str]  # who each segment belongs to (a source id)
    segments: list[Segment]


class Buckets:
    """Segments waiting for the engine, by (language, source token length); fullest first."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.cond = threading.Condition()
        self.waiting: dict[tuple[str, int | None], Batch] = {}
        self.count = 0
        self.closed = False

    def put(self, key: tuple[str, int | None], owner: str, seg: Segment, stop: threading.Event) -> None:
        with self.cond:
            while self.count >= self.limit and not self.closed and not stop.is_set():
                self.cond.wait(0.2)
            batch = self.waiting.get(key)
            if batch is None:
                batch = self.waiting[key] = Batch(key[0], [], [])
            batch.owners.append(owner)
            batch.segments.append(seg)
            self.count += 1
            self.cond.notify_all()

    def take(self) -> Batch | None:
        """The fullest bucket; None once closed."""
        with self.cond:
            while not self.waiting and not self.closed:
                self.cond.wait()
            if self.closed:
                return None
            key = max(self.waiting, key=lambda k: len(self.waiting[k].segments))
            batch = self.waiting.pop(key)
            self.count -= len(batch.segments)
            self.cond.notify_all()
            return batch

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()


@dataclass
class Counts:
    """What the batcher settled or the engine translated: the run's translation counters."""

    copied: int = 0
    untranslated: int = 0
    fresh: int = 0
    from_memory: int = 0


@dataclass
class TranslationBatcher:
    """One shard's batcher: settles what needs no engine, buckets the rest, counts."""

    pivot: str
    limit: int
    length_counter: LengthCounter
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.buckets = Buckets(max(1, self.limit))
        self.counts = Counts()
        self._counters: dict[str, Callable[[str], int | None]] = {}  # language -> token length
        # (lang, NFC text) translated fresh by this batcher: a repeat served by the memory
        # still counts (and is recorded) as fresh, as when the whole run was one batch.
        self._fresh: set[tuple[str, str]] = set()

    def queue(self, owner: str, segments: list[Segment]) -> int:
        """Settle what needs no engine now (counted), bucket the rest; how many segments
        of `owner` now wait for the engine. Waits while the buckets are full."""
        counts = self.counts
        later = []
        for seg in segments:
            if needs_engine(seg, self.pivot):
                later.append(seg)
            elif settle(seg, self.pivot) == "copied":
                counts.copied += 1
            else:
                counts.untranslated += 1
        for seg in later:
            self.buckets.put((seg.lang, self._token_length(seg)), owner, seg, self.stop)
        return len(later)

    def _token_length(self, seg: Segment) -> int | None:
        counter = self._counters.get(seg.lang)
        if counter is None:
            counter = self._counters[seg.lang] = self.length_counter(seg.lang, self.pivot)
        return counter(seg.text)

    def take(self) -> Batch | None:
        """The fullest bucket for a free translator; None once closed."""
        return self.buckets.take()

    def close(self) -> None:
        """Stop: translators end after the call they are in; `queue` stops waiting."""
        self.stop.set()
        self.buckets.close()

    def translated(self, engine_counts: Any, segments: list[Segment]) -> None:
        """Count a batch the engine translated (`engine_counts`: its TranslateStats)."""
        counts = self.counts
        fresh_again = 0
        for seg in segments:
            tr = seg.translation
            if tr is None or tr.model == "copy":
                continue
            key = (seg.lang, unicodedata.normalize("NFC", seg.text))
            if not tr.from_memory:
                self._fresh.add(key)
            elif key in self._fresh:
                seg.translation = tr.model_copy(update={"from_memory": False})
                fresh_again += 1
        counts.fresh += engine_counts.fresh + fresh_again
        counts.from_memory += engine_counts.from_memory - fresh_again
        counts.copied += engine_counts.copied
        counts.untranslated += engine_counts.untranslated
