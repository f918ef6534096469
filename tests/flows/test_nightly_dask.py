"""Scale-out: the same nightly flow on a local Dask cluster of worker *processes*.

Every task argument and result crosses a process boundary (pickled); fetches take the
per-host Prefect global concurrency limits (strict) for every request, so politeness
holds across processes — measured on the server; the fetch state, documents and
translation memory are shared files written from several processes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from recording_site import recording_site  # tests/ is on sys.path (pytest rootdir-less import)
from recording_site import sources_yaml

pytestmark = pytest.mark.slow


def test_nightly_flow_on_a_local_dask_cluster(prefect_harness, argos_test_models, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect_dask import DaskTaskRunner

    from distributed import LocalCluster

    from flows.limits import limit_names
    from flows.nightly import nightly_crawl, task_runner_for

    out = tmp_path / "out"
    # A cluster of two worker processes reached by address, as `--runner dask:ADDRESS` does;
    # both runs below use its (warm) workers.
    cluster = LocalCluster(n_workers=2, threads_per_worker=2, processes=True, dashboard_address=None)
    dask_flow = nightly_crawl.with_options(task_runner=task_runner_for(f"dask:{cluster.scheduler_address}"))
    assert isinstance(dask_flow.task_runner, DaskTaskRunner)
    with cluster, recording_site(hold_seconds=0.1) as (base, log):
        sources = tmp_path / "sources.yaml"
        sources.write_text(sources_yaml(base, concurrency=1, delay=0.3), encoding="utf-8")
        summary = dask_flow(sources_file=str(sources), output=str(out))

        manifest = json.loads((Path(summary["run_dir"]) / "manifest.json").read_text())
        status = {s["id"]: (s["status"], s.get("reason")) for s in manifest["sources"]}
        assert status == {
            "page-0": ("new", None),
            "page-1": ("new", None),
            "page-2": ("new", None),
            "page-3": ("new", None),
            "page-4": ("rejected", "http_404"),
            "page-5": ("rejected", "robots_disallowed"),
        }
        assert summary["translated_fresh"] > 0
        docs = sorted(p.relative_to(out) for p in (out / "docs").glob("*/*/*.json"))
        assert len(docs) == 4

        # Requests came from two worker processes, one at a time and spaced, as configured.
        assert len(log.requests) >= 6
        assert log.max_in_flight == 1
        assert log.min_spacing() >= 0.3 * 0.75, log.starts()

        # The per-host limits exist on the server, with the sources' politeness.
        concurrency_name, rate_name = limit_names(base)
        with get_client(sync_client=True) as client:
            limit = client.read_global_concurrency_limit_by_name(concurrency_name)
            rate = client.read_global_concurrency_limit_by_name(rate_name)
        assert limit.active and limit.limit == 1
        assert rate.active and rate.limit == 1 and rate.slot_decay_per_second == pytest.approx(1 / 0.3)

        # Second run on the cluster: the fetch state committed from worker processes holds,
        # nothing is translated or stored again.
        again = dask_flow(sources_file=str(sources), output=str(out))
    assert again["unchanged"] == 4 and again["translated_fresh"] == 0
    assert sorted(p.relative_to(out) for p in (out / "docs").glob("*/*/*.json")) == docs


def test_missing_host_limit_stops_the_fetch_instead_of_allowing_everything(prefect_harness, tmp_path):
    """strict=True: a limit that does not exist is an error, and no request is sent."""
    from flows.limits import SharedHostGate
    from tasks.crawl.fetch import Fetcher, request_for
    from tasks.models import FetchDefaults, Source

    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    from flows.limits import limit_names

    with recording_site(hold_seconds=0) as (base, log):
        source = Source(id="no-limit", url=f"{base}/en-guangxi-science.html")
        # The host's limits do not exist on this server (another test may have made them).
        with get_client(sync_client=True) as client:
            for name in limit_names(base):
                try:
                    client.delete_global_concurrency_limit_by_name(name)
                except ObjectNotFound:
                    pass
        with Fetcher(FetchDefaults(min_delay_seconds=0), tmp_path, gate_factory=SharedHostGate) as fetcher:
            try:
                result = fetcher.fetch(request_for(source, fetcher.defaults))
            except Exception as exc:  # noqa: BLE001 - either way is loud; both are checked
                assert "must be created" in str(exc)
            else:
                assert result.outcome == "failed", result
                assert "must be created" in (result.detail or ""), result
    assert log.requests == []
