"""`newsbridge extract FILE [--url URL]`: one page's cleaned text and metadata as JSON.

Imports only the clean stage (lxml, trafilatura, htmldate); never prefect or argostranslate.
A gzip, zstd or brotli file (judged by its bytes, not its name) is decompressed within the
fetcher's max_bytes; binary input is refused. Exit codes: 0 JSON printed, 1 no main text
(`{"error": reason}`), 2 the file cannot be read, 3 input refused (`binary_body`,
`too_large`, `bad_compressed_body`; `{"error": reason}` too).
"""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(add_completion=False)


@app.command("extract")
def extract(
    file: Path = typer.Argument(..., help="Raw page bytes as fetched (any charset); '-' reads stdin."),
    url: str = typer.Option("", "--url", help="The page's URL (resolves the canonical link, helps dating)."),
    selector: str | None = typer.Option(None, "--selector", help="CSS selector of the main content."),
    content_type: str | None = typer.Option(
        None, "--content-type", help="HTTP Content-Type header as fetched (charset hint)."
    ),
    segments: bool = typer.Option(False, "--segments", help="Also print sentence segments with offsets."),
    max_bytes: int = typer.Option(
        10_000_000, "--max-bytes", min=1, help="Largest page read, compressed or decompressed (the fetcher's max_bytes)."
    ),
) -> None:
    """Extract title, date, author, canonical URL, charset and main-text paragraphs as JSON."""
    import json
    import sys

    from tasks.text.extract import ExtractionError, extract_article

    from tasks.text.decode import BodyError, unwrap_body

    try:
        if str(file) == "-":
            content = sys.stdin.buffer.read(max_bytes + 1)
        else:
            with file.open("rb") as fh:
                content = fh.read(max_bytes + 1)
    except OSError as exc:
        typer.echo(f"error: cannot read {file}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from exc
    try:
        if len(content) > max_bytes:
            raise BodyError("too_large", f"input exceeds max_bytes {max_bytes}")
        content, _ = unwrap_body(content, max_bytes)
    except BodyError as exc:
        typer.echo(json.dumps({"error": exc.reason, "detail": exc.detail}, ensure_ascii=False))
        typer.echo(f"error: {file} refused: {exc.detail}", err=True)
        raise typer.Exit(3) from exc
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
        "extraction_confidence": doc.extraction_confidence,
    }
    if segments:
        from tasks.text.segment import segment_document

        out["segments"] = [
            {"id": s.id, "start": s.start, "end": s.end, "text": s.text, "split": s.split}
            for s in segment_document(doc, "doc")
        ]
    typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
