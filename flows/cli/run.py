"""`newsbridge run`: the main job on real sources (the flow itself runs in flows/local.py).

Exit codes: 0 every source has an expected outcome; 1 some source failed unexpectedly
(the run records say which); 2 invalid configuration or usage (nothing was run);
3 a translation model is missing (nothing was stored).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from flows.cli.options import AsJson, Only, Output, Pivot, Runner, Sources, output_dir, pivot_lang, sources_file

from flows.local import EXIT_CONFIG, print_summary, run_flow


def _err(message: str) -> None:
    typer.echo(message, err=True)


def validate_or_exit(sources: Path, only: list[str] | None) -> None:
    """Validate sources.yaml (and --only) before anything runs; exit 2 naming file:line: field."""
    from tasks.crawl.sources import ConfigError, load_sources, select_sources

    try:
        select_sources(load_sources(sources), only)
    except ConfigError as exc:
        _err("invalid configuration:")
        for problem in exc.problems:
            _err(f"  {problem}")
        raise typer.Exit(EXIT_CONFIG)

app = typer.Typer(add_completion=False)


@app.command("run")
def run(
    sources: Sources = None,
    only: Only = None,
    force: bool = typer.Option(False, "--force", help="refetch and reprocess even if unchanged"),
    output: Output = None,
    pivot: Pivot = None,
    since: Optional[str] = typer.Option(
        None, "--since", help="YYYY-MM-DD: skip sources already finished in runs since that day (finish a failed day)"
    ),
    refresh_days: Optional[int] = typer.Option(
        None, "--refresh-days", min=0,
        help="outlets: request again (conditionally) articles stored more than N whole days ago; default never",
    ),
    export: bool = typer.Option(
        True, "--export/--no-export",
        help="at the end, write review pages, TMX and XLIFF for what changed (under OUTPUT/export/)",
    ),
    runner: Runner = None,
    as_json: AsJson = False,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bars, logs or summary table (errors only)"),
) -> None:
    """Run the nightly crawl once, now, on the sources file."""
    import os
    from datetime import date

    sources, output, pivot = sources_file(sources), output_dir(output), pivot_lang(pivot)
    validate_or_exit(sources, only)
    problems = []
    if since is not None:
        try:
            date.fromisoformat(since)
        except ValueError:
            problems.append(f"--since: not a day YYYY-MM-DD: {since!r}")
    kind = (runner or "threads").split(":", 1)
    if kind[0] not in ("threads", "dask") or (kind[0] == "threads" and len(kind) == 2 and not kind[1].isdigit()):
        problems.append(f"--runner: use threads[:N] or dask[:ADDRESS], got {runner!r}")
    if problems:
        _err("invalid configuration:")
        for problem in problems:
            _err(f"  {problem}")
        raise typer.Exit(EXIT_CONFIG)
    if quiet or as_json:
        # Prefect configures its logging on import: only warnings and errors on stderr.
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    code, summary = run_flow(
        sources, only, force, output, pivot, since=since, runner=runner, progress=not (quiet or as_json),
        refresh_days=refresh_days, export=export,
    )
    if summary is not None and (as_json or not quiet):
        print_summary(summary, output, as_json)
    raise typer.Exit(code)
