"""`newsbridge serve`: serve the nightly deployment (cron in an explicit timezone) from this process.

Exit codes: 0 stopped cleanly (Ctrl-C); 2 invalid configuration (sources file, timezone,
cron or runner) — nothing was served.
"""

from __future__ import annotations

import os
from typing import Optional

import typer

from flows.cli.options import Output, Pivot, Runner, Sources, output_dir, pivot_lang, sources_file

EXIT_CONFIG = 2


def _check_schedule(timezone: str, cron: str) -> list[str]:
    """Problems with the timezone or cron expression, validated as Prefect will read them."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return [f"--timezone: unknown IANA timezone {timezone!r} (e.g. Asia/Ho_Chi_Minh, UTC)"]
    from prefect.client.schemas.schedules import CronSchedule
    from pydantic import ValidationError

    try:
        CronSchedule(cron=cron, timezone=timezone)
    except ValidationError as exc:
        return [f"--cron: invalid cron expression {cron!r}: {exc.errors()[0]['msg']}"]
    return []


def _check_runner(runner: Optional[str]) -> list[str]:
    if runner is None or runner.split(":", 1)[0] in ("threads", "dask"):
        if runner and runner.startswith("threads:") and not runner[8:].isdigit():
            return [f"--runner: threads:N needs a number, got {runner!r}"]
        return []
    return [f"--runner: use threads[:N] or dask[:ADDRESS], got {runner!r}"]

app = typer.Typer(add_completion=False)


@app.command("serve")
def serve(
    sources: Sources = None,
    output: Output = None,
    timezone: Optional[str] = typer.Option(
        None, "--timezone", help="IANA timezone of the schedule [default: NEWSBRIDGE_TIMEZONE or Asia/Ho_Chi_Minh]"
    ),
    cron: Optional[str] = typer.Option(None, "--cron", help="schedule [default: NEWSBRIDGE_CRON or '0 2 * * *']"),
    runner: Runner = None,
    pivot: Pivot = None,
) -> None:
    """Serve the `nightly` deployment: scheduled runs and UI reruns execute in this process.

    Point it at a Prefect server with PREFECT_API_URL (see README, operations).
    """
    from flows.cli.run import validate_or_exit
    from tasks.settings import get_settings

    settings = get_settings()
    sources, output, pivot = sources_file(sources), output_dir(output), pivot_lang(pivot)
    timezone = timezone or settings.timezone
    cron = cron or settings.cron
    problems = _check_schedule(timezone, cron) + _check_runner(runner)
    if problems:
        typer.echo("invalid configuration:", err=True)
        for p in problems:
            typer.echo(f"  {p}", err=True)
        raise typer.Exit(EXIT_CONFIG)
    validate_or_exit(sources, None)
    # Runs start in child processes that inherit the environment and import the flow
    # afresh: the timezone names days there too (run names, artifact keys, `since`),
    # and the runner becomes the flow's default task runner there.
    os.environ["NEWSBRIDGE_TIMEZONE"] = timezone
    os.environ["NEWSBRIDGE_CRON"] = cron  # the run summary states the schedule
    if runner:
        os.environ["NEWSBRIDGE_RUNNER"] = runner
    get_settings.cache_clear()

    from prefect import serve as prefect_serve
    from prefect.settings import PREFECT_API_URL

    from flows.deployments import nightly_deployment

    if not PREFECT_API_URL.value():
        typer.echo(
            "note: PREFECT_API_URL is not set: serving against a temporary embedded Prefect server "
            "that stops with this command. For the UI and a lasting schedule: `prefect server start`, "
            "then `export PREFECT_API_URL=http://127.0.0.1:4200/api`.",
            err=True,
        )

    import threading

    from flows.deployments import DEPLOYMENT_NAME, FLOW_NAME, keep_runs_named
    from tasks.schedule import describe_schedule

    deployment = nightly_deployment(sources, output, timezone=timezone, cron=cron, pivot=pivot)
    typer.echo(f"serving deployment {FLOW_NAME}/{DEPLOYMENT_NAME}: {describe_schedule(cron, timezone)}, "
               f"runner {get_settings().runner}")
    # Upcoming runs (the scheduler's and the UI's) get readable names before they start.
    stop = threading.Event()
    keep_runs_named(f"{FLOW_NAME}/{DEPLOYMENT_NAME}", timezone, stop)
    try:
        prefect_serve(deployment)
    finally:
        stop.set()
