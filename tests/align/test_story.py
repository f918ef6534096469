"""The story stage (tasks/align/story.py): once, after all shards, from the store.

Documents are stored through the real store (tests/review_support.py), the frontier is
the real SQLite one; no shard keeps a story together, every version is read back.
"""

from __future__ import annotations

import json
from pathlib import Path

from review_support import Sent, store_document  # tests/ is on sys.path

from tasks.align.story import align_hand_written, run_story_stage
from tasks.models import Discovery, DiscoveryRecord, LinkEvidence, Source
from tasks.store.document import latest_stored, read_document, rewrite_document
from tasks.store.files import doc_id_for, latest_document

EN = [Sent("Hanoi hosted the forum on science.", "en", translation="Hanoi hosted the forum on science."),
      Sent("Ten countries sent 120 delegates.", "en", translation="Ten countries sent 120 delegates.")]
VI = [Sent("Hà Nội đăng cai diễn đàn khoa học.", translation="Hanoi hosts the science forum."),
      Sent("Mười nước cử 120 đại biểu.", translation="Ten countries send 120 delegates.")]


def _sources(story: str = "forum") -> list[Source]:
    return [
        Source(id="vn-forum", url="https://news.example.vn/forum.html", lang="vi", story=story),
        Source(id="en-forum", url="https://news.example.com/forum.html", lang="en", story=story),
    ]


def _versions(out: Path, source_id: str) -> list[Path]:
    return sorted((out / "docs" / source_id).glob("*/*.json"))


def test_hand_written_story_versions_are_aligned_from_the_store(tmp_path: Path) -> None:
    out = tmp_path / "out"
    store_document(out, "vn-forum", VI, url="https://news.example.vn/forum.html")
    before = latest_document(out, "vn-forum")
    # the pivot version arrives later (another shard, or another night): no story yet
    assert align_hand_written(out, _sources(), {"vn-forum"}, "en") == []
    store_document(out, "en-forum", EN, url="https://news.example.com/forum.html")

    assert align_hand_written(out, _sources(), {"en-forum"}, "en") == ["vn-forum"]
    vi, en = latest_stored(out, "vn-forum"), latest_stored(out, "en-forum")
    assert vi is not None and en is not None and vi.story is not None
    assert (vi.story.id, vi.story.pivot_source, vi.story.pivot_lang) == ("forum", "en-forum", "en")
    assert [i for link in vi.story.links for i in link.src] == [s.id for s in vi.segments]
    assert {i for link in vi.story.links for i in link.tgt} <= {s.id for s in en.segments}
    assert vi.story.paired_by is None and vi.story.method
    # links in place: the same version, no second file
    assert latest_document(out, "vn-forum") == before and len(_versions(out, "vn-forum")) == 1
    assert en.story is None  # the pivot version gets no links to itself

    # nothing stored tonight and the links point at the stored pivot: nothing rewritten
    assert align_hand_written(out, _sources(), set(), "en") == []
    # a version whose block went missing (or names another pivot) is aligned again
    vi.story = None
    rewrite_document(out, vi)
    assert align_hand_written(out, _sources(), set(), "en") == ["vn-forum"]


def test_the_stage_keeps_a_reviewer_s_edit_made_meanwhile(tmp_path: Path) -> None:
    """The story block is written into the record as it is under the lock, not as it was read."""
    from tasks.review.reviews import SegmentEdit, apply_edits
    from tasks.translate.memory import open_memory

    out = tmp_path / "out"
    store_document(out, "vn-forum", VI, url="https://news.example.vn/forum.html")
    store_document(out, "en-forum", EN, url="https://news.example.com/forum.html")
    vi = latest_stored(out, "vn-forum")
    assert vi is not None
    with open_memory(out / "tm.sqlite") as memory:
        apply_edits(out, "vn-forum", vi.doc_id, [SegmentEdit(vi.segments[0].id, "Hanoi hosts a science forum.", "reviewed")],
                    memory, via="test", reviewer="lan")
    run_story_stage(out, _sources(), {"vn-forum": vi.rel or ""}, "en")
    after = latest_stored(out, "vn-forum")
    assert after is not None and after.story is not None and after.story.links
    tr = after.segments[0].translation
    assert tr is not None and (tr.text, tr.state, tr.reviewed_by) == ("Hanoi hosts a science forum.", "reviewed", "lan")


def _discovered(out: Path, lang: str, url: str, sents: list[Sent], evidence: LinkEvidence, frontier, run: str) -> Source:
    """Store a discovered article as the stream does and mark it stored in the frontier."""
    from tasks.crawl.discover import Decision

    sid = f"loopnews-{lang}-{doc_id_for(url)[:6]}"
    disc = Discovery(outlet="loopnews", edition=lang, via="feed", found_on=f"https://{lang}.example/rss.xml",
                     published="2026-11-24T08:00:00+00:00", date_source="feed")
    record, rel = store_document(out, sid, sents, url=url, lang=lang)
    doc = read_document(out, rel)
    doc.discovery = DiscoveryRecord(**disc.model_dump(include={"outlet", "edition", "via", "found_on", "published", "date_source"}))
    doc.document.evidence = evidence
    rewrite_document(out, doc)
    frontier.record([Decision(url, sid, "loopnews", lang, "fetch", None, disc)], run)
    frontier.mark_stored(sid, rel, run)
    return Source(id=sid, url=url, lang=lang, discovery=disc)


