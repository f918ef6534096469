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
    listed: bool = typer.Option(False, "--listed", help="the older demo: six hand-listed URLs, one run"),
) -> None:
    """Offline demo: a bundled three-edition outlet over two nights, the TEST models, Prefect's embedded server."""
    from flows.demo import run_demo

    raise typer.Exit(run_demo(output, as_json=as_json, listed=listed))
