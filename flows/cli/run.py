"""`newsbridge run`: the main job on real sources (`newsbridge demo` reuses `run_flow`).

Exit codes: 0 every source has an expected outcome; 1 some source failed unexpectedly
(the run records say which); 2 invalid configuration or usage (nothing was run);
3 a translation model is missing (nothing was stored).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer

EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_MODEL = 0, 1, 2, 3


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


def run_flow(
    sources: Path,
    only: list[str] | None,
    force: bool,
    output: Path,
    pivot: str,
    *,
    since: str | None = None,
    runner: str | None = None,
    progress: bool = False,
    refresh_days: float | None = None,
) -> tuple[int, dict[str, Any] | None]:
    """Run the nightly flow in this process; (exit code, summary or None)."""
    from flows.early import discard, start_early_fetch
    from flows.quiet import quiet_temporary_server_env, settle_temporary_server, start_temporary_server

    quiet_temporary_server_env()
    # Prefect's temporary server starts while the flow and its stages are imported, and
    # while the first pages are fetched (flows/early.py).
    server_ready = start_temporary_server()
    start_early_fetch(sources, only, force, output, since=since, runner=runner, pivot=pivot)
    try:
        from flows.nightly import FlowFailed, nightly_crawl, task_runner_for
        from flows.progress import stage_progress
        from tasks.stream.stream import warm_up
        from tasks.translate.engine import MissingModelError

        warm_up()
        server_ready()

        flow = nightly_crawl if runner is None else nightly_crawl.with_options(task_runner=task_runner_for(runner))
        try:
            with stage_progress(progress):
                state = flow(
                    sources_file=str(sources), only=only or None, force=force, pivot=pivot, output=str(output),
                    since=since, refresh_days=refresh_days, return_state=True,
                )
            # Let Prefect's temporary server record the run's last events before it is stopped
            # at exit (flows/quiet.py: otherwise it logs "Error flushing events" tracebacks).
            result = state.result(raise_on_failure=False)
            shards = result.get("shards", 0) if isinstance(result, dict) else 0  # one task run each
            settle_temporary_server(state.state_details.flow_run_id, shards)
            if isinstance(result, BaseException):
                raise result
            summary = result
        except MissingModelError as exc:
            _err(f"error: {exc}")
            return EXIT_MODEL, None
        except FlowFailed as exc:
            _err(f"run finished with failures: {exc}")
            return EXIT_FAILED, None
        return EXIT_OK, summary
    finally:
        discard()  # an early Fetcher the flow did not take (it failed before its first shard)


def print_summary(summary: dict[str, Any], output: Path, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"run {summary['run_id']}", show_header=True)
    table.add_column("what")
    table.add_column("count", justify="right")
    for key in ("sources", "new", "changed", "unchanged", "rejected", "failed", "segments",
                "translated_fresh", "translated_from_memory", "copied", "untranslated"):
        table.add_row(key, str(summary[key]))
    if summary.get("discovered"):  # outlets (docs/discovery.md)
        for key in ("discovered", "skipped_seen", "skipped_old", "skipped_cap", "paired", "discovery_rejected", "off_site"):
            table.add_row(key, str(summary.get(key, 0)))
    console.print(table)
    for reason, n in summary.get("reasons", {}).items():
        console.print(f"  reason [bold]{reason}[/bold]: {n}")
    console.print(f"outputs: {output.resolve()}  (run records: {summary['run_dir']})")


def register(app: typer.Typer) -> None:
    @app.command()
    def run(
        sources: Path = typer.Option(Path("sources.yaml"), "--sources", "-s", help="sources file"),
        only: Optional[list[str]] = typer.Option(None, "--only", help="run only these source ids (repeatable)"),
        force: bool = typer.Option(False, "--force", help="refetch and reprocess even if unchanged"),
        output: Path = typer.Option(Path("output"), "--output", "-o", help="output directory"),
        pivot: str = typer.Option("en", "--pivot", help="common language of the translations"),
        since: Optional[str] = typer.Option(
            None, "--since", help="YYYY-MM-DD: skip sources already finished in runs since that day (finish a failed day)"
        ),
        refresh_days: Optional[float] = typer.Option(
            None, "--refresh-days", min=0,
            help="outlets: request again (conditionally) articles stored more than N days ago; default never",
        ),
        runner: Optional[str] = typer.Option(
            None, "--runner", help="task runner: threads[:N] (default) | dask (local cluster) | dask:ADDRESS"
        ),
        as_json: bool = typer.Option(False, "--json", help="print the run summary as JSON"),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bars, logs or summary table (errors only)"),
    ) -> None:
        """Run the nightly crawl once, now, on the sources file."""
        import os
        from datetime import date

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
            refresh_days=refresh_days,
        )
        if summary is not None and (as_json or not quiet):
            print_summary(summary, output, as_json)
        raise typer.Exit(code)
