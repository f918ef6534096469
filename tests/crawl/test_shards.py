"""Shard planning (tasks/crawl/shards.py): a host's pages together, the cap kept, stories free to split."""

from __future__ import annotations

from tasks.crawl.shards import plan_shards
from tasks.models import Source


def _src(i: int, host: str, story: str | None = None) -> Source:
    return Source(id=f"s{i}", url=f"https://{host}/a-{i}.html", story=story)


def test_a_host_s_pages_stay_together_under_the_cap() -> None:
    sources = [_src(0, "a.example"), _src(1, "b.example"), _src(2, "a.example"), _src(3, "c.example")]
    shards = plan_shards(sources, max_pages=2)
    assert [[s.id for s in sh.sources] for sh in shards] == [["s0", "s2"], ["s1", "s3"]]
    assert all(len(sh.sources) <= 2 for sh in shards)
    assert plan_shards(sources, max_pages=2) == shards  # the same plan from the same sources


def test_a_host_over_the_cap_is_cut() -> None:
    shards = plan_shards([_src(i, "a.example") for i in range(5)], max_pages=2)
    assert [len(sh.sources) for sh in shards] == [2, 2, 1]


def test_a_story_no_longer_binds_its_versions_to_one_shard() -> None:
    """A story's versions are aligned after all shards (tasks/align/story.py): hosts alone decide."""
    sources = [_src(0, "vi.example", "forum"), _src(1, "vi.example"), _src(2, "en.example", "forum"), _src(3, "en.example")]
    shards = plan_shards(sources, max_pages=2)
    where = {s.id: sh.id for sh in shards for s in sh.sources}
    assert where["s0"] == where["s1"] and where["s2"] == where["s3"] and where["s0"] != where["s2"]
