"""Extraction: decode + extract main text and metadata into a Document.

Contract: `extract_article(content: bytes, *, url: str, source_id: str = "",
headers: dict[str, str] | None = None, selector: str | None = None) -> Document`
(tasks.models.Document with paragraphs, text = "\\n\\n".join(paragraphs), NFC, charset,
charset_source, title, date, author, canonical_url, page_lang, extractor signature).
Raises `ExtractionError(reason, detail)` when nothing usable is found (reason e.g.
"no_main_text"). `EXTRACTOR_SIGNATURE: str`.

How: the page is decoded (tasks.text.decode), NFC-normalised and parsed once with lxml.
Main text: the source's CSS `selector` when given; otherwise two generic candidates,
trafilatura's pass and our own text-density pass that counts characters (not words, so
Chinese pages are measured fairly). Boilerplate lines (vocabularies in
tasks/data/boilerplate/) and widget edges go from both; `choose_candidate` keeps
trafilatura's as the anchor on Latin-script pages and departs only on evidence that holds
across sites; where the two disagree, readability and jusText (tasks.text.vote) vote paragraph
by paragraph. The extractor field records the winner, `extraction_confidence` the
agreement of the two candidates; docs/extraction.md has the rules and the held-out figures.

Modules (each imports only those above it): `parse` (decoding, parsing, text helpers,
`ExtractionError`), `metadata` (title, date, author, canonical URL, language), `boilerplate`
(line vocabularies, edge trimming), `density` (our text-density pass), `chooser`
(`choose_candidate`, `CombineRule`), `trimming` (headlines, widget edges, the page tail),
`article` (the entry point: candidates, choice, the Document). A new extraction rule goes
in the module of its step; this package's public names are below.
"""

from __future__ import annotations

from tasks.text.extract.article import (
    EXTRACTOR_NAME,
    EXTRACTOR_SIGNATURE,
    EXTRACTOR_VERSION,
    extract_article,
    extract_candidates,
    is_low_confidence,
    with_title_paragraph,
)
from tasks.text.extract.boilerplate import boilerplate_patterns, is_boilerplate_line, is_metadata_line, trim_edges
from tasks.text.extract.chooser import DEFAULT_RULE, Choice, CombineRule, choose_candidate
from tasks.text.extract.parse import ExtractionError, block_texts, normalize_text

__all__ = [
    "DEFAULT_RULE",
    "EXTRACTOR_NAME",
    "EXTRACTOR_SIGNATURE",
    "EXTRACTOR_VERSION",
    "Choice",
    "CombineRule",
    "ExtractionError",
    "block_texts",
    "boilerplate_patterns",
    "choose_candidate",
    "extract_article",
    "extract_candidates",
    "is_boilerplate_line",
    "is_low_confidence",
    "is_metadata_line",
    "normalize_text",
    "trim_edges",
    "with_title_paragraph",
]
