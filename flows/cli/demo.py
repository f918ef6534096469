"""`newsbridge demo`: the offline demo (flows/demo.py), exit codes as `newsbridge run`."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        output: Path = typer.Option(Path("output/demo"), "--output", "-o", help="output directory"),
        as_json: bool = typer.Option(False, "--json", help="print the run summary as JSON"),
    ) -> None:
        """Offline demo: a bundled local news site, the TEST models, Prefect's embedded server."""
        from flows.demo import run_demo

        raise typer.Exit(run_demo(output, as_json=as_json))
