"""Does fetch-ahead pay on the real nightly path? A served deployment crawling outlets.

Starts a real `prefect server start` and `newsbridge serve` on loopback, publishes the
loopback news outlet of the tests (tests/news_site.py: three editions, feeds, sitemaps),
triggers the `nightly` deployment for night 1 and night 2 and reads each run's manifest:

- `fetched_early`: pages fetched before the flow started (flows/early.py), when the
  record still has the field (0 when it does not: the field was removed);
- `fetched`: pages the run fetched;
- `wait_s`: seconds from the flow run's start (as Prefect recorded it) to the first
  stored document's fetch: the most a start-up optimisation could hide on this path.

Run from the repository root (tiny test models, nonsense translations: structure only):

    python bench/fetch_ahead_served.py --nights 2
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(what: str, check, timeout: float, proc: subprocess.Popen, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what}: process exited with {proc.returncode}\n{log.read_text()[-4000:]}")
        try:
            value = check()
        except httpx.HTTPError:
            value = None
        if value:
            return value
        time.sleep(0.5)
    raise SystemExit(f"timed out waiting for {what}\n{log.read_text()[-4000:]}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nights", type=int, default=2)
    args = parser.parse_args()

    from news_site import NewsSite
    from tasks.translate.packages import install_argosmodel
    from tasks.translate.testmodels import build_test_packages

    tmp = Path(tempfile.mkdtemp(prefix="fetch-ahead-served-"))
    packages = tmp / "packages"
    for path in build_test_packages(tmp / "archives").values():
        install_argosmodel(path, packages)
    server_env = {**os.environ, "PREFECT_HOME": str(tmp / "server-home"), "DO_NOT_TRACK": "1",
                  "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_UI_ENABLED": "false"}
    server_env.pop("PREFECT_API_URL", None)
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    server_log = tmp / "server.log"
    with server_log.open("wb") as fh:
        server = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                                   "--port", str(port)], env=server_env, stdout=fh, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    site = NewsSite()
    site.build()
    site.night(1)
    out = tmp / "out"
    sources = tmp / "sources.yaml"
    sources.write_text(site.sources_yaml(), encoding="utf-8")
    serve_log = tmp / "serve.log"
    serve = None
    try:
        _wait("prefect server", lambda: httpx.get(f"{api}/health", timeout=2).status_code == 200, 120, server, server_log)
        env = {**os.environ, "PREFECT_API_URL": api, "PREFECT_HOME": str(tmp / "serve-home"),
               "ARGOS_PACKAGES_DIR": str(packages), "PYTHONPATH": str(ROOT)}
        with serve_log.open("wb") as fh:
            serve = subprocess.Popen([sys.executable, "-m", "flows.cli", "serve", "--sources", str(sources),
                                      "--output", str(out)], cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        with httpx.Client(base_url=api, timeout=10) as client:
            def deployment():
                r = client.get("/deployments/name/nightly-crawl/nightly")
                return r.json() if r.status_code == 200 else None

            dep = _wait("deployment", deployment, 120, serve, serve_log)
            print("night  fetched  fetched_early  early/fetched  wait_s")
            for night in range(1, args.nights + 1):
                site.night(night)

                def create():
                    r = client.post(f"/deployments/{dep['id']}/create_flow_run", json={"parameters": {}})
                    return r.json() if r.status_code in (200, 201) else None

                run_id = _wait("flow run", create, 30, serve, serve_log)["id"]

                def finished():
                    run = client.get(f"/flow_runs/{run_id}").json()
                    return run if run["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") else None

                run = _wait("run to finish", finished, 600, serve, serve_log)
                manifests = [m for m in (out / "runs").glob("*/manifest.json")
                             if json.loads(m.read_text()).get("flow_run_id") == run_id]
                if len(manifests) != 1:
                    raise SystemExit(f"run {run['state']['type']}, no manifest\n{serve_log.read_text()[-4000:]}")
                manifest = manifests[0]
                record = json.loads(manifest.read_text())
                stats = json.loads((manifest.parent / "stats.json").read_text())
                fetched, early = int(stats.get("fetched", 0)), int(stats.get("fetched_early", 0))
                started = datetime.fromisoformat(run["start_time"].replace("Z", "+00:00"))
                firsts = []
                for doc in (out / "docs").glob("*/*/*.json"):
                    data = json.loads(doc.read_text())
                    if (data.get("provenance") or {}).get("run_id") == record["run_id"]:
                        firsts.append(datetime.fromisoformat(data["fetch"]["fetched_at"].replace("Z", "+00:00")))
                wait = (min(firsts) - started).total_seconds() if firsts else float("nan")
                ratio = early / fetched if fetched else 0.0
                print(f"{night:5d}  {fetched:7d}  {early:13d}  {ratio:13.2f}  {wait:6.1f}   ({run['state']['type']})")
    finally:
        if serve is not None:
            _stop(serve)
        _stop(server)
        site.close()


if __name__ == "__main__":
    main()
