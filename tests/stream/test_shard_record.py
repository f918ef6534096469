"""A shard's record (runs/<run-id>/shards/<shard>.json) as the flow reads it back.

Fetch-ahead was removed (docs/scaling.md, "Fetch-ahead: measured and removed"): records
written before carry `fetched_early`, and an environment may still set
NEWSBRIDGE_STREAM_PREFETCH_PAGES. Both must still load.
"""

from __future__ import annotations

import json

from tasks.stream.stream import ShardRecord, read_shard_record, shard_record_path

OLD_RECORD = {
    "shard": "s0",
    "run_id": "20261201T020000Z",
    "outcomes": [{"id": "a", "status": "new", "document": "docs/a/x/1.json"}],
    "rejections": [],
    "stats": {"fetched": 1, "segments": 3},
    "low_confidence": [],
    "process_workers": 0,
    "fetched_early": 1,
    "error": None,
}


def test_a_record_written_with_fetched_early_still_loads(tmp_path):
    path = shard_record_path(tmp_path, OLD_RECORD["run_id"], "s0")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(OLD_RECORD), encoding="utf-8")
    record = read_shard_record(tmp_path, OLD_RECORD["run_id"], "s0")
    assert record is not None
    assert [(o.id, o.status) for o in record.outcomes] == [("a", "new")]
    assert record.stats == {"fetched": 1, "segments": 3}
    assert "fetched_early" not in record.model_dump()


def test_a_broken_record_reads_as_none(tmp_path):
    # control: the loader does reject what it cannot read
    path = shard_record_path(tmp_path, "r", "s0")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({**OLD_RECORD, "outcomes": "nope"}), encoding="utf-8")
    assert read_shard_record(tmp_path, "r", "s0") is None
    assert ShardRecord.model_validate(OLD_RECORD).shard == "s0"


def test_settings_ignore_the_removed_prefetch_setting(monkeypatch):
    from tasks.settings import Settings

    monkeypatch.setenv("NEWSBRIDGE_STREAM_PREFETCH_PAGES", "96")
    settings = Settings()
    assert not hasattr(settings, "stream_prefetch_pages")
