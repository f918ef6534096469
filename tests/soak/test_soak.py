"""Soak: 500 loopback sources with faults; the first run is SIGKILLed mid-way, the rerun finishes the job.

The real `newsbridge run` in a subprocess against tests/faultserver.py on 127.0.0.1:
40% of the sources misbehave (500 and 503 after every retry, connection resets, a
response slower than the timeout, 404) and 15% misbehave only a little (503 once, then
OK; a slow but timely answer). `min_delay_seconds: 0`. Bounded: every wait has a limit.

Kept inside CI time by a short timeout (1 s) and backoff (NEWSBRIDGE_BACKOFF_BASE_SECONDS
0.05) and by the session's Prefect API (no temporary server per run). bench/soak.py runs
the same site with default retry settings and a temporary Prefect server, and records
wall time and peak memory.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from faultserver import FaultServer
from soak_support import EXPECT, build_site, check_output, cli_env, sigkill_when, start_run, stored_versions, write_sources

pytestmark = pytest.mark.slow

N_SOURCES = 500


@pytest.fixture(scope="module")
def soak_env(prefect_harness, argos_test_models):
    from prefect.settings import PREFECT_API_URL

    return cli_env(
        Path(argos_test_models["packages_dir"]),
        {"PREFECT_API_URL": str(PREFECT_API_URL.value()), "NEWSBRIDGE_BACKOFF_BASE_SECONDS": "0.05"},
    )


def test_soak_500_sources_killed_mid_run_then_rerun(tmp_path, soak_env):
    out = tmp_path / "out"
    with FaultServer() as server:
        site = build_site(server, N_SOURCES, slow_delay=4.0, timeout=1.0)
        sources = write_sources(tmp_path / "sources.yaml", site, timeout=1.0)
        kinds = site.kinds()
        good = [sid for sid, k in kinds.items() if EXPECT[k][1] is None]
        assert len(kinds) >= 500 and {"500", "503", "reset", "once503", "slow", "slowok"} <= set(kinds.values())

        # Run 1: SIGKILL once a third of the good pages are stored (mid-way through storing).
        first = start_run(sources, out, soak_env, tmp_path / "run1.log")
        seen = sigkill_when(first, out, min_docs=len(good) // 3, max_wait=600)
        log1 = (tmp_path / "run1.log").read_text(errors="replace")
        assert not seen["finished_before_kill"], log1[-3000:]
        assert 0 < len(stored_versions(out)) < len(good), "killed mid-way, not before or after"

        # Run 2: completes the job.
        second = start_run(sources, out, soak_env, tmp_path / "run2.log")
        code = second.wait(timeout=600)
        log2 = (tmp_path / "run2.log").read_text(errors="replace")
        assert code == 0, log2[-3000:]
        counts = check_output(out, kinds)

        # The 5xx sources were retried (the server saw several requests for each).
        for sid, url, kind in site.sources[:40]:
            path = url.split(str(server.port), 1)[1]
            if kind in ("500", "503"):
                assert server.count(path) >= 2, (sid, server.count(path))
    assert counts["stored_versions"] == len(good)
    assert counts.get("rejected", 0) == len(kinds) - len(good)
