"""`newsbridge align`: sentence alignment of two text files, one sentence per line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from flows.cli.options import Src, Tgt

app = typer.Typer(add_completion=False)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"newsbridge align: error: {message}", err=True)
    return typer.Exit(2)


def _read_lines(path: Path) -> list[str]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _fail(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _fail(f"{path} is not UTF-8 (invalid byte at offset {exc.start}); convert it first") from None
    return text.splitlines()


@app.command("align")
def align(
    a: Annotated[Path, typer.Argument(help="Source version, one sentence per line (UTF-8).")],
    b: Annotated[Path, typer.Argument(help="Target version, one sentence per line (UTF-8).")],
    src: Src,
    tgt: Tgt,
    mt: Annotated[Path | None, typer.Option("--mt", help="Optional MT of A into the target language, line by line (adds MT similarity as evidence).")] = None,
    show_method: Annotated[bool, typer.Option("--show-method", help="Print the method, MT state and passes on stderr.")] = False,
) -> None:
    """Align A and B sentence by sentence: a JSON list of links {"src": [..], "tgt": [..],
    "score": p, "export": true|false, "method": .., "features": {..}}; `score` is the
    probability that the link is right, `export` whether it is trusted enough to export.
    Reasons for leaving lines unlinked (empty or same-language versions, link lists) go to stderr."""
    from tasks.align.sentences import align_sentences_detailed

    src_lines = _read_lines(a)
    tgt_lines = _read_lines(b)
    mt_lines = _read_lines(mt) if mt is not None else None
    if mt_lines is not None and len(mt_lines) != len(src_lines):
        raise _fail(f"{mt} has {len(mt_lines)} lines but {a} has {len(src_lines)}; --mt needs one line per source line")
    result = align_sentences_detailed(src_lines, tgt_lines, src, tgt, mt_lines)
    typer.echo(json.dumps([{**link.to_json(), "method": result.method} for link in result.links], ensure_ascii=False))
    for note in result.notes:
        typer.echo(f"newsbridge align: note: {note}", err=True)
    if show_method:
        typer.echo(f"method: {result.method}; mt: {result.mt}; passes: {result.passes}", err=True)
