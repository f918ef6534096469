"""`newsbridge export`: files for translators (TMX, XLIFF, HTML review pages).

Exit codes: 0 done; 2 bad usage (unknown format or source, bad date). The formats and their
writers are tasks/review/'s (export.py names them): a new format needs no change here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from flows.cli.options import Only, Output, output_dir

app = typer.Typer(add_completion=False)


EXIT_USAGE = 2


@app.command("export")
def export_command(
    format: str = typer.Option(
        ..., "--format", "-f",
        help="tmx (per language pair), xliff (1.2, per document) or html (review pages + index); the formats are tasks/review/export.py's",
    ),
    output: Output = None,
    to: Optional[Path] = typer.Option(None, "--to", help="Where to write the export (default: OUTPUT/export/FORMAT)."),
    only: Only = None,
    since: Optional[str] = typer.Option(None, "--since", help="Only documents fetched at or after this date (YYYY-MM-DD or ISO datetime, UTC when no zone)."),
) -> None:
    """Export the latest stored version of each document as TMX, XLIFF or HTML review pages."""
    from tasks.review.export import export_documents
    from tasks.review.reviews import SelectionError, parse_since

    out = output_dir(output)
    dest = to or out / "export" / format
    problems: list[str] = []
    try:
        written = export_documents(format, out, dest, only, parse_since(since), problems)
    except SelectionError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE)
    for path in written:
        typer.echo(str(path))
    for problem in problems:
        typer.echo(f"warning: {problem}", err=True)
    if not written or (format == "html" and len(written) == 1):
        typer.echo(f"no stored documents matched under {out / 'docs'}", err=True)

