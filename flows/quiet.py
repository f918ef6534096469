"""Runs on Prefect's temporary server: started early, ended cleanly (no tracebacks at exit).

Why start it early: without `PREFECT_API_URL`, Prefect starts its temporary server when
the flow makes its first call and waits for it: 7-20 s on 2 cores (the server imports
itself and migrates a new database), after the 5 s the command spent importing Prefect.
`start_temporary_server` starts the same server process (the command Prefect's
`SubprocessASGIServer` runs) as soon as the command line is validated, before Prefect is
imported, and hands it to that class, where the flow's client finds it running. Block
types (newsbridge uses none) are not registered on a temporary server: 2-3 s of its start
on a new database.

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

import atexit
import time
from typing import Any, Callable
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
        os.environ.setdefault("PREFECT_API_BLOCKS_REGISTER_ON_START", "false")


# What Prefect's SubprocessASGIServer (prefect/server/api/server.py, Prefect 3.8) runs.
_SERVER_ENV = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}


def start_temporary_server() -> Callable[[], None]:
    """Start Prefect's temporary server now, before Prefect is even imported (importing it
    takes seconds the server can use to start); returns `wait()`, which blocks until the
    server answers and hands it to Prefect, whose client then uses it as its own temporary
    server (one per process, stopped at exit as usual).

    The command is the one Prefect's `SubprocessASGIServer` runs. With `PREFECT_API_URL`
    set nothing is started; when Prefect's settings say there is a server after all, or
    ours did not come up (its port was taken), ours is stopped and Prefect starts its own."""
    import importlib.util
    import os
    import socket
    import subprocess
    import sys
    from pathlib import Path

    if os.environ.get("PREFECT_API_URL"):
        return lambda: None
    spec = importlib.util.find_spec("prefect")
    if spec is None or spec.origin is None:
        return lambda: None
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", "--app-dir", str(Path(spec.origin).parent.parent),
            "--factory", "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
            "--log-level", "error", "--lifespan", "on",
        ],
        env={**os.environ, **_SERVER_ENV},
    )

    def wait() -> None:
        import httpx
        from prefect.server.api.server import SubprocessASGIServer
        from prefect.settings import get_current_settings

        settings = get_current_settings()
        server = SubprocessASGIServer()
        if settings.api.url or not settings.server.ephemeral.enabled or server.running:
            _stop(proc)
            return
        deadline = time.monotonic() + settings.server.ephemeral.startup_timeout_seconds
        with httpx.Client() as client:
            while proc.poll() is None:
                try:
                    if client.get(f"http://127.0.0.1:{port}/api/health").status_code == 200:
                        server.port, server.server_process, server.running = port, proc, True
                        atexit.register(server.stop)
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    _stop(proc)
                    raise RuntimeError("Timed out while attempting to connect to ephemeral Prefect API server.")
                time.sleep(0.1)
        _stop(proc)  # it exited (its port was taken meanwhile): Prefect starts its own

    return wait


def _stop(proc: Any) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except Exception:  # noqa: BLE001 - subprocess.TimeoutExpired
        proc.kill()


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
