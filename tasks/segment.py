"""Segment stage: sentences per language with character offsets into Document.text.

Contract: `segment_document(doc: Document, doc_id: str, lang_hint: str | None = None)
-> list[Segment]` with id f"{doc_id}:{paragraph}:{sentence}", start/end offsets such that
doc.text[start:end] == segment.text, `split="clause"` for long sentences split for MT.
`split_sentences(text: str, lang: str) -> list[tuple[int, int]]` for plain text.
"""

from __future__ import annotations

raise NotImplementedError("owned by the extraction work (issue 4)")
