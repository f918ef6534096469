"""What a run does before and around its first page (issue 15, the polite overlap).

1. A shard starts its extraction worker processes only when fetched pages queue up
   behind its own thread: a polite host (a page every 0.3 s) never pays their start-up,
   a fast one gets them. Both on a loopback site, through the real stream and Fetcher.
2. `flows.quiet.start_temporary_server` starts Prefect's temporary server before Prefect
   is imported and hands it to Prefect's `SubprocessASGIServer`, whose instance the
   flow's client uses: a real server process that answers, stopped at the end.
"""

from __future__ import annotations

from pathlib import Path

from faultserver import FaultServer, html_page  # tests/ is on sys.path

PARAS = [
    "The city council approved a new budget for public transport on Monday evening.",
    "Officials said the plan would add more buses to the busiest routes next year.",
    "Residents welcomed the decision but asked for better service at night.",
]


def _shard(tmp_path: Path, n: int, delay: float, workers: int):
    from tasks.crawl.fetch import Fetcher, request_for
    from tasks.models import FetchDefaults, Provenance, Source
    from tasks.settings import get_settings
    from tasks.stream.stream import ShardRun, run_shard

    with FaultServer(host="127.0.0.1") as srv:
        srv.robots("User-agent: *\nAllow: /\n")
        sources = [
            Source(id=f"p{i}", url=srv.page(f"/n/{i}.html", html_page(f"Budget {i}", [f"{p} ({i})" for p in PARAS], lang="en")), lang="en")
            for i in range(n)
        ]
        defaults = FetchDefaults(min_delay_seconds=delay, per_host_concurrency=1 if delay else 8, timeout_seconds=20)
        run = ShardRun(
            output_dir=tmp_path / "out",
            run_id="r1",
            pivot="en",
            tm_location=str(tmp_path / "tm.sqlite"),
            provenance=Provenance(newsbridge="test", extractor="e", detector="d", run_id="r1"),
            fetch_threads=8,
            process_workers=workers,
        )
        with Fetcher(defaults, tmp_path / "out", settings=get_settings(), run_id="r1") as fetcher:
            return run_shard("s1", sources, fetcher, run)


def test_polite_host_keeps_extraction_in_the_shard_thread(tmp_path):
    record = _shard(tmp_path, n=6, delay=0.3, workers=2)
    assert [o.status for o in record.outcomes] == ["new"] * 6
    assert record.process_workers == 0


def test_fast_host_starts_the_worker_processes(tmp_path):
    record = _shard(tmp_path, n=60, delay=0.0, workers=2)
    assert [o.status for o in record.outcomes] == ["new"] * 60
    assert record.process_workers == 2
    # and with none configured, none are started however fast pages come
    record = _shard(tmp_path / "again", n=30, delay=0.0, workers=0)
    assert record.process_workers == 0
    assert [o.status for o in record.outcomes] == ["new"] * 30


EARLY_SERVER = """
import httpx
from flows.quiet import start_temporary_server
wait = start_temporary_server()
wait()
from prefect.server.api.server import SubprocessASGIServer
server = SubprocessASGIServer()
assert server.running and server.server_process is not None
assert httpx.get(f"{server.api_url}/health", timeout=10).status_code == 200
process = server.server_process
server.start()  # Prefect's own start finds it running and starts nothing else
assert server.server_process is process
from prefect import flow
@flow
def hello() -> int:
    return 42
assert hello() == 42  # a flow run on it, through Prefect's own client
server.stop()
assert process.poll() is not None
print("ok")
"""


def test_temporary_server_started_early_is_the_one_prefect_uses(tmp_path):
    # Its own process: this session's tests share one Prefect test server (conftest),
    # which must not be the one started or stopped here.
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", EARLY_SERVER], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().startswith("ok")


def test_no_temporary_server_when_an_api_url_is_set(monkeypatch):
    import subprocess

    from flows.quiet import start_temporary_server

    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    started = []
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: started.append(a))
    start_temporary_server()()
    assert started == []
