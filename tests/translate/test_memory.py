"""Translation memory on real SQLite files: keys, state rules, invalidation, concurrency."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from tasks.translate.memory import open_memory, source_hash

ROOT = Path(__file__).parents[2]

M1 = "argos:vi-en@1.0"
M2 = "argos:vi-en@1.1"


@pytest.fixture
def tm(tmp_path):
    memory = open_memory(tmp_path / "tm.sqlite")
    yield memory
    memory.close()


def test_nfc_and_nfd_share_one_key(tm):
    nfc = "Hợp tác khoa học"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfc != nfd
    assert source_hash(nfc) == source_hash(nfd)
    tm.put(nfd, "cooperation", "vi", "en", M1)
    hit = tm.get(nfc, "vi", "en", M1)
    assert hit is not None and hit.text == "cooperation"
    assert hit.source_text == nfc  # stored normalised


def test_get_many_keeps_order_and_misses(tm):
    tm.put_many([("a", "A"), ("c", "C")], "vi", "en", M1)
    got = tm.get_many(["c", "b", "a", "c"], "vi", "en", M1)
    assert [g.text if g else None for g in got] == ["C", None, "A", "C"]


def test_pair_is_part_of_the_key(tm):
    tm.put("xin chào", "hello", "vi", "en", M1)
    assert tm.get("xin chào", "vi", "fr", M1) is None
    assert tm.get("xin chào", "zh", "en", M1) is None


def test_model_version_change_misses_mt(tm):
    tm.put("câu một", "one", "vi", "en", M1)
    assert tm.get("câu một", "vi", "en", M1).text == "one"
    assert tm.get("câu một", "vi", "en", M2) is None


def test_reviewed_and_final_win_over_mt_across_models(tm):
    tm.put("câu", "machine", "vi", "en", M2, state="mt")
    tm.put("câu", "human", "vi", "en", M1, state="reviewed")
    hit = tm.get("câu", "vi", "en", M2)
    assert (hit.text, hit.state, hit.model) == ("human", "reviewed", M1)
    tm.put("câu", "signed off", "vi", "en", "human", state="final")
    assert tm.get("câu", "vi", "en", M2).text == "signed off"


def test_mt_never_overwrites_reviewed(tm):
    tm.put("câu", "human", "vi", "en", M1, state="reviewed")
    written = tm.put("câu", "machine again", "vi", "en", M1, state="mt")
    assert written == 0
    hit = tm.get("câu", "vi", "en", M1)
    assert (hit.text, hit.state) == ("human", "reviewed")
    tm.put("câu", "better human", "vi", "en", M1, state="reviewed")
    assert tm.get("câu", "vi", "en", M1).text == "better human"
    assert tm.count() == {"reviewed": 1}


def test_bad_state_is_refused(tm):
    with pytest.raises(ValueError, match="state"):
        tm.put("x", "y", "vi", "en", M1, state="copy")  # type: ignore[arg-type]


def test_wal_mode_on_disk(tmp_path):
    path = tmp_path / "tm.sqlite"
    open_memory(path).close()
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_unknown_scheme_is_a_clear_error(tmp_path):
    # postgresql:// is a real backend now: tests/translate/test_memory_pg.py runs it on a real server.
    with pytest.raises(ValueError, match="unknown"):
        open_memory("redis://127.0.0.1/0")


_WRITER = """
import sys
from tasks.translate.memory import open_memory
path, worker, n, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
memory = open_memory(path)
for start in range(0, n, batch):
    items = [(f"w{worker}-s{i}", f"t{worker}-{i}") for i in range(start, min(n, start + batch))]
    # every worker also rewrites one shared key: contention on the same row
    items.append(("shared", f"from {worker}"))
    memory.put_many(items, "vi", "en", "argos:vi-en@1.0")
memory.close()
"""


def test_concurrent_writer_processes(tmp_path):
    path = str(tmp_path / "tm.sqlite")
    open_memory(path).close()  # schema first, as a run would
    workers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, path, str(w), "150", "10"], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for w in range(4)
    ]
    results = [p.communicate(timeout=120) for p in workers]
    assert [p.returncode for p in workers] == [0, 0, 0, 0], [r[1].decode()[-500:] for r in results]
    memory = open_memory(path)
    try:
        assert memory.count() == {"mt": 4 * 150 + 1}
        texts = [f"w{w}-s{i}" for w in range(4) for i in range(150)]
        got = memory.get_many(texts, "vi", "en", M1)
        assert all(g is not None for g in got)
        assert [g.text for g in got] == [f"t{w}-{i}" for w in range(4) for i in range(150)]
        assert memory.get("shared", "vi", "en", M1).text.startswith("from ")
    finally:
        memory.close()
