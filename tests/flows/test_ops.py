"""Operations: `since` reruns, run names and day keys, serve validation, host limit names.

The deployment itself is tested against a real Prefect server in test_deployment.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tasks.models import FetchDefaults, Source
from tasks.crawl.reruns import finished_since, local_midnight_utc

ROOT = Path(__file__).resolve().parents[2]


def _write_run(out: Path, run_id: str, started: str, sources: list[dict]) -> None:
    run = out / "runs" / run_id
    run.mkdir(parents=True)
    (run / "manifest.json").write_text(json.dumps({"run_id": run_id, "started_at": started, "sources": sources}))


def test_local_midnight_is_in_the_schedule_timezone():
    # 2026-11-22 00:00 in Ho Chi Minh City (UTC+7) is 2026-11-21 17:00 UTC.
    assert local_midnight_utc(date(2026, 11, 22), "Asia/Ho_Chi_Minh") == datetime(2026, 11, 21, 17, tzinfo=timezone.utc)
    assert local_midnight_utc("2026-11-22", "UTC") == datetime(2026, 11, 22, tzinfo=timezone.utc)


def test_finished_since_counts_stored_and_permanent_rejections_not_transient_failures(tmp_path):
    _write_run(tmp_path, "20261120T190000Z-old", "2026-11-20T19:00:00+00:00", [
        {"id": "old-only", "status": "new"},
    ])
    _write_run(tmp_path, "20261121T190000Z-aaaa", "2026-11-21T19:00:00+00:00", [
        {"id": "stored", "status": "new"},
        {"id": "same", "status": "unchanged"},
        {"id": "gone", "status": "rejected", "reason": "http_404"},
        {"id": "robots", "status": "rejected", "reason": "robots_disallowed"},
        {"id": "net", "status": "rejected", "reason": "connection_error"},
        {"id": "slow", "status": "rejected", "reason": "timeout"},
        {"id": "bug", "status": "failed", "reason": "internal_error"},
        {"id": "aborted", "status": "failed", "reason": "run_aborted"},
    ])
    # A later rerun finished one of the transient ones.
    _write_run(tmp_path, "20261122T010000Z-bbbb", "2026-11-22T01:00:00+00:00", [
        {"id": "net", "status": "changed"},
    ])
    (tmp_path / "runs" / "broken").mkdir()
    (tmp_path / "runs" / "broken" / "manifest.json").write_text("{not json")

    since = local_midnight_utc("2026-11-22", "Asia/Ho_Chi_Minh")
    assert finished_since(tmp_path, since) == {"stored", "same", "gone", "robots", "net"}
    # A later day: only the later rerun counts.
    assert finished_since(tmp_path, datetime(2026, 11, 22, tzinfo=timezone.utc)) == {"net"}
    assert finished_since(tmp_path / "nothing-here", since) == set()


def test_run_day_and_names():
    from flows import nightly

    assert nightly._run_day(date(2026, 11, 22)) == "2026-11-22"
    assert nightly._run_day("2026-11-22") == "2026-11-22"
    from tasks.night.params import run_kind, run_name

    # 19:00 UTC on Dec 7 is 02:00 on Dec 8 in Ho Chi Minh City: the night's name is its local day.
    slot = datetime(2026, 12, 7, 19, 0, tzinfo=timezone.utc)
    tz = "Asia/Ho_Chi_Minh"
    assert run_name({}, slot, tz) == "nightly 2026-12-08"
    assert run_name({"only": None, "force": True}, slot, tz) == "nightly 2026-12-08 (force)"
    later = datetime(2026, 12, 8, 2, 14, tzinfo=timezone.utc)
    assert run_name({"only": ["vi-article"]}, later, tz) == "rerun vi-article 2026-12-08T09:14"
    assert run_name({"only": None, "since": date(2026, 11, 22)}, later, tz) == "rerun since 2026-11-22 2026-12-08T09:14"
    assert run_name({"only": ["a", "b"], "since": "2026-11-22", "force": True}, later, tz) == (
        "rerun a b since 2026-11-22 2026-12-08T09:14 (force)")
    assert (run_kind({}), run_kind({"only": []}), run_kind({"only": ["a"]}), run_kind({"since": "2026-11-22"})) == (
        "nightly", "nightly", "rerun", "rerun")
    # Outside a flow run the day is today's in the schedule timezone.
    today = datetime.now(timezone.utc).astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%Y-%m-%d")
    assert nightly._run_day() == today


def test_task_runner_specs():
    from prefect.task_runners import ThreadPoolTaskRunner
    from prefect_dask import DaskTaskRunner

    from flows.nightly import task_runner_for

    assert isinstance(task_runner_for(None), ThreadPoolTaskRunner)
    assert task_runner_for("threads:3")._max_workers == 3
    assert isinstance(task_runner_for("dask"), DaskTaskRunner)
    assert task_runner_for("dask:tcp://10.0.0.5:8786").address == "tcp://10.0.0.5:8786"
    with pytest.raises(ValueError, match="unknown runner"):
        task_runner_for("ray")


def test_host_limit_names_and_strictest_policy():
    from flows.limits import host_policies, limit_names

    assert limit_names("https://Mic.Gov.VN/a/b") == ("newsbridge-host-mic-gov-vn", "newsbridge-host-mic-gov-vn-rate")
    # Keyed by host name like the Fetcher's own gates: every port of a host shares its limits.
    assert limit_names("http://127.0.0.1:8080/x")[0] == "newsbridge-host-127-0-0-1"
    defaults = FetchDefaults(min_delay_seconds=1.0, per_host_concurrency=3)
    sources = [
        Source(id="a", url="https://mic.gov.vn/a"),
        Source(id="b", url="https://mic.gov.vn/b", per_host_concurrency=1, min_delay_seconds=0.5),
        Source(id="c", url="https://baovanhoa.vn/c", min_delay_seconds=2.0),
    ]
    assert host_policies(sources, defaults) == {
        "newsbridge-host-mic-gov-vn": (1, 1.0),
        "newsbridge-host-baovanhoa-vn": (3, 2.0),
    }


@pytest.mark.parametrize(
    "args, message",
    [
        (["--timezone", "Mars/Olympus"], "unknown IANA timezone"),
        (["--cron", "0 2 * *"], "invalid cron expression"),
        (["--runner", "ray"], "--runner"),
        (["--sources", "no-such-file.yaml"], "not found"),
    ],
)
def test_serve_refuses_bad_configuration_with_exit_2(tmp_path, args, message):
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources:\n  - id: a\n    url: http://127.0.0.1:9/a.html\n", encoding="utf-8")
    base = ["--sources", str(sources)] if "--sources" not in args else []
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "serve", *base, *args],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr


def test_deployment_has_cron_in_timezone_and_every_ui_parameter(tmp_path):
    from flows.deployments import nightly_deployment

    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n", encoding="utf-8")
    dep = nightly_deployment(sources, tmp_path / "out", timezone="Europe/Paris")
    assert dep.name == "nightly"
    [schedule] = dep.schedules
    assert schedule.schedule.cron == "0 2 * * *" and schedule.schedule.timezone == "Europe/Paris"
    assert "every day at 02:00 Europe/Paris (UTC+01:00)" in dep.description
    names = {"sources_file", "output", "only", "force", "since", "pivot", "refresh_days", "export"}
    assert set(dep.parameters) == names
    assert dep.parameters["sources_file"] == str(sources.resolve())
    props = dep._parameter_openapi_schema.properties
    assert set(props) == names
    assert props["only"]["items"]["enum"] == []  # no ids configured: nothing to choose
    # A zone browsers list under an older name is saved under that name (the UI's dialog shows it).
    saigon = nightly_deployment(sources, tmp_path / "out", timezone="Asia/Ho_Chi_Minh")
    assert saigon.schedules[0].schedule.timezone == "Asia/Saigon"
    assert "every day at 02:00 Asia/Ho_Chi_Minh (UTC+07:00)" in saigon.description
    assert dep.entrypoint.endswith("flows/nightly.py:nightly_crawl")


@pytest.mark.slow
def test_run_cli_json_quiet_runner_and_since(prefect_harness, argos_test_models, tmp_path):
    """`newsbridge run --json` prints only JSON on stdout; `--quiet` prints nothing; `--since` skips finished work."""
    from typer.testing import CliRunner

    from flows.cli.main import app
    from flows.demo import demo_sources_yaml, serve_site

    out = tmp_path / "out"
    runner = CliRunner()
    with serve_site() as base:
        sources = tmp_path / "sources.yaml"
        sources.write_text(demo_sources_yaml(base), encoding="utf-8")
        common = ["run", "--sources", str(sources), "--output", str(out), "--only", "demo-en-science", "--only", "demo-missing"]
        first = runner.invoke(app, [*common, "--json", "--runner", "threads:2"])
        assert first.exit_code == 0, first.output
        summary = json.loads(first.stdout)
        assert (summary["sources"], summary["new"], summary["rejected"]) == (2, 1, 1)

        quiet = runner.invoke(app, [*common, "--quiet", "--force"])
        assert quiet.exit_code == 0 and quiet.stdout == ""

        today = datetime.now(timezone.utc).astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()
        rerun = runner.invoke(app, [*common, "--json", "--since", today])
        assert rerun.exit_code == 0, rerun.output
        again = json.loads(rerun.stdout)
        # Both were finished today (stored; a permanent 404): nothing left to do.
        assert (again["sources"], again["skipped_finished"]) == (0, 2)
        manifest = json.loads((Path(again["run_dir"]) / "manifest.json").read_text())
        assert manifest["since"] == today and sorted(manifest["skipped_finished"]) == ["demo-en-science", "demo-missing"]

        bad = runner.invoke(app, [*common, "--since", "22/11/2026"])
        assert bad.exit_code == 2 and "--since" in bad.output
