"""`newsbridge review import` and `newsbridge review serve`: translators' work back.

Exit codes: 0 done; 1 `review import` found stale units (applied what it could and
listed the rest); 2 bad usage or input (not our XLIFF, cannot listen).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from flows.cli.options import AsJson, Output, output_dir

EXIT_OK, EXIT_STALE, EXIT_USAGE = 0, 1, 2


def _reviewer_default() -> str:
    """Who is recorded in the audit log and the stored document: NEWSBRIDGE_REVIEWER or the login name."""
    import getpass
    import os

    return os.environ.get("NEWSBRIDGE_REVIEWER") or getpass.getuser()


app = typer.Typer(
    name="review",
    help="Bring translators' reviews back into the store and the translation memory (XLIFF import, or the browser app).",
    no_args_is_help=True,
    add_completion=False,
)


@app.command("import")
def review_import_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="An XLIFF 1.2 file from `newsbridge export --format xliff`, edited by a reviewer."),
    output: Output = None,
    as_json: AsJson = False,
) -> None:
    """Import signed-off/final targets into the translation memory and the stored documents."""
    from tasks.translate.memory import open_memory
    from tasks.review.reviews import ReviewImportError, import_review
    from tasks.settings import get_settings

    out = output_dir(output)
    try:
        with open_memory(get_settings().tm_location(out)) as memory:
            report = import_review(file, out, memory, reviewer=_reviewer_default())
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


@app.command("serve")
def review_serve_command(
    output: Output = None,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind. Anything but loopback requires NEWSBRIDGE_REVIEW_TOKEN."),
    port: int = typer.Option(0, "--port", help="Port to bind (0: the system picks a free one; the first line printed names it)."),
    reviewer: Optional[str] = typer.Option(None, "--reviewer", help="Name recorded for saves that do not name a reviewer (default: NEWSBRIDGE_REVIEWER or the login name)."),
) -> None:
    """Serve the review pages in the browser: edit, approve, finalise or flag segments (first line: `review: <URL>`)."""
    import os

    from flows.review_server import serve
    from tasks.review.app import TOKEN_ENV, BindRefused
    from tasks.settings import get_settings

    settings = get_settings()
    out = output_dir(output)
    token = os.environ.get(TOKEN_ENV) or None
    who = reviewer or _reviewer_default()
    if token:
        typer.echo(f"reviewer token required ({TOKEN_ENV}): open the address once with ?token=<token>", err=True)
    try:
        serve(
            out, host, port, token=token, reviewer=who, pivot=settings.pivot, tm_location=settings.tm_location(out),
            announce=lambda line: typer.echo(line),
        )
    except BindRefused as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE)
    except OSError as exc:
        typer.echo(f"error: cannot listen on {host}:{port}: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE)

