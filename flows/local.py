"""The nightly flow run in this process: `newsbridge run` and `newsbridge demo` share it.

Exit codes: 0 every source has an expected outcome; 1 some source failed unexpectedly
(the run records say which); 2 invalid configuration or usage (nothing was run);
3 a translation model is missing (nothing was stored).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_MODEL = 0, 1, 2, 3


def _err(message: str) -> None:
    typer.echo(message, err=True)


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
    refresh_days: int | None = None,
    export: bool = True,
) -> tuple[int, dict[str, Any] | None]:
    """Run the nightly flow in this process; (exit code, summary or None)."""
    from flows.quiet import quiet_temporary_server_env, settle_temporary_server, start_temporary_server

    quiet_temporary_server_env()
    # Prefect's temporary server starts while the flow and its stages are imported.
    server_ready = start_temporary_server()
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
                since=since, refresh_days=refresh_days, export=export, return_state=True,
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
