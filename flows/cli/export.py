"""`newsbridge export`: files for translators (TMX, XLIFF, HTML review pages).

Exit codes: 0 done; 2 bad usage (unknown source, bad date).
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer

EXIT_USAGE = 2


class ExportFormat(str, Enum):
    tmx = "tmx"
    xliff = "xliff"
    html = "html"


def _output_default() -> Path:
    from tasks.settings import get_settings

    return get_settings().output_dir


def export_command(
    format: ExportFormat = typer.Option(..., "--format", "-f", help="tmx (per language pair), xliff (1.2, per document) or html (review pages + index)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Output directory of runs (default: NEWSBRIDGE_OUTPUT_DIR or ./output)."),
    to: Optional[Path] = typer.Option(None, "--to", help="Where to write the export (default: OUTPUT/export/FORMAT)."),
    source: Optional[list[str]] = typer.Option(None, "--source", "-s", help="Only these source ids (repeatable)."),
    since: Optional[str] = typer.Option(None, "--since", help="Only documents fetched at or after this date (YYYY-MM-DD or ISO datetime, UTC when no zone)."),
) -> None:
    """Export the latest stored version of each document as TMX, XLIFF or HTML review pages."""
    from tasks.review.export import export_documents
    from tasks.review.reviews import SelectionError, parse_since

    out = output or _output_default()
    dest = to or out / "export" / format.value
    problems: list[str] = []
    try:
        written = export_documents(format.value, out, dest, source, parse_since(since), problems)
    except SelectionError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE)
    for path in written:
        typer.echo(str(path))
    for problem in problems:
        typer.echo(f"warning: {problem}", err=True)
    if not written or (format is ExportFormat.html and len(written) == 1):
        typer.echo(f"no stored documents matched under {out / 'docs'}", err=True)


def register(app: typer.Typer) -> None:
    """Add `export` to the app."""
    app.command("export")(export_command)
