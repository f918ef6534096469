"""`newsbridge export` and `newsbridge review import`: files for translators and their work back.

Exit codes: 0 done; 1 `review import` found stale units (applied what it could and
listed the rest); 2 bad usage or input (unknown source, bad date, not our XLIFF).
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

EXIT_OK, EXIT_STALE, EXIT_USAGE = 0, 1, 2


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
    from tasks.export import export_documents
    from tasks.review import SelectionError, parse_since

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


review_app = typer.Typer(help="Bring translators' reviews back into the store and the translation memory.", no_args_is_help=True)


@review_app.command("import")
def review_import_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="An XLIFF 1.2 file from `newsbridge export --format xliff`, edited by a reviewer."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Output directory of runs (default: NEWSBRIDGE_OUTPUT_DIR or ./output)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Import signed-off/final targets into the translation memory and the stored documents."""
    from tasks.memory import open_memory
    from tasks.review import ReviewImportError, import_review
    from tasks.settings import get_settings

    out = output or _output_default()
    try:
        with open_memory(get_settings().tm_location(out)) as memory:
            report = import_review(file, out, memory)
    except ReviewImportError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        typer.echo(
            f"applied {len(report.applied)} · already imported {len(report.unchanged)} · "
            f"stale {len(report.stale)} · edited but not signed-off/final {len(report.edited_not_marked)} · "
            f"not reviewed {report.not_reviewed} · memory entries written {report.memory_written}"
        )
        for rel in report.documents_rewritten:
            typer.echo(f"rewrote {out / rel}")
        for unit in report.edited_not_marked:
            typer.echo(f"not imported (state is not signed-off/final): {unit}", err=True)
        for stale in report.stale:
            typer.echo(f"stale: {stale['unit']}: {stale['reason']}", err=True)
    if report.stale:
        raise typer.Exit(EXIT_STALE)


def register(app: typer.Typer) -> None:
    """Add `export` and `review import` to the app."""
    app.command("export")(export_command)
    app.add_typer(review_app, name="review")
