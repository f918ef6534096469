"""After each night: what the archive teaches (issue 24).

`learn_from_archive(output_dir, tm_location)` runs once the night's documents are stored
and paired:

1. every exported story link of the archive goes into the translation memory as a
   human-version entry (`tasks.review.link_review.remember_story_links`; unsure and
   rejected links never do);
2. the learned lexicon is re-estimated from all exported links and stored beside the
   memory (`tasks.align.learned.learn_lexicon`), for the aligner and the pairer.

A failure is recorded in the returned dict (`error`), never raised: the stored documents
of the night stand whatever happens here.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any


def learn_from_archive(output_dir: Path, tm_location: str, *, skip: bool = False, min_links: int | None = None) -> dict[str, Any]:
    """Human-version entries into the memory, the lexicon re-learned; a summary (or the error)."""
    if skip:
        return {"skipped": "the night failed"}
    from tasks.align.learned import learn_lexicon
    from tasks.review.link_review import remember_story_links
    from tasks.translate.memory import open_memory

    out = Path(output_dir)
    try:
        with open_memory(tm_location) as memory:
            remembered = remember_story_links(out, memory)
        pairs = remembered.pairs
        learned = learn_lexicon(pairs, tm_location) if min_links is None else learn_lexicon(pairs, tm_location, min_links=min_links)
    except Exception as exc:  # noqa: BLE001 - recorded in the run summary; the night's documents stand
        return {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc(limit=3)}
    return {
        "story_links_exported": remembered.links,
        "memory_entries_written": remembered.written,
        "unreadable": remembered.unreadable,
        **learned.as_dict(),
    }
