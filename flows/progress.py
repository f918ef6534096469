"""Rich progress bars for long local runs (`newsbridge run`), fed by the flow's stage counters."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def stage_progress(enabled: bool) -> Iterator[None]:
    """One bar per stage (fetch, process, translate, store) on stderr while the flow runs.

    Only on an interactive terminal: scripts, cron and CI logs get no control characters.
    """
    if not enabled or not sys.stderr.isatty():
        yield
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from flows.nightly import progress_to

    bars: dict[str, int] = {}
    progress = Progress(
        TextColumn("{task.description:<9}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=Console(stderr=True),
    )

    def update(stage: str, done: int, total: int) -> None:
        if stage not in bars:
            bars[stage] = progress.add_task(stage, total=total)
        progress.update(bars[stage], completed=done, total=total)

    with progress, progress_to(update):
        yield
