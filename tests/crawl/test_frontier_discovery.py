"""The frontier under discovery's decisions: what a run remembers and never plans again (SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone


from tasks.crawl.discover import Candidate
from tasks.crawl.sources import parse_sources


def test_frontier_remembers_and_never_replans_stored(tmp_path, outlet_yaml):
    from tasks.crawl.discover import decide
    from tasks.crawl.frontier import open_frontier

    cfg = parse_sources(outlet_yaml({"vi": "https://e.org/"}, max_new_per_run=1), "s.yaml")
    outlet = cfg.outlets[0]
    now = datetime(2026, 11, 30, 12, tzinfo=timezone.utc)
    cands = [Candidate(f"https://e.org/a-{i}0000.html", "site", "vi", "feed", "https://e.org/rss", now - timedelta(hours=i), "feed")
             for i in range(3)]
    cands.append(Candidate("https://e.org/old-10000.html", "site", "vi", "feed", "f", now - timedelta(days=9), "feed"))
    fr = open_frontier(tmp_path)
    d1 = decide(outlet, cands, fr.get_many([c.url for c in cands]), now=now)
    assert [d.outcome for d in d1].count("fetch") == 1 and [d.outcome for d in d1].count("skipped_cap") == 2
    assert [d.outcome for d in d1].count("skipped_old") == 1
    fr.record(d1, "r1")
    fetched = next(d for d in d1 if d.outcome == "fetch")
    fr.mark_stored(fetched.source_id, "docs/x/y/z.json", "r1")
    assert [r["url"] for r in fr.pending("site")] and fetched.url not in {r["url"] for r in fr.pending("site")}
    d2 = decide(outlet, cands, fr.get_many([c.url for c in cands]), now=now)
    again = {d.url: d.outcome for d in d2}
    assert again[fetched.url] == "skipped_seen"
    assert list(again.values()).count("fetch") == 1  # the next capped one, tonight
    assert decide(outlet, cands, fr.get_many([c.url for c in cands]), now=now, force=True)[0].outcome != "skipped_seen"
    fr.mark_rejected("unknown-id", "http_404", "r1")  # unknown ids are no-ops
    assert fr.count("stored") == 1

def test_frontier_on_postgresql(pg_dsn, outlet_yaml):
    """The same frontier rules on a real PostgreSQL (the TM tests' throwaway cluster)."""
    import psycopg

    from tasks.crawl.discover import decide
    from tasks.crawl.frontier import open_frontier

    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS frontier")
    cfg = parse_sources(outlet_yaml({"vi": "https://e.org/", "en": "https://en.e.org/"}), "s.yaml")
    now = datetime(2026, 11, 30, 12, tzinfo=timezone.utc)
    cands = [Candidate(f"https://e.org/a-{i}0000.html", "site", "vi", "sitemap", "https://e.org/s.xml", now, "sitemap")
             for i in range(600)]  # more than one IN (...) chunk
    fr = open_frontier("/nonexistent", pg_dsn)
    d1 = decide(cfg.outlets[0], cands, fr.get_many([c.url for c in cands]), now=now)
    fr.record(d1, "r1")
    fr.mark_stored(d1[0].source_id, "docs/a/b/c.json", "r1")
    fr.mark_rejected(d1[1].source_id, "http_404", "r1")
    fr.record(d1, "r2")  # seen again: final statuses stay
    assert fr.count() == 600 and fr.count("stored") == 1 and fr.count("rejected") == 1
    assert len(fr.get_many([c.url for c in cands])) == 600
    assert fr.by_source(d1[0].source_id)["document"] == "docs/a/b/c.json"
    assert len(fr.pending("site")) == 598
    again = decide(cfg.outlets[0], cands, fr.get_many([c.url for c in cands]), now=now)
    assert [d.outcome for d in again[:2]] == ["skipped_seen", "skipped_seen"]
