"""Per-host limits measured on the server: the default thread runner with the Fetcher's gates.

Six sources on one host, eight fetch threads, a server that holds each request 0.15 s:
with `per_host_concurrency: 1` the server never sees two requests at once and request
starts are spaced by `min_delay_seconds`; with a limit of 3 it does see overlap (so the
first check can fail). Spacing is checked with slack for socket jitter; slowness only
widens it. (The Dask path, with Prefect global limits, is checked in test_nightly_dask.py.)
"""

from __future__ import annotations

import pytest

from recording_site import recording_site, sources_yaml  # tests/ is on sys.path (pytest rootdir-less import)

pytestmark = pytest.mark.slow

@pytest.mark.parametrize("concurrency, delay", [(1, 0.3), (3, 0.0)])
def test_fetch_gates_throttle_one_host(prefect_harness, argos_test_models, tmp_path, concurrency, delay):
    from flows.nightly import nightly_crawl

    with recording_site(hold_seconds=0.15) as (base, log):
        sources = tmp_path / "sources.yaml"
        sources.write_text(sources_yaml(base, concurrency, delay), encoding="utf-8")
        summary = nightly_crawl(sources_file=str(sources), output=str(tmp_path / "out"))
    assert summary["new"] == 4 and summary["rejected"] == 2
    paths = [p for p, _, _ in log.requests]
    assert paths.count("/robots.txt") == 1, paths  # one robots.txt per host per run
    assert "/private/internal.html" not in paths
    if concurrency == 1:
        assert log.max_in_flight == 1
        assert log.min_spacing() >= delay * 0.75, log.starts()
    else:
        assert 1 < log.max_in_flight <= concurrency
