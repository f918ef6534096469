"""`newsbridge translate` and `newsbridge models ...` (registered by flows/cli/main.py).

Imports of the engine (ctranslate2, argostranslate) happen inside the commands.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

EXIT_MISSING_MODEL = 3
EXIT_INSTALL_FAILED = 4

models_app = typer.Typer(
    help="List and install Argos translation packages.", no_args_is_help=True, add_completion=False
)


def translate_command(
    src: str = typer.Option(..., "--src", help="Source language (vi, zh, zh-Hans, zh-Hant, en, ...)."),
    tgt: str = typer.Option(..., "--tgt", help="Target language (e.g. en)."),
    memory: Optional[Path] = typer.Option(
        None, "--memory", help="Translation memory (SQLite file); hits are not retranslated."
    ),
) -> None:
    """Translate stdin lines to stdout lines: same count and order, empty line → empty line."""
    from tasks.translate.packages import MissingModelError
    from tasks.translate.engine import translate_texts

    data = sys.stdin.buffer.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        typer.echo(f"error: stdin is not UTF-8 ({exc})", err=True)
        raise typer.Exit(2) from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # a final newline ends the last line; it is not an extra empty line
    lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    tm = None
    if memory is not None:
        from tasks.translate.memory import open_memory

        tm = open_memory(memory)
    try:
        results = translate_texts(lines, src, tgt, memory=tm)
    except MissingModelError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_MISSING_MODEL) from None
    finally:
        if tm is not None:
            tm.close()
    out = sys.stdout
    for line, tr in zip(lines, results):
        out.write((tr.text if line.strip() else "").replace("\n", " ") + "\n")
    out.flush()
    non_empty = [tr for line, tr in zip(lines, results) if line.strip()]
    from_mem = sum(1 for tr in non_empty if tr.from_memory)
    model = results[0].model if results else "-"
    typer.echo(
        f"translated {len(lines)} lines {src}→{tgt}: fresh {len(non_empty) - from_mem}, "
        f"from memory {from_mem}, empty {len(lines) - len(non_empty)} (model {model})",
        err=True,
    )
    from tasks.models import TEST_MODEL_VERSION

    if model.endswith("@" + TEST_MODEL_VERSION):
        typer.echo("WARNING: TEST model — its output is nonsense by design; install a real Argos package.", err=True)


@models_app.command("list")
def models_list(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
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


@models_app.command("install")
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


def register(app: typer.Typer) -> None:
    """Add `translate` and `models` to the app."""
    app.command("translate")(translate_command)
    app.add_typer(models_app, name="models")
