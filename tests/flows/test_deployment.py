"""The nightly deployment for real: `prefect server start`, `newsbridge serve`, a UI-style rerun.

Sequence (the issue's Done-when): start a real Prefect server on a free loopback port,
run `newsbridge serve` against it, find the `0 2 * * *` schedule with its timezone,
trigger the deployment with `only: ["<one id>"]`, wait for the run to complete and find
its artifacts. Pages come from a loopback site; translations from the tiny test models.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from conftest import _stop, _wait
from flows.demo import serve_site

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

SOURCES = """\
defaults:
  min_delay_seconds: 0
  timeout_seconds: 10
sources:
  - id: demo-vi-science
    url: {base}/vi-hop-tac-khoa-hoc.html
    lang: vi
  - id: demo-en-science
    url: {base}/en-guangxi-science.html
    lang: en
  - id: demo-missing
    url: {base}/no-such-page.html
"""


@pytest.mark.parametrize("runner", [None, "dask"])
def test_served_nightly_deployment_schedule_rerun_and_artifacts(prefect_server, argos_test_models, tmp_path, runner):
    """`--runner dask`: the served runs (child processes) use a Dask cluster and the shared host limits."""
    api = prefect_server
    out = tmp_path / "out"
    with serve_site() as base:
        sources = tmp_path / "sources.yaml"
        sources.write_text(SOURCES.format(base=base), encoding="utf-8")
        env = {
            **os.environ,
            "PREFECT_API_URL": api,
            "PREFECT_HOME": str(tmp_path / "serve-home"),
            "ARGOS_PACKAGES_DIR": str(argos_test_models["packages_dir"]),
            "PREFECT_LOGGING_LEVEL": "INFO",
        }
        log = tmp_path / "serve.log"
        with log.open("wb") as fh:
            serve = subprocess.Popen(
                [sys.executable, "-m", "flows.cli", "serve", "--sources", str(sources), "--output", str(out),
                 "--timezone", "Asia/Ho_Chi_Minh", *(["--runner", runner] if runner else [])],
                cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True,
            )
        try:
            with httpx.Client(base_url=api, timeout=10) as client:

                def deployment():
                    # (an earlier serve on this server left one: wait for ours)
                    r = client.get("/deployments/name/nightly-crawl/nightly")
                    ours = r.status_code == 200 and r.json()["parameters"].get("sources_file") == str(sources.resolve())
                    return r.json() if ours else None

                dep = _wait("deployment nightly-crawl/nightly", deployment, 90, serve, log)
                [sched] = dep["schedules"]
                assert sched["schedule"]["cron"] == "0 2 * * *"
                # Saved under the name browsers list (the UI's Edit schedule dialog shows it), the same zone.
                assert sched["schedule"]["timezone"] == "Asia/Saigon"
                assert sched["active"] is True
                assert "every day at 02:00 Asia/Ho_Chi_Minh (UTC+07:00)" in dep["description"]
                assert dep["parameters"]["output"] == str(out.resolve())
                props = dep["parameter_openapi_schema"]["properties"]
                assert set(props) == {"only", "force", "since", "pivot", "sources_file", "output", "refresh_days", "export"}
                # The Custom run form: every field described, `only` offers the configured ids.
                assert all(len(p.get("description") or "") > 20 for p in props.values()), props
                assert props["only"]["items"]["enum"] == ["demo-vi-science", "demo-en-science", "demo-missing"]
                assert "Asia/Ho_Chi_Minh" in props["since"]["description"]
                assert {"type": "integer"} in props["refresh_days"]["anyOf"]
                # The nightly schedule has put runs on the calendar at 02:00 Ho Chi Minh City time.
                def upcoming():
                    return client.post(
                        "/flow_runs/filter",
                        json={"flow_runs": {"deployment_id": {"any_": [dep["id"]]},
                                            "state": {"type": {"any_": ["SCHEDULED"]}}}},
                    ).json()

                scheduled = _wait("runs scheduled by the cron", upcoming, 60, serve, log)
                assert scheduled, "the cron schedule created upcoming runs"
                for run in scheduled:
                    assert run["expected_start_time"].endswith(("T19:00:00Z", "T19:00:00+00:00")), run["expected_start_time"]

                # A rerun of one source, as from the UI's custom-run form.
                def create_run():
                    r = client.post(
                        f"/deployments/{dep['id']}/create_flow_run",
                        json={"parameters": {"only": ["demo-vi-science"]}},
                    )
                    # 503 = the server's SQLite was busy (the scheduler writes too): ask again.
                    assert r.status_code in (200, 201, 503), r.text
                    return r.json() if r.status_code != 503 else None

                run_id = _wait("a flow run created from the deployment", create_run, 30, serve, log)["id"]

                def create_run_with(parameters, **extra):
                    r = client.post(f"/deployments/{dep['id']}/create_flow_run", json={"parameters": parameters, **extra})
                    assert r.status_code in (200, 201, 503), r.text
                    return r.json() if r.status_code != 503 else None

                def finished_run(flow_run_id):
                    run = client.get(f"/flow_runs/{flow_run_id}").json()
                    return run if run["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") else None
                # The API refuses an id the sources file does not have: no run exists.
                refused = client.post(f"/deployments/{dep['id']}/create_flow_run", json={"parameters": {"only": ["nope"]}})
                assert refused.status_code in (409, 422), refused.text

                def finished():
                    run = client.get(f"/flow_runs/{run_id}").json()
                    return run if run["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") else None

                run = _wait("the rerun to finish", finished, 150, serve, log)
                assert run["state"]["type"] == "COMPLETED", log.read_text()[-4000:]
                assert run["name"].startswith("rerun demo-vi-science 20"), run["name"]
                assert run["parameters"]["only"] == ["demo-vi-science"]

                artifacts = client.post(
                    "/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [run_id]}}}
                ).json()
                by_type = {a["type"]: a for a in artifacts}
                assert set(by_type) == {"markdown", "table"}, artifacts
                assert by_type["markdown"]["key"].startswith("rerun-summary-20")
                assert by_type["table"]["key"].startswith("rerun-sources-20")
                markdown = by_type["markdown"]["data"]
                assert "## new (1)" in markdown and "demo-vi-science" in markdown
                # The run exported the translators' outputs itself; the summary shows paths, no file:// links.
                assert "export/html/index.html" in markdown and "file://" not in markdown
                assert "every day at 02:00 Asia/Ho_Chi_Minh" in markdown
                assert (out / "export" / "html" / "index.html").is_file()
                assert list((out / "export" / "tmx").glob("vi-en.tmx")), list(out.rglob("*.tmx"))
                assert list((out / "export" / "xliff").rglob("*.xlf")) or list((out / "export" / "xliff").rglob("*.xliff"))
                table = by_type["table"]["data"]
                rows = json.loads(table) if isinstance(table, str) else table
                assert [(r["id"], r["status"]) for r in rows] == [("demo-vi-science", "new")]
                if runner is None:
                    # A scheduled run is named by its scheduled day in the schedule's timezone,
                    # even when it starts late: schedule one 26 h ago (yesterday or before there).
                    when = datetime.now(timezone.utc) - timedelta(hours=26)
                    day = when.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()

                    def create_scheduled():
                        r = client.post(
                            f"/deployments/{dep['id']}/create_flow_run",
                            json={"state": {"type": "SCHEDULED", "state_details": {"scheduled_time": when.isoformat()}}},
                        )
                        assert r.status_code in (200, 201, 503), r.text
                        return r.json() if r.status_code != 503 else None

                    late_id = _wait("a late scheduled run", create_scheduled, 30, serve, log)["id"]

                    def late_finished():
                        run = client.get(f"/flow_runs/{late_id}").json()
                        return run if run["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") else None

                    # Named before it starts (newsbridge serve names upcoming runs).
                    def named():
                        run = client.get(f"/flow_runs/{late_id}").json()
                        return run if run["name"].startswith("nightly ") else None

                    assert _wait("the scheduled run's readable name", named, 60, serve, log)["name"] == f"nightly {day}"
                    late = _wait("the late scheduled run to finish", late_finished, 150, serve, log)
                    assert late["state"]["type"] == "COMPLETED", log.read_text()[-4000:]
                    assert late["name"] == f"nightly {day}"
                    keys = {a["key"] for a in client.post(
                        "/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [late_id]}}}
                    ).json()}
                    assert {f"nightly-summary-{day}", f"nightly-sources-{day}"} <= keys

                    # A rerun of that night never replaces its summary: the key's latest is still the night's.
                    rerun = _wait("a rerun of the day", lambda: create_run_with({"only": ["demo-en-science"], "since": day}), 30, serve, log)
                    done = _wait("the rerun of the day to finish", lambda: finished_run(rerun["id"]), 150, serve, log)
                    assert done["state"]["type"] == "COMPLETED", log.read_text()[-4000:]
                    latest = client.get(f"/artifacts/{f'nightly-summary-{day}'}/latest").json()
                    assert latest["flow_run_id"] == late_id, latest

                    # Schema checks off (as a script could): the flow refuses the unknown id itself,
                    # before any fetch, with the valid ids, a small artifact, and no traceback of ours.
                    bad = _wait("a run with an unknown id", lambda: create_run_with(
                        {"only": ["nope"]}, enforce_parameter_schema=False), 30, serve, log)
                    failed = _wait("the bad run to finish", lambda: finished_run(bad["id"]), 150, serve, log)
                    assert failed["state"]["type"] == "FAILED", failed["state"]
                    message = failed["state"]["message"]
                    assert "only: unknown source id(s): nope" in message
                    assert "demo-vi-science, demo-en-science, demo-missing" in message
                    def run_logs():  # shipped in batches: wait for the run's last line
                        logs = client.post("/logs/filter", json={"logs": {"flow_run_id": {"any_": [bad["id"]]}}}).json()
                        text = "\n".join(entry["message"] for entry in logs)
                        return text if "Finished in state" in text else None

                    text = _wait("the bad run's logs", run_logs, 60, serve, log)
                    assert "unknown source id(s): nope" in text
                    # (Prefect's engine logs its own FailedRun traceback: no frame of it is newsbridge's code.)
                    frames = [ln for ln in text.splitlines() if ln.strip().startswith("File ")]
                    assert not [f for f in frames if "site-packages/prefect/" not in f and "/lib/python3" not in f], frames
                    refusal = client.post("/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [bad["id"]]}}}).json()
                    assert [a["key"] for a in refusal] == [f"rerun-refused-{failed['name'].split()[-1][:10]}"], refusal
                    assert "Nothing was fetched" in refusal[0]["data"]

                # Dask workers fetched through the host's global limits, created by the run.
                limits = client.post("/v2/concurrency_limits/filter", json={}).json()
                host_limits = {lim["name"] for lim in limits if lim["name"].startswith("newsbridge-host-127-0-0-1")}
                assert bool(host_limits) == (runner == "dask"), limits
        finally:
            _stop(serve)

    # The rerun wrote its records for the one source asked for (and one document for it).
    records = [json.loads(m.read_text()) for m in (out / "runs").glob("*/manifest.json")]
    [record] = [r for r in records if r["flow_run_id"] == run_id]
    assert record["only"] == ["demo-vi-science"]
    assert [s["id"] for s in record["sources"]] == ["demo-vi-science"]
    assert "demo-vi-science" in {p.parent.parent.name for p in (out / "docs").glob("*/*/*.json")}

def test_prefect_yaml_deploys_the_same_deployment_to_a_work_pool(prefect_server, tmp_path):
    """`prefect deploy --all` with our prefect.yaml: same entrypoint, cron, timezone, parameters."""
    api = prefect_server
    env = {**os.environ, "PREFECT_API_URL": api, "PREFECT_HOME": str(tmp_path / "deploy-home")}
    with httpx.Client(base_url=api, timeout=10) as client:
        created = client.post("/work_pools/", json={"name": "newsbridge", "type": "process"})
        assert created.status_code in (200, 201, 409), created.text
        proc = subprocess.run(
            [sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--all"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        dep = client.get("/deployments/name/nightly-crawl/nightly").json()
    assert dep["entrypoint"] == "flows/nightly.py:nightly_crawl"
    assert dep["work_pool_name"] == "newsbridge"
    [sched] = dep["schedules"]
    assert (sched["schedule"]["cron"], sched["schedule"]["timezone"]) == ("0 2 * * *", "Asia/Saigon")
    assert dep["parameters"] == {
        "sources_file": "sources.yaml", "output": "output", "only": [], "force": False, "since": None, "refresh_days": None,
        "pivot": "en", "export": True,
    }
    assert dep["pull_steps"][0]["prefect.deployments.steps.set_working_directory"]["directory"] == "{{ $NEWSBRIDGE_HOME }}"
