"""Align stage: source segment <-> its translation (mt-1:1) and a story's human versions.

Contract:
- `align_translations(segments: list[Segment]) -> list[AlignedPair]` method "mt-1:1".
- `align_sentences(src: list[str], tgt: list[str], src_lang: str, tgt_lang: str,
  mt: list[str] | None = None) -> list[Link]` with Link(src: list[int], tgt: list[int],
  score: float), 1:1, 1:2, 2:1, 1:0, 0:1, in order (issue 9).
"""

from __future__ import annotations

raise NotImplementedError("owned by the alignment work (issue 9)")
