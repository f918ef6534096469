"""`newsbridge detect` (registered by flows/cli/main.py). Imports stay cheap: no prefect, no argos.

gzip / zstd / brotli input (judged by its bytes) is decompressed within --max-bytes;
binary input is refused. Exit codes: 0 one line printed per input line, 3 input refused
(`binary_body`, `too_large`, `bad_compressed_body`), nothing printed on stdout.
"""

from __future__ import annotations

import sys

import typer


app = typer.Typer(add_completion=False)


def _read_lines(max_bytes: int) -> list[str]:
    # Bytes, decoded here: the console's locale must not decide how Vietnamese or
    # Chinese input is read. Undecodable bytes become U+FFFD rather than a crash.
    from tasks.text.decode import BodyError, unwrap_body

    raw = sys.stdin.buffer.read()
    try:
        raw, _ = unwrap_body(raw, max_bytes)
    except BodyError as exc:
        typer.echo(f"error: stdin refused ({exc.reason}): {exc.detail}", err=True)
        raise typer.Exit(3) from exc
    data = raw.decode("utf-8", errors="replace")
    if data.startswith("\ufeff"):
        data = data[1:]
    lines = data.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # a final newline ends the last line; it does not start a new one
    return [line[:-1] if line.endswith("\r") else line for line in lines]


@app.command("detect")
def detect_command(
    max_bytes: int = typer.Option(
        10_000_000, "--max-bytes", min=1, help="Largest decompressed input (gzip, zstd, brotli); plain text is not capped."
    ),
) -> None:
    """Language of each stdin line: prints `lang<TAB>score` per line, same count and order.

    Each line is judged on its own (no neighbours); an empty line, or one with only
    digits/URLs/punctuation, gives `und`. Langs: vi, zh-Hans, zh-Hant, en, or another
    code (ja, ko, th, ru, ...).
    """
    from tasks.text.detect import detect_lines

    results = detect_lines(_read_lines(max_bytes))
    out = sys.stdout.buffer
    out.write("".join(f"{lang}\t{score:.4f}\n" for lang, score in results).encode("utf-8"))
    out.flush()

