"""A clean end for runs on Prefect's temporary server: no tracebacks at exit.

Why runs used to end with "Error flushing N events" tracebacks: without
`PREFECT_API_URL`, Prefect starts a temporary server in a subprocess and stops it at
interpreter exit (SIGTERM, then a kill after 5 s). Task runs are orchestrated client side:
the client reports them as *events*, sent in the background, and the server's
TaskRunRecorder writes them to its database one by one. When the flow returns, the last
events are still on their way or being written; the exit handler then stops the server,
its message consumer is cancelled in the middle of a write, and the recorder logs the
CancelledError with a traceback (and the task runs' final states are lost). Nothing was
wrong with the run; the server was simply stopped before it had caught up.

The fix is to let it catch up: after the flow, send what the client still holds
(`EventsWorker.drain_all`) and wait until the server has recorded every task run of the
flow run in a final state, then let Prefect stop it. Against a persistent server
(`PREFECT_API_URL` set) nothing is stopped, so nothing is waited for.
"""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID


def uses_temporary_server() -> bool:
    from prefect.settings import get_current_settings

    return not get_current_settings().api.url


def quiet_temporary_server_env() -> None:
    """A temporary server is private to this run and often offline: its telemetry
    heartbeat then fails with an ERROR line at every run. Off unless the operator set it."""
    import os

    if not os.environ.get("PREFECT_API_URL"):
        os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def settle_temporary_server(flow_run_id: UUID | str | None, expected_task_runs: int = 0, timeout: float = 30.0) -> bool:
    """Wait (bounded) until the temporary server recorded the flow run's task runs, each
    in a final state; True when it did."""
    if flow_run_id is None or not uses_temporary_server():
        return True
    from prefect.client.orchestration import get_client
    from prefect.events.worker import EventsWorker

    deadline = time.monotonic() + timeout
    EventsWorker.drain_all(timeout=timeout)
    of_run: dict[str, Any] = {"flow_runs": {"id": {"any_": [str(flow_run_id)]}}}
    final = {**of_run, "task_runs": {"state": {"type": {"any_": ["COMPLETED", "FAILED", "CANCELLED", "CRASHED"]}}}}
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            total = client.request("POST", "/task_runs/count", json=of_run).json()
            done = client.request("POST", "/task_runs/count", json=final).json()
            if total >= expected_task_runs and done == total:
                return True
            time.sleep(0.2)
    return False
