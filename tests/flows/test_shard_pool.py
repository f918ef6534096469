"""A night on a work pool for real: shards as child flow runs, two process workers, PostgreSQL.

A real `prefect server start`, a `process` work pool (concurrency limit 2) with two
`prefect worker start` processes, the shard deployment made with `prefect deploy` from
prefect.yaml, the translation memory on a throwaway PostgreSQL cluster, and a loopback
site on two hosts. `newsbridge run` (with NEWSBRIDGE_SHARD_DEPLOYMENT set) plans the night
into at least four shards, starts them as child flow runs and merges their records. Every
page must be stored exactly once with one outcome, the TM rows written once; a second run
stores and translates nothing again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import httpx
import pytest
from faultserver import FaultServer
from soak_support import article
from conftest import _stop  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
POOL = "newsbridge"
PAGES = 12

pytestmark = pytest.mark.slow


def _sources(path: Path, hosts: list[FaultServer]) -> dict[str, str]:
    lines = ["defaults:", "  min_delay_seconds: 0.05", "  per_host_concurrency: 2", "  timeout_seconds: 20", "sources:"]
    langs = {}
    for srv in hosts:
        srv.robots("User-agent: *\nAllow: /\n")
    for i in range(PAGES):
        url = hosts[i % len(hosts)].page(f"/news/{i}.html", article(i))
        sid = f"pool-{i:02d}"
        langs[sid] = ("vi", "en", "zh")[i % 3]
        lines += [f"  - id: {sid}", f"    url: {url}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return langs


def _run(cmd: list[str], env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def test_night_split_into_shards_on_a_process_work_pool(prefect_server, pg_dsn, argos_test_models, tmp_path):  # noqa: F811
    import psycopg

    api = prefect_server
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS tm")
    out = tmp_path / "shared-output"  # the machines' shared storage
    env = {
        **os.environ,
        "PREFECT_API_URL": api,
        "PREFECT_HOME": str(tmp_path / "client-home"),
        "ARGOS_PACKAGES_DIR": str(argos_test_models["packages_dir"]),
        "NEWSBRIDGE_TM_DSN": pg_dsn,
        "NEWSBRIDGE_HOME": str(ROOT),
        "PYTHONPATH": str(ROOT),
        "PREFECT_LOGGING_LEVEL": "INFO",
    }
    for cmd in (["create", POOL, "--type", "process", "--overwrite"], ["set-concurrency-limit", POOL, "2"]):
        made = _run([sys.executable, "-m", "prefect", "work-pool", *cmd], env)
        assert made.returncode == 0, made.stdout + made.stderr
    deployed = _run([sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--name", "shard"], env)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr

    workers, logs = [], []
    try:
        for n in range(2):
            logs.append(tmp_path / f"worker-{n}.log")
            with logs[-1].open("wb") as fh:
                workers.append(subprocess.Popen(
                    [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL, "--name", f"w{n}"],
                    cwd=tmp_path, env={**env, "PREFECT_HOME": str(tmp_path / f"worker-home-{n}")},
                    stdout=fh, stderr=subprocess.STDOUT, start_new_session=True,
                ))
        with FaultServer(host="127.0.0.1") as a, FaultServer(host="127.0.0.2") as b:
            sources = tmp_path / "sources.yaml"
            langs = _sources(sources, [a, b])
            night = {**env, "NEWSBRIDGE_SHARD_DEPLOYMENT": "nightly-shard/shard", "NEWSBRIDGE_SHARD_MAX_PAGES": "3"}
            cmd = [sys.executable, "-m", "flows.cli", "run", "--sources", str(sources), "--output", str(out), "--json"]
            first = _run(cmd, night)
            assert first.returncode == 0, first.stdout + first.stderr + "".join(l.read_text()[-3000:] for l in logs)
            summary = json.loads(first.stdout[first.stdout.index("{"):])
            requests = a.requests + b.requests
            again = _run(cmd, night)
            assert again.returncode == 0, again.stdout + again.stderr
            second = json.loads(again.stdout[again.stdout.index("{"):])
    finally:
        for w in workers:
            _stop(w)

    # At least four shards, each a child flow run that a worker ran to completion.
    assert summary["shards"] >= 4
    with httpx.Client(base_url=api, timeout=10) as client:
        runs = client.post("/flow_runs/filter", json={"flow_runs": {"name": {"like_": "shard "}}}).json()
    shard_runs = [r for r in runs if r["name"].startswith("shard ")]
    assert len(shard_runs) >= 2 * summary["shards"]  # two nights
    assert all(r["state_type"] == "COMPLETED" and r["work_pool_name"] == POOL for r in shard_runs)
    assert all(r["parent_task_run_id"] for r in shard_runs), "child flow runs of the nightly run"
    # Waves: the pool's concurrency limit (2) bounds how many shards run at once.
    spans = [(r["start_time"], r["end_time"]) for r in shard_runs]
    assert max(sum(1 for a, b in spans if a <= start < b) for start, _ in spans) <= 2

    # Every page stored exactly once, one outcome each.
    manifest = json.loads((Path(summary["run_dir"]) / "manifest.json").read_text())
    ids = [s["id"] for s in manifest["sources"]]
    assert sorted(ids) == sorted(langs) and len(ids) == len(set(ids))
    assert {s["status"] for s in manifest["sources"]} == {"new"}, manifest["sources"]
    for sid in langs:
        versions = list((out / "docs" / sid).glob("*/*.json"))
        assert len(versions) == 1, (sid, versions)
    page_requests = [r for r in requests if r.path.startswith("/news/")]
    assert len(page_requests) == PAGES  # no page fetched twice in the first night

    # TM rows written once: one row per distinct vi/zh text of the stored documents.
    texts = set()
    for sid in langs:
        record = json.loads(next((out / "docs" / sid).glob("*/*.json")).read_text())
        for seg in record["segments"]:
            if seg["translation"] and seg["translation"]["model"] != "copy":
                texts.add((seg["lang"], unicodedata.normalize("NFC", seg["text"])))
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        rows = conn.execute("SELECT count(*), count(DISTINCT (source_hash, src, tgt, model)) FROM tm").fetchone()
    assert rows[0] == rows[1] == len(texts) > 0 and summary["translated_fresh"] >= len(texts)

    # The second night: everything unchanged, nothing translated or stored again.
    assert second["unchanged"] == PAGES and second["translated_fresh"] == 0 and second["new"] == 0
    assert sum(1 for _ in (out / "docs").glob("*/*/*.json")) == PAGES
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM tm").fetchone()[0] == rows[0]
