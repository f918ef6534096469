"""Runners and per-host limits, measured on the server: threads vs a local Dask cluster.

    /work/venv/bin/python bench/bench_ops.py [N_SOURCES]

Serves the bundled demo site on 127.0.0.1 (each request held 0.1 s, as a slow server),
makes N sources (default 24) from its four articles (distinct URLs by query string),
installs the tiny TEST models into a temp dir and runs the nightly flow on a temporary
Prefect server with: the default thread runner, and a two-process Dask cluster (shared
host limits through Prefect global concurrency limits). For each, with
`per_host_concurrency` 2 and `min_delay_seconds` 0.1, it prints the wall time of the
first run, the largest number of requests the server saw at once, and the smallest gap
between two request starts. Nothing is asserted: the figures go in the README.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["vi-hop-tac-khoa-hoc.html", "en-guangxi-science.html", "zh-zhiye-jiaoyu.gbk.html", "mixed-bilingual.html"]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 24
    tmp = Path(tempfile.mkdtemp(prefix="newsbridge-bench-ops-"))
    os.environ.setdefault("PREFECT_HOME", str(tmp / "prefect-home"))
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "ERROR")
    os.environ["ARGOS_PACKAGES_DIR"] = str(tmp / "models")
    sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

    from distributed import LocalCluster
    from prefect.testing.utilities import prefect_test_harness
    from recording_site import recording_site

    from flows.nightly import nightly_crawl, task_runner_for
    from tasks.translate.packages import install_test_models

    install_test_models()
    rows = []
    with prefect_test_harness(server_startup_timeout=120):
        import prefect.settings

        # Dask workers are separate processes: they reach the API through the environment.
        os.environ["PREFECT_API_URL"] = prefect.settings.PREFECT_API_URL.value()
        for name in ("threads", "dask (2 processes)"):
            cluster = LocalCluster(n_workers=2, threads_per_worker=2, processes=True, dashboard_address=None) if name != "threads" else None
            runner = task_runner_for("threads" if cluster is None else f"dask:{cluster.scheduler_address}")
            flow = nightly_crawl.with_options(task_runner=runner)
            with recording_site(hold_seconds=0.1) as (base, log):
                sources = tmp / f"sources-{len(rows)}.yaml"
                lines = ["defaults:", "  min_delay_seconds: 0.1", "  per_host_concurrency: 2", "sources:"]
                lines += [f"  - id: s{i}\n    url: {base}/{PAGES[i % len(PAGES)]}?copy={i}" for i in range(n)]
                sources.write_text("\n".join(lines) + "\n", encoding="utf-8")
                start = time.monotonic()
                summary = flow(sources_file=str(sources), output=str(tmp / f"out-{len(rows)}"))
                elapsed = time.monotonic() - start
            if cluster is not None:
                cluster.close()
            rows.append((name, elapsed, summary["new"], len(log.requests), log.max_in_flight, log.min_spacing()))
    print(f"{n} sources on one host; per_host_concurrency 2, min_delay_seconds 0.1, server holds each request 0.1 s")
    print(f"{'runner':<20} {'wall s':>7} {'stored':>7} {'requests':>9} {'max in flight':>14} {'min start gap s':>16}")
    for name, elapsed, new, requests, in_flight, gap in rows:
        print(f"{name:<20} {elapsed:7.1f} {new:7d} {requests:9d} {in_flight:14d} {gap:16.3f}")
    print(f"dask/threads wall-time ratio: {rows[1][1] / rows[0][1]:.2f}")


if __name__ == "__main__":
    main()
