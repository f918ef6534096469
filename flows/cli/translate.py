"""`newsbridge translate` (registered by flows/cli/main.py).

Imports of the engine (ctranslate2, argostranslate) happen inside the commands.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from flows.cli.options import Src, Tgt

app = typer.Typer(add_completion=False)


EXIT_MISSING_MODEL = 3


@app.command("translate")
def translate_command(
    src: Src,
    tgt: Tgt,
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

