"""The `nightly` deployment: cron `0 2 * * *` in an explicit timezone, parameters editable in the UI.

`newsbridge serve` builds it here and serves it from the current process; `prefect.yaml`
declares the same deployment (same entrypoint, schedule and defaults) for work pools.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

DEPLOYMENT_NAME = "nightly"
FLOW_NAME = "nightly-crawl"
ENTRYPOINT = "flows/nightly.py:nightly_crawl"

DESCRIPTION = """\
newsbridge nightly crawl: fetch → clean/segment/detect → translate → align → store.

Rerun from the UI ("Run" → custom run) with:
- `only`: source ids from sources.yaml (e.g. ["mic-gov-vn"]); empty = every source;
- `since`: a day (schedule timezone): skip sources already finished in runs since that day
  (finishes a failed night without redoing the rest);
- `force`: refetch and reprocess even when a page did not change (TM still reused);
- `refresh_days`: outlets only: an article stored more than N days ago is requested again
  (conditionally); empty = never;
- `pivot`, `sources_file`, `output`.
"""


def default_parameters(sources_file: Path, output: Path, pivot: str = "en") -> dict[str, Any]:
    """Every UI-editable parameter, with absolute paths (runs start in other processes)."""
    return {
        "sources_file": str(sources_file.resolve()),
        "output": str(output.resolve()),
        "only": None,
        "force": False,
        "since": None,
        "refresh_days": None,
        "pivot": pivot,
    }


def nightly_deployment(
    sources_file: Path,
    output: Path,
    *,
    timezone: str,
    cron: str = "0 2 * * *",
    pivot: str = "en",
) -> Any:
    """A RunnerDeployment of `nightly_crawl`, ready for `prefect.serve`.

    The task runner is the flow's default, from the NEWSBRIDGE_RUNNER setting: served runs
    start in child processes that import the flow module afresh, so an in-memory
    `with_options(task_runner=...)` would not reach them; the environment does.
    """
    from prefect.schedules import Cron

    from flows.nightly import nightly_crawl

    return nightly_crawl.to_deployment(
        name=DEPLOYMENT_NAME,
        schedules=[Cron(cron, timezone=timezone)],
        parameters=default_parameters(sources_file, output, pivot),
        description=DESCRIPTION,
        tags=["newsbridge"],
        # One run at a time: two runs writing the same output and fetch state would race;
        # a rerun started during the nightly run waits for it.
        concurrency_limit=1,
    )
