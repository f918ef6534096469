"""The lexicon the archive teaches itself: IBM Model 1 over exported story links, stored beside
the translation memory (real SQLite, real PostgreSQL), and the night step that also puts the
exported links into the memory as human-version entries."""

from __future__ import annotations

from pathlib import Path

from review_support import Sent, store_document
from tasks.align.ibm1 import glosses, prune, tokens, train
from tasks.align.learned import LexiconStore, learn_lexicon, load_lexicon
from tasks.review.link_review import remember_story_links
from tasks.review.link_state import HUMAN_VERSION_MODEL
from tasks.night.learn import learn_from_archive
from tasks.translate.memory import open_memory

# A tiny parallel corpus where "nhà" always goes with "house", "sách" with "book", "xanh" with "green".
CORPUS = [
    ("nhà xanh", "green house"),
    ("nhà lớn", "big house"),
    ("sách xanh", "green book"),
    ("sách cũ", "old book"),
    ("nhà cũ", "old house"),
    ("sách lớn", "big book"),
]


def test_ibm1_learns_the_obvious_translations_and_is_deterministic() -> None:
    pairs = [(tokens(v, "vi"), tokens(e, "en")) for v, e in CORPUS]
    table = prune(train(pairs, iterations=10))
    assert max(table["nhà"], key=table["nhà"].get) == "house"
    assert max(table["sách"], key=table["sách"].get) == "book"
    assert max(table["xanh"], key=table["xanh"].get) == "green"
    assert table == prune(train(pairs, iterations=10))
    assert train([], 5) == {}
    assert glosses(["nhà", "không-có"], table, min_prob=0.5) == [frozenset({"house"})]


def test_tokens_per_language() -> None:
    assert tokens("The Houses of the city", "en") == ["house", "city"]
    assert tokens("Nhà của Hà Nội", "vi") == ["nhà", "hà", "nội"]
    assert "政府" in tokens("美国政府表示", "zh")


def _store_story(out: Path, n: int, vi: str, en: str, export: bool) -> None:
    en_id = f"en-{n}"
    en_rec, _ = store_document(out, en_id, [Sent(en, "en", translation=en)], url=f"https://e.example/{n}.html")
    vi_url = f"https://v.example/{n}.html"
    from tasks.store.files import doc_id_for

    vi_doc = doc_id_for(vi_url)
    story = {"id": f"s{n}", "pivot_source": en_id, "pivot_lang": "en",
             "links": [{"src": [f"{vi_doc}:0:0"], "tgt": [en_rec["segments"][0]["id"]], "score": 0.99 if export else 0.4,
                        "method": "evidence", "export": export}]}
    store_document(out, f"vi-{n}", [Sent(vi, translation="mt")], url=vi_url, story=story)


def _archive(out: Path) -> None:
    for n, (vi, en) in enumerate(CORPUS):
        _store_story(out, n, vi, en, export=True)
    _store_story(out, 99, "nhà nhà nhà", "banana", export=False)  # unsure: must teach nothing


def test_only_exported_links_teach_and_the_table_is_stored_beside_the_memory(tmp_path: Path) -> None:
    out = tmp_path / "output"
    _archive(out)
    tm = out / "tm.sqlite"
    with open_memory(tm) as memory:
        pairs = remember_story_links(out, memory).pairs
    assert sorted(pairs) == [("vi", "en")] and len(pairs[("vi", "en")]) == len(CORPUS)
    assert learn_lexicon(pairs, tm).pairs["vi-en"] == {"links": len(CORPUS), "skipped": "fewer than 300 links"}
    assert load_lexicon(tm, "vi", "en") == {}  # a fresh archive: the shipped dictionaries alone
    report = learn_lexicon(pairs, tm, min_links=1)
    assert report.pairs["vi-en"]["links"] == len(CORPUS)
    lexicon = load_lexicon(tm, "vi", "en")
    assert max(lexicon["nhà"], key=lexicon["nhà"].get) == "house"
    assert "banan" not in {e for row in lexicon.values() for e in row}
    with LexiconStore(tm) as store:
        assert [(r["src"], r["tgt"], r["links"]) for r in store.runs()] == [("vi", "en", len(CORPUS))]
    assert load_lexicon(tmp_path / "none.sqlite", "vi") == {}
    # A second night replaces the table (no duplicates, same content).
    learn_lexicon(pairs, tm, min_links=1)
    assert load_lexicon(tm, "vi", "en") == lexicon


def test_night_step_fills_memory_and_lexicon(tmp_path: Path) -> None:
    out = tmp_path / "output"
    _archive(out)
    tm = str(out / "tm.sqlite")
    summary = learn_from_archive(out, tm, min_links=1)
    assert summary["story_links_exported"] == len(CORPUS) and summary["memory_entries_written"] == len(CORPUS)
    assert summary["lexicon"]["vi-en"]["links"] == len(CORPUS)
    with open_memory(tm) as memory:
        entry = memory.get("nhà xanh", "vi", "en", HUMAN_VERSION_MODEL)
        assert entry is not None and (entry.text, entry.state) == ("green house", "reviewed")
        assert memory.get("nhà nhà nhà", "vi", "en", HUMAN_VERSION_MODEL) is None
    assert learn_from_archive(out, tm, skip=True) == {"skipped": "the night failed"}
    bad = learn_from_archive(out, str(tmp_path / "no-such-dir" / "x" / "\0bad.sqlite"))
    assert "error" in bad


def test_lexicon_on_postgresql(pg_dsn: str, tmp_path: Path) -> None:
    out = tmp_path / "output"
    _archive(out)
    with open_memory(out / "tm.sqlite") as memory:
        pairs = remember_story_links(out, memory).pairs
    report = learn_lexicon(pairs, pg_dsn, min_links=1)
    assert report.pairs["vi-en"]["rows"] > 0
    lexicon = load_lexicon(pg_dsn, "vi", "en")
    assert max(lexicon["sách"], key=lexicon["sách"].get) == "book"
    learn_lexicon(pairs, pg_dsn, min_links=1)  # replaced in one transaction, not duplicated
    assert load_lexicon(pg_dsn, "vi", "en") == lexicon
    summary = learn_from_archive(out, pg_dsn, min_links=1)
    assert summary["memory_entries_written"] == len(CORPUS)
    with open_memory(pg_dsn) as memory:
        assert memory.get("sách cũ", "vi", "en", HUMAN_VERSION_MODEL).text == "old book"
