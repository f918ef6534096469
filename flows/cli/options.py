"""Options shared by several commands, defined once: one flag, short flag and help text each.

A sources file, output directory or pivot language left out comes from the settings
(tasks/settings.py: NEWSBRIDGE_SOURCES_FILE, NEWSBRIDGE_OUTPUT_DIR, NEWSBRIDGE_PIVOT;
then sources.yaml, output, en), the same way for every command. Imports stay cheap
(typer only): `extract`, `detect` and `discover` must start fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

OUTPUT_HELP = "output directory: stored documents, run records, fetch state, translation memory"

Sources = Annotated[
    Optional[Path],
    typer.Option("--sources", "-s", help="sources file: pages and outlets", show_default="NEWSBRIDGE_SOURCES_FILE or sources.yaml"),
]
Output = Annotated[
    Optional[Path], typer.Option("--output", "-o", help=OUTPUT_HELP, show_default="NEWSBRIDGE_OUTPUT_DIR or output")
]
DemoOutput = Annotated[Path, typer.Option("--output", "-o", help=OUTPUT_HELP)]
Only = Annotated[
    Optional[list[str]], typer.Option("--only", help="only these source ids (repeatable); run and discover also take outlet ids")
]
Pivot = Annotated[
    Optional[str], typer.Option("--pivot", help="common language of the translations", show_default="NEWSBRIDGE_PIVOT or en")
]
Runner = Annotated[
    Optional[str], typer.Option("--runner", help="task runner: threads[:N] (default) | dask (local cluster) | dask:ADDRESS")
]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON instead of text")]
# Required where a command declares them without a default (translate, align); optional with `= None`.
Src = Annotated[Optional[str], typer.Option("--src", help="source language (vi, zh, zh-Hans, zh-Hant, en, ...)")]
Tgt = Annotated[Optional[str], typer.Option("--tgt", help="target language (e.g. en)")]


def sources_file(value: Path | None) -> Path:
    """The --sources value, or the settings' sources file."""
    from tasks.settings import get_settings

    return value if value is not None else get_settings().sources_file


def output_dir(value: Path | None) -> Path:
    """The --output value, or the settings' output directory."""
    from tasks.settings import get_settings

    return value if value is not None else get_settings().output_dir


def pivot_lang(value: str | None) -> str:
    """The --pivot value, or the settings' pivot language."""
    from tasks.settings import get_settings

    return value if value is not None else get_settings().pivot
