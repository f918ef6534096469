"""`newsbridge demo`: the offline demo (flows/demo.py), exit codes as `newsbridge run`."""

from __future__ import annotations

from pathlib import Path

import typer

from flows.cli.options import AsJson, DemoOutput

app = typer.Typer(add_completion=False)


@app.command("demo")
def demo(
    output: DemoOutput = Path("output/demo"),
    as_json: AsJson = False,
) -> None:
    """Offline demo: a bundled local news site, the TEST models, Prefect's embedded server."""
    from flows.demo import run_demo

    raise typer.Exit(run_demo(output, as_json=as_json))
