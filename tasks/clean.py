"""Clean stage: decode + extract main text and metadata into a Document.

Contract: `extract_article(content: bytes, *, url: str, source_id: str = "",
headers: dict[str, str] | None = None, selector: str | None = None) -> Document`
(tasks.models.Document with paragraphs, text = "\\n\\n".join(paragraphs), NFC, charset,
charset_source, title, date, author, canonical_url, page_lang, extractor signature).
Raises `ExtractionError(reason, detail)` when nothing usable is found (reason e.g.
"no_main_text"). `EXTRACTOR_SIGNATURE: str`.
"""

from __future__ import annotations

raise NotImplementedError("owned by the extraction work (issue 4)")
