"""`newsbridge extract FILE [--url URL]`: one page's cleaned text and metadata as JSON.

Imports only the clean stage (lxml, trafilatura, htmldate); never prefect or argostranslate.
"""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add the `extract` command to the app."""

    @app.command("extract")
    def extract(
        file: Path = typer.Argument(..., help="Raw page bytes as fetched (any charset); '-' reads stdin."),
        url: str = typer.Option("", "--url", help="The page's URL (resolves the canonical link, helps dating)."),
        selector: str | None = typer.Option(None, "--selector", help="CSS selector of the main content."),
        content_type: str | None = typer.Option(
            None, "--content-type", help="HTTP Content-Type header as fetched (charset hint)."
        ),
        segments: bool = typer.Option(False, "--segments", help="Also print sentence segments with offsets."),
    ) -> None:
        """Extract title, date, author, canonical URL, charset and main-text paragraphs as JSON."""
        import json
        import sys

        from tasks.text.extract import ExtractionError, extract_article

        if str(file) == "-":
            content = sys.stdin.buffer.read()
        else:
            try:
                content = file.read_bytes()
            except OSError as exc:
                typer.echo(f"error: cannot read {file}: {exc.strerror or exc}", err=True)
                raise typer.Exit(2) from exc
        headers = {"Content-Type": content_type} if content_type else None
        try:
            doc = extract_article(content, url=url, headers=headers, selector=selector)
        except ExtractionError as exc:
            typer.echo(json.dumps({"error": exc.reason, "detail": exc.detail}, ensure_ascii=False))
            raise typer.Exit(1) from exc
        # The page's own declaration when it has one; otherwise the project's detector
        # on the extracted text (tasks.text.detect: script evidence + langdetect, no prefect).
        lang, lang_source = doc.page_lang, "html"
        if not lang:
            from tasks.text.detect import detect_text

            lang, lang_source = detect_text(doc.text[:4000]).lang, "detected"
        out: dict[str, object] = {
            "title": doc.title,
            "date": doc.date,
            "author": doc.author,
            "canonical_url": doc.canonical_url,
            "charset": doc.charset,
            "charset_source": doc.charset_source,
            "lang": lang,
            "lang_source": lang_source,
            "paragraphs": doc.paragraphs,
            "extractor": doc.extractor,
        }
        if segments:
            from tasks.text.segment import segment_document

            out["segments"] = [
                {"id": s.id, "start": s.start, "end": s.end, "text": s.text, "split": s.split}
                for s in segment_document(doc, "doc")
            ]
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
