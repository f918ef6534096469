"""`newsbridge models ...`: list and install translation packages (registered by flows/cli/main.py).

Imports of the engine (ctranslate2, argostranslate) happen inside the commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from flows.cli.options import AsJson

EXIT_INSTALL_FAILED = 4

app = typer.Typer(
    name="models",
    help="List and install Argos translation packages.", no_args_is_help=True, add_completion=False
)


@app.command("list")
def models_list(as_json: AsJson = False) -> None:
    """Installed packages: pair, version, whether it is a test model, path."""
    from tasks.translate.packages import models_dir, scan

    where = models_dir()
    listing = scan(where)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "models_dir": str(where),
                    "packages": [
                        {
                            "pair": p.pair,
                            "version": p.version,
                            "model": p.model_id,
                            "is_test": p.is_test,
                            "kind": p.kind,
                            "path": str(p.path),
                        }
                        for p in listing.packages
                    ],
                    "problems": listing.problems,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    typer.echo(f"models dir: {where}")
    if not listing.packages:
        typer.echo("no packages installed (newsbridge models install PATH | --test | --online PAIR)")
    for p in listing.packages:
        flag = "TEST (nonsense output)" if p.is_test else p.kind
        typer.echo(f"{p.pair:8} {p.version:14} {flag:22} {p.path}")
    for problem in listing.problems:
        typer.echo(f"warning: {problem}", err=True)


@app.command("install")
def models_install(
    targets: Optional[list[str]] = typer.Argument(
        None, help="PATH (.argosmodel file, directory of them, or a bring-your-own model dir); with --online: pairs like zh-en."
    ),
    test: bool = typer.Option(False, "--test", help="Build and install the tiny TEST models (vi→en, zh→en)."),
    online: bool = typer.Option(False, "--online", help="Download the given pairs from the Argos package index."),
) -> None:
    """Install packages from a path, the tiny test models, or the Argos index."""
    from tasks.translate.packages import (
        ModelInstallError,
        install_online,
        install_path,
        install_test_models,
        models_dir,
    )

    targets = targets or []
    if sum([test, online, bool(targets) and not online]) != 1 or (online and not targets):
        typer.echo("usage: newsbridge models install PATH | --test | --online PAIR [PAIR ...]", err=True)
        raise typer.Exit(2)
    where = models_dir()
    try:
        if test:
            installed = install_test_models(where, notice=lambda m: typer.echo(m, err=True))
        elif online:
            installed = install_online(targets, where)
        else:
            installed = [info for t in targets for info in install_path(Path(t), where)]
    except ModelInstallError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_INSTALL_FAILED) from None
    for p in installed:
        flag = " (TEST model: nonsense output)" if p.is_test else ""
        typer.echo(f"installed {p.pair} {p.version} → {p.path}{flag}")