def test_an_earlier_night_s_document_gets_its_story_without_a_new_version(tmp_path: Path) -> None:
    from tasks.crawl.frontier import open_frontier

    out = tmp_path / "out"
    vi_url, en_url = "https://vi.example/the-gioi/dien-dan-100020.html", "https://en.example/world/forum-500020.html"
    frontier = open_frontier(out)
    try:
        # night 1: the Vietnamese article alone (its page names the English version by hreflang)
        vi = _discovered(out, "vi", vi_url, VI, LinkEvidence(alternates={"en": en_url}), frontier, "night-1")
        night1 = run_story_stage(out, [vi], {vi.id: latest_document(out, vi.id) or ""}, "en")
        assert night1.stories == []
        vi_rel = latest_document(out, vi.id)
        # night 2: the English version arrives, naming the Vietnamese one back
        en = _discovered(out, "en", en_url, EN, LinkEvidence(alternates={"vi": vi_url}), frontier, "night-2")
    finally:
        frontier.close()
    night2 = run_story_stage(out, [en], {en.id: latest_document(out, en.id) or ""}, "en")
    assert [sorted(v["source_id"] for v in st["versions"]) for st in night2.stories] == [sorted([vi.id, en.id])]
    assert night2.stories[0]["edges"][0]["method"] == "hreflang"

    # the night-1 document: same version, same single file, now with its story and links
    assert latest_document(out, vi.id) == vi_rel and len(_versions(out, vi.id)) == 1
    stored = json.loads((out / vi_rel).read_text(encoding="utf-8"))
    assert stored["story"]["paired_by"] == {"method": "hreflang", "score": 1.0}
    assert {v["lang"] for v in stored["story"]["versions"]} == {"vi", "en"}
    assert stored["story"]["pivot_source"] == en.id and stored["story"]["links"]
    en_doc = latest_stored(out, en.id)
    assert en_doc is not None and en_doc.story is not None and en_doc.story.links == []  # the pivot version


def test_a_failed_night_aligns_hand_written_stories_but_pairs_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    store_document(out, "vn-forum", VI, url="https://news.example.vn/forum.html")
    store_document(out, "en-forum", EN, url="https://news.example.com/forum.html")
    stage = run_story_stage(out, _sources(), {"vn-forum": "x", "en-forum": "y"}, "en", pair=False)
    assert stage.aligned == ["vn-forum"] and stage.stories == []


def test_realigning_a_story_keeps_a_translator_s_link_decision(tmp_path: Path) -> None:
    from tasks.store.document import LinkReview

    out = tmp_path / "out"
    store_document(out, "vn-forum", VI, url="https://news.example.vn/forum.html")
    store_document(out, "en-forum", EN, url="https://news.example.com/forum.html")
    align_hand_written(out, _sources(), {"vn-forum"}, "en")
    vi = latest_stored(out, "vn-forum")
    assert vi is not None and vi.story is not None
    vi.story.links[0].review = LinkReview(decision="reject", by="lan", at="2026-11-25T03:00:00+00:00", via="browser")
    vi.story.links[0].export = False
    rewrite_document(out, vi)
    # the pivot version is stored again tonight: the links are computed anew, the decision stays
    # (here the new links equal the old ones, decision included: nothing to rewrite)
    assert align_hand_written(out, _sources(), {"en-forum"}, "en") == []
    again = latest_stored(out, "vn-forum")
    assert again is not None and again.story is not None
    first = again.story.links[0]
    assert first.review is not None and (first.review.decision, first.review.by, first.export) == ("reject", "lan", False)


def test_the_lexicon_the_archive_learned_is_evidence_for_story_links(tmp_path: Path) -> None:
    """Words no shipped dictionary knows: no link without the archive's table, links with it."""
    from tasks.align.learned import LexiconStore
    from tasks.settings import get_settings

    out = tmp_path / "out"
    en = [Sent("The quokka admired the zeppelin bravely.", "en", translation="The quokka admired the zeppelin bravely."),
          Sent("Gondoliers whistled melodies tonight.", "en", translation="Gondoliers whistled melodies tonight.")]
    vi = [Sent("Quăngxa ngưỡngmộ khinhkhícầu dũngcảmxa.", translation="x"),
          Sent("Chèothuyền huýtsáo giaiđiệu đêmnayxa.", translation="y")]
    store_document(out, "vn-forum", vi, url="https://news.example.vn/forum.html")
    store_document(out, "en-forum", en, url="https://news.example.com/forum.html")
    assert align_hand_written(out, _sources(), {"vn-forum", "en-forum"}, "en") == ["vn-forum"]
    without = latest_stored(out, "vn-forum")
    assert without is not None and without.story is not None
    assert not [link for link in without.story.links if link.src and link.tgt]

    table = {"quăngxa": {"quokka": 0.9}, "ngưỡngmộ": {"admired": 0.9}, "khinhkhícầu": {"zeppelin": 0.9},
             "dũngcảmxa": {"bravely": 0.9}, "chèothuyền": {"gondoliers": 0.9}, "huýtsáo": {"whistled": 0.9},
             "giaiđiệu": {"melodies": 0.9}, "đêmnayxa": {"tonight": 0.9}}
    with LexiconStore(get_settings().tm_location(out)) as lexicon:
        lexicon.replace("vi", "en", table, {"links": 500})
    assert align_hand_written(out, _sources(), {"vn-forum"}, "en") == ["vn-forum"]
    learned = latest_stored(out, "vn-forum")
    assert learned is not None and learned.story is not None
    pairs = [(link.src, link.tgt) for link in learned.story.links if link.src and link.tgt]
    assert len(pairs) == 2, learned.story.links
