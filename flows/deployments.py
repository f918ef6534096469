"""The `nightly` deployment: cron `0 2 * * *` in an explicit timezone, parameters editable in the UI.

`newsbridge serve` builds it here and serves it from the current process; `prefect.yaml`
declares the same deployment (same entrypoint, schedule and defaults) for work pools.
Serving also refreshes the Custom run form: `only` offers the sources file's ids, `since`
names the timezone, and upcoming runs get readable names (`nightly 2026-12-08`) as soon
as the scheduler creates them.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

DEPLOYMENT_NAME = "nightly"
FLOW_NAME = "nightly-crawl"
ENTRYPOINT = "flows/nightly.py:nightly_crawl"

DESCRIPTION = """\
newsbridge nightly crawl: discover → fetch → extract → translate → align → store, then the
translators' outputs (review pages, TMX, XLIFF) for what changed.

Schedule: {schedule} (shown as {browser_tz} in the Edit schedule dialog: the same zone).

Rerun from the UI ("Run" → Custom run) with:
- `only`: ids from the sources file (listed sources or outlets); empty = every one;
- `since`: a day (YYYY-MM-DD, {tz}): skip sources already finished in runs since that day
  (finishes a failed night without redoing the rest);
- `force`: refetch and reprocess even when a page did not change (TM still reused);
- `refresh_days`: outlets only: an article stored more than N whole days ago is requested
  again (conditionally); empty = never;
- `export`: write review pages, TMX and XLIFF for what changed (default on);
- `pivot`, `sources_file`, `output`.
"""


def describe(cron: str, timezone: str) -> str:
    """The deployment's description, with the schedule and its timezone in words."""
    from tasks.schedule import browser_timezone, describe_schedule

    return DESCRIPTION.format(schedule=describe_schedule(cron, timezone), browser_tz=browser_timezone(timezone), tz=timezone)


def default_parameters(sources_file: Path, output: Path, pivot: str = "en") -> dict[str, Any]:
    """Every UI-editable parameter, with absolute paths (runs start in other processes)."""
    return {
        "sources_file": str(sources_file.resolve()),
        "output": str(output.resolve()),
        "only": [],
        "force": False,
        "since": None,
        "refresh_days": None,
        "pivot": pivot,
        "export": True,
    }


def form_schema(schema: dict[str, Any], ids: list[str], timezone: str) -> dict[str, Any]:
    """The flow's parameter schema made for the Custom run form: `only` is a list of the
    configured ids (an enum: the form offers them, the API refuses others), `since` names
    the timezone. Descriptions come from the flow's docstring."""
    props = schema.setdefault("properties", {})
    for prop in props.values():  # the docstring's wrapped lines, as one paragraph each
        if isinstance(prop.get("description"), str):
            prop["description"] = " ".join(prop["description"].split())
    only = props.get("only", {})
    props["only"] = {
        "title": only.get("title", "only"),
        "description": only.get("description", ""),
        "type": "array",
        "items": {"type": "string", "enum": ids},
        "uniqueItems": True,
        "default": [],
        "position": only.get("position", 1),
    }
    since = props.get("since")
    if since is not None:
        since["description"] = f"{since.get('description', '')} Timezone: {timezone}.".strip()
    return schema


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
    The schedule's timezone is saved under the name browsers list (tasks/schedule.py): the
    same zone, and the UI's Edit schedule dialog can show it.
    """
    from prefect.schedules import Cron

    from flows.nightly import nightly_crawl
    from tasks.crawl.sources import configured_ids, load_sources
    from tasks.schedule import browser_timezone

    deployment = nightly_crawl.to_deployment(
        name=DEPLOYMENT_NAME,
        schedules=[Cron(cron, timezone=browser_timezone(timezone))],
        parameters=default_parameters(sources_file, output, pivot),
        description=describe(cron, timezone),
        tags=["newsbridge"],
        # One run at a time: two runs writing the same output and fetch state would race;
        # a rerun started during the nightly run waits for it.
        concurrency_limit=1,
        enforce_parameter_schema=True,
    )
    schema = deployment._parameter_openapi_schema
    ids = configured_ids(load_sources(sources_file))
    schema.properties = form_schema({"properties": schema.properties}, ids, timezone)["properties"]
    return deployment


def name_runs_once(client: Any, deployment_id: Any, timezone: str) -> int:
    """Give this deployment's runs that have not started a readable name; returns how many were renamed."""
    from prefect.client.schemas.filters import (
        DeploymentFilter, DeploymentFilterId, FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    from tasks.night.params import run_name

    runs = client.read_flow_runs(
        deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
        flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(
            any_=[StateType.SCHEDULED, StateType.PENDING]))),
        limit=200,
    )
    renamed = 0
    for run in runs:
        when: datetime | None = run.expected_start_time or run.created
        if when is None:
            continue
        name = run_name(run.parameters or {}, when, timezone)
        if run.name != name:
            client.set_flow_run_name(run.id, name)
            renamed += 1
    return renamed


def keep_runs_named(deployment_name: str, timezone: str, stop: threading.Event, every: float = 2.0) -> threading.Thread:
    """A daemon thread renaming upcoming runs (scheduled or made from the UI) every `every` seconds."""

    def loop() -> None:
        from prefect.client.orchestration import get_client

        deployment_id = None
        while not stop.wait(every):
            try:
                with get_client(sync_client=True) as client:
                    if deployment_id is None:
                        deployment_id = client.read_deployment_by_name(deployment_name).id
                    name_runs_once(client, deployment_id, timezone)
            except Exception:  # noqa: BLE001 - names are a convenience; the run names itself when it starts
                time.sleep(every)

    thread = threading.Thread(target=loop, name="newsbridge-run-names", daemon=True)
    thread.start()
    return thread
