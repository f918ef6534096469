"""The frontier is committed per document inside the shard stream, and `refresh_days`
revisits stored articles (tests/news_site.py on loopback, the real nightly flow).

1. While the shard is still running, every article already stored has its frontier row
   at `stored` (checked from the stream itself, before the flow merges the shards): a run
   killed mid-way does not request those articles again next night.
2. Night 2 with `refresh_days=0` requests the night-1 articles again and finds them
   unchanged (no new document version); without it they are not requested
   (tests/e2e/test_discovery_flow.py checks that half).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from news_site import NewsSite  # tests/ is on sys.path (rootdir-less import)


@pytest.fixture
def site():
    s = NewsSite("ports")
    s.build()
    try:
        yield s
    finally:
        s.close()


def test_frontier_marked_as_stored_and_refresh_days(prefect_harness, argos_test_models, site, tmp_path, monkeypatch):
    import tasks.stream.outcomes as outcomes
    from flows.nightly import nightly_crawl
    from tasks.crawl.frontier import open_frontier

    sources = tmp_path / "sources.yaml"
    sources.write_text(site.sources_yaml(max_age_days=2), encoding="utf-8")
    out = tmp_path / "out"

    # Spy on the real stream: right after each outcome, read the frontier row from another
    # connection (as another process would). The flow has not merged anything yet.
    seen: dict[str, str | None] = {}
    original = outcomes.Outcomes.record

    def outcome(self, sid, status, reason=None, detail=None, document=None):  # type: ignore[no-untyped-def]
        original(self, sid, status, reason, detail, document)
        source = self.by_id.get(sid)
        if status in ("new", "changed") and source is not None and source.discovery is not None:
            reader = open_frontier(out)
            row = reader.by_source(sid)
            reader.close()
            seen[sid] = None if row is None else row["status"]

    monkeypatch.setattr(outcomes.Outcomes, "record", outcome)
    site.night(1)
    s1 = nightly_crawl(sources_file=str(sources), output=str(out))
    monkeypatch.undo()
    assert len(seen) >= 10, seen
    assert set(seen.values()) == {"stored"}, seen

    frontier = open_frontier(out)
    stored_rows = {r["url"]: r for r in frontier.stored()}
    frontier.close()
    manifest1 = json.loads((Path(s1["run_dir"]) / "manifest.json").read_text())
    stored1 = {o["url"] for o in manifest1["sources"] if o.get("url") and o["status"] in ("new", "changed")}
    assert stored1 and stored1 <= set(stored_rows)
    # Marked once, by the shard, with this run's id.
    assert {stored_rows[u]["run_id"] for u in stored1} == {s1["run_id"]}

    # Night 2, refresh_days=0: every stored article is due, requested again, found unchanged.
    site.clear_logs()
    site.night(2)
    s2 = nightly_crawl(sources_file=str(sources), output=str(out), refresh_days=0)
    manifest2 = json.loads((Path(s2["run_dir"]) / "manifest.json").read_text())
    assert manifest2["refresh_days"] == 0
    by_url2 = {o["url"]: o for o in manifest2["sources"] if o.get("url")}
    requested = site.requested_urls()
    assert stored1 <= requested, stored1 - requested
    for url in stored1:
        assert by_url2[url]["status"] == "unchanged", by_url2[url]
    # The revisit keeps them stored (the frontier row is refreshed by the night-2 run).
    frontier = open_frontier(out)
    rows2 = {r["url"]: r for r in frontier.stored()}
    frontier.close()
    assert stored1 <= set(rows2) and {rows2[u]["run_id"] for u in stored1} == {s2["run_id"]}
