"""The translation memory on a real PostgreSQL server (a throwaway cluster per module).

The cluster is made with the Debian `postgresql` binaries (`initdb`, `pg_ctl`), listens
only on a unix socket in a private temp dir (no TCP, no fixed port), runs as the
`postgres` user when the tests run as root (CI), and is stopped and removed at the end.
Without the binaries the tests FAIL (never skip): `make test` installs them (.ci/apt-packages).
"""

from __future__ import annotations

import subprocess
import sys
import threading
import unicodedata
from pathlib import Path

import pytest

from tasks.translate.memory import open_memory, source_hash

ROOT = Path(__file__).resolve().parents[2]
M1 = "argos:vi-en@1.0"
M2 = "argos:vi-en@1.1"


@pytest.fixture()
def tm(pg_dsn):
    import psycopg

    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS tm")
    memory = open_memory(pg_dsn)
    yield memory
    memory.close()


def test_postgres_dsn_opens_the_postgres_backend(tm):
    from tasks.translate.memory_pg import PostgresBackend

    assert isinstance(tm.backend, PostgresBackend)
    assert tm.count() == {}


def test_same_rules_as_sqlite(tm):
    nfc = "Hợp tác khoa học"
    tm.put(unicodedata.normalize("NFD", nfc), "cooperation", "vi", "en", M1)
    hit = tm.get(nfc, "vi", "en", M1)
    assert hit is not None and hit.text == "cooperation" and hit.source_text == nfc
    assert hit.source_hash == source_hash(nfc)
    # order and misses
    tm.put_many([("a", "A"), ("c", "C")], "vi", "en", M1)
    assert [g.text if g else None for g in tm.get_many(["c", "b", "a", "c"], "vi", "en", M1)] == ["C", None, "A", "C"]
    # pair and model version are part of the key
    assert tm.get(nfc, "vi", "fr", M1) is None
    assert tm.get(nfc, "vi", "en", M2) is None
    # reviewed wins across models; MT never downgrades it
    tm.put("câu", "machine", "vi", "en", M2)
    tm.put("câu", "human", "vi", "en", M1, state="reviewed")
    assert (tm.get("câu", "vi", "en", M2).text, tm.get("câu", "vi", "en", M2).state) == ("human", "reviewed")
    assert tm.put("câu", "machine again", "vi", "en", M1) == 0
    assert tm.get("câu", "vi", "en", M1).text == "human"
    tm.put("câu", "signed off", "vi", "en", "human", state="final")
    assert tm.get("câu", "vi", "en", M2).text == "signed off"
    assert tm.count() == {"mt": 4, "reviewed": 1, "final": 1}


def test_large_batches(tm):
    items = [(f"câu số {i}", f"sentence {i}") for i in range(2500)]
    assert tm.put_many(items, "vi", "en", M1) == 2500
    got = tm.get_many([s for s, _ in items] + ["missing"], "vi", "en", M1)
    assert [g.text for g in got[:-1]] == [t for _, t in items] and got[-1] is None


_WRITER = """
import sys
from tasks.translate.memory import open_memory
dsn, worker = sys.argv[1], int(sys.argv[2])
memory = open_memory(dsn)   # every process creates the schema if missing, concurrently
for start in range(0, 200, 20):
    items = [(f"w{worker}-s{i}", f"t{worker}-{i}") for i in range(start, start + 20)]
    items.append(("shared", f"from {worker}"))
    memory.put_many(items, "vi", "en", "argos:vi-en@1.0")
if worker == 0:
    memory.put("shared", "reviewed by a human", "vi", "en", "argos:vi-en@1.0", state="reviewed")
memory.close()
"""


def test_concurrent_writer_processes_on_a_fresh_database(pg_dsn):
    import psycopg

    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS tm")
    workers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, pg_dsn, str(w)], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for w in range(4)
    ]
    results = [p.communicate(timeout=120) for p in workers]
    assert [p.returncode for p in workers] == [0, 0, 0, 0], [r[1].decode()[-800:] for r in results]
    with open_memory(pg_dsn) as memory:
        assert sum(memory.count().values()) == 4 * 200 + 1
        shared = memory.get("shared", "vi", "en", M1)
    # the reviewed write landed and later MT writes (other workers) could not replace it
    assert (shared.text, shared.state) == ("reviewed by a human", "reviewed")


def test_threads_share_one_memory(tm):
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(20):
                tm.put_many([(f"t{n}-{i}", "x")], "zh", "en", M1)
                tm.get_many([f"t{n}-{i}"], "zh", "en", M1)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors and tm.count() == {"mt": 80}


def test_unreachable_server_is_a_clear_error(pg_dsn):
    bad = pg_dsn.replace("port=", "port=1")  # no server on that socket
    with pytest.raises(ConnectionError, match="cannot connect to PostgreSQL"):
        open_memory(bad.replace("newsbridge@", "newsbridge:secret@"))
    try:
        open_memory(bad.replace("newsbridge@", "newsbridge:secret@"))
    except ConnectionError as exc:
        assert "secret" not in str(exc)


@pytest.mark.slow
def test_nightly_flow_uses_postgres_from_the_dsn_setting(pg_dsn, prefect_harness, argos_test_models, tmp_path, monkeypatch):
    """NEWSBRIDGE_TM_DSN moves the run's memory to PostgreSQL; a forced rerun hits it."""
    import psycopg

    from flows.demo import demo_sources_yaml, serve_site
    from flows.nightly import nightly_crawl
    from tasks.settings import get_settings

    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS tm")
    monkeypatch.setenv("NEWSBRIDGE_TM_DSN", pg_dsn)
    get_settings.cache_clear()
    try:
        out = tmp_path / "out"
        with serve_site() as base:
            sources = tmp_path / "sources.yaml"
            sources.write_text(demo_sources_yaml(base), encoding="utf-8")
            first = nightly_crawl(sources_file=str(sources), output=str(out), only=["demo-vi-science"])
            forced = nightly_crawl(sources_file=str(sources), output=str(out), only=["demo-vi-science"], force=True)
    finally:
        monkeypatch.delenv("NEWSBRIDGE_TM_DSN")
        get_settings.cache_clear()
    assert first["translated_fresh"] > 0
    assert forced["translated_fresh"] == 0 and forced["translated_from_memory"] == first["translated_fresh"]
    assert not (out / "tm.sqlite").exists()
    with psycopg.connect(pg_dsn) as conn:
        rows = conn.execute("SELECT count(*) FROM tm WHERE src = 'vi' AND tgt = 'en'").fetchone()[0]
    assert rows == first["translated_fresh"]
