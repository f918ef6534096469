"""End to end: the real flow on a loopback news site, the real Prefect harness, tiny real models.

Nothing above the socket is faked: pages are served by a local HTTP server in their
original charsets, models are real CTranslate2/SentencePiece packages built by the
suite, the translation memory and fetch state are real SQLite files.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from flows.demo import demo_sources_yaml, serve_site

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _docs(out: Path) -> dict[str, dict]:
    """source id -> latest stored document record."""
    found = {}
    for pointer in (out / "docs").glob("*/latest.json"):
        rel = json.loads(pointer.read_text())["path"]
        record = json.loads((out / rel).read_text())
        found[record["source_id"]] = record
    return found


def _manifest(run_dir: str) -> dict[str, dict]:
    manifest = json.loads((Path(run_dir) / "manifest.json").read_text())
    return {s["id"]: s for s in manifest["sources"]}


@pytest.fixture()
def site_sources(tmp_path):
    with serve_site() as base:
        path = tmp_path / "sources.yaml"
        path.write_text(demo_sources_yaml(base), encoding="utf-8")
        yield path


def test_nightly_flow_end_to_end_then_incremental_rerun(prefect_harness, argos_test_models, site_sources, tmp_path):
    from flows.nightly import nightly_crawl

    out = tmp_path / "out"
    summary = nightly_crawl(sources_file=str(site_sources), output=str(out))

    outcomes = _manifest(summary["run_dir"])
    assert set(outcomes) == {
        "demo-vi-science", "demo-en-science", "demo-zh-vocational", "demo-mixed",
        "demo-robots-private", "demo-missing",
    }
    for sid in ("demo-vi-science", "demo-en-science", "demo-zh-vocational", "demo-mixed"):
        assert outcomes[sid]["status"] == "new", outcomes[sid]
        assert outcomes[sid]["document"]
    assert outcomes["demo-robots-private"] == {**outcomes["demo-robots-private"], "status": "rejected", "reason": "robots_disallowed"}
    assert outcomes["demo-missing"]["status"] == "rejected"
    assert outcomes["demo-missing"]["reason"] == "http_404"

    docs = _docs(out)
    assert set(docs) == {"demo-vi-science", "demo-en-science", "demo-zh-vocational", "demo-mixed"}
    langs = {seg["lang"] for d in docs.values() for seg in d["segments"]}
    assert {"vi", "zh-Hans", "en"} <= langs

    # The GBK page (declared gb2312, no HTTP charset) is stored as correct Chinese.
    zh = docs["demo-zh-vocational"]
    assert "中越职业教育合作论坛在南宁举行" in (zh["document"]["title"] or "")
    assert any("广西南宁开幕" in s["text"] for s in zh["segments"])
    assert zh["fetch"]["charset"].lower() in ("gb18030", "gbk", "gb2312")
    # Boilerplate stays out.
    assert not any("ICP备" in s["text"] for s in zh["segments"])
    assert not any("Bình luận" in s["text"] or "Tin liên quan" in s["text"] for s in docs["demo-vi-science"]["segments"])

    for record in docs.values():
        fetch = record["fetch"]
        assert re.fullmatch(r"[0-9a-f]{64}", fetch["sha256"])
        assert fetch["fetched_at"] and fetch["final_url"].startswith("http://127.0.0.1:")
        assert (out / fetch["raw_path"]).is_file()
        assert record["provenance"]["extractor"] and record["provenance"]["detector"]
        text = record["document"]["text"]
        for seg in record["segments"]:
            assert text[seg["start"]:seg["end"]] == seg["text"]
            tr = seg["translation"]
            if seg["lang"] in ("vi", "zh-Hans", "zh-Hant"):
                # every vi/zh segment is translated by a named model
                assert tr and tr["text"] and tr["tgt"] == "en" and tr["model"] not in ("", "copy"), seg
                assert tr["from_memory"] is False
            elif seg["lang"] == "en":
                assert tr and tr["model"] == "copy" and tr["text"] == seg["text"]
        assert record["alignment"], "each segment is aligned to its translation"
    assert any(m for d in docs.values() for m in d["provenance"]["models"])

    # The Vietnamese article and its English version share a story: the human versions
    # are aligned sentence by sentence, every Vietnamese segment in exactly one link.
    story = docs["demo-vi-science"]["story"]
    assert story["pivot_source"] == "demo-en-science" and story["links"]
    vi_ids = [s["id"] for s in docs["demo-vi-science"]["segments"]]
    en_ids = {s["id"] for s in docs["demo-en-science"]["segments"]}
    linked = [i for link in story["links"] for i in link["src"]]
    assert linked == vi_ids
    assert all(set(link["tgt"]) <= en_ids for link in story["links"])
    assert docs["demo-en-science"]["story"] is None

    stats = json.loads((Path(summary["run_dir"]) / "stats.json").read_text())
    assert stats["translated_fresh"] > 0 and stats["new"] == 4 and stats["rejected"] == 2
    assert stats["reasons"] == {"http_404": 1, "robots_disallowed": 1}
    # Low-confidence extractions (the two candidates disagreed) are listed for operators.
    from tasks.text.extract import is_low_confidence

    flagged = sorted(sid for sid, d in docs.items() if is_low_confidence(d["document"]["extraction_confidence"]))
    assert stats["low_confidence_extraction"] == flagged

    # Second run: nothing changed, nothing translated, nothing stored twice.
    before = sorted(p.relative_to(out) for p in (out / "docs").rglob("*.json"))
    again = nightly_crawl(sources_file=str(site_sources), output=str(out))
    outcomes2 = _manifest(again["run_dir"])
    for sid in ("demo-vi-science", "demo-en-science", "demo-zh-vocational", "demo-mixed"):
        assert outcomes2[sid]["status"] == "unchanged", outcomes2[sid]
        assert outcomes2[sid]["document"] == outcomes[sid]["document"]
    assert again["translated_fresh"] == 0
    assert sorted(p.relative_to(out) for p in (out / "docs").rglob("*.json")) == before

    # --force reprocesses: everything comes from the translation memory.
    forced = nightly_crawl(sources_file=str(site_sources), output=str(out), force=True)
    assert forced["translated_fresh"] == 0
    assert forced["translated_from_memory"] == stats["translated_fresh"]
    assert sorted(p.relative_to(out) for p in (out / "docs").rglob("*.json")) == before


def test_unreachable_source_is_recorded_and_others_go_on(prefect_harness, argos_test_models, tmp_path):
    from flows.nightly import nightly_crawl

    with serve_site() as base:
        # A port nobody listens on: bind, read the port, close.
        import socket

        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
        s.close()
        sources = tmp_path / "sources.yaml"
        sources.write_text(
            "defaults:\n  min_delay_seconds: 0\n  timeout_seconds: 5\nsources:\n"
            f"  - id: dead\n    url: http://127.0.0.1:{dead_port}/x.html\n"
            f"  - id: good\n    url: {base}/en-guangxi-science.html\n",
            encoding="utf-8",
        )
        summary = nightly_crawl(sources_file=str(sources), output=str(tmp_path / "out"))
    outcomes = _manifest(summary["run_dir"])
    # The host is down, so its robots.txt is unreachable first: RFC 9309 says disallow all.
    assert outcomes["dead"]["status"] == "rejected" and outcomes["dead"]["reason"] == "robots_unreachable"
    assert outcomes["good"]["status"] == "new"


def test_missing_model_is_a_clear_error_with_no_half_written_outputs(prefect_harness, tmp_path, monkeypatch):
    """No vi->en package installed: the run stops naming the pair and the install command."""
    empty_models = tmp_path / "no-models"
    empty_models.mkdir()
    out = tmp_path / "out"
    with serve_site() as base:
        sources = tmp_path / "sources.yaml"
        sources.write_text(
            f"defaults:\n  min_delay_seconds: 0\nsources:\n  - id: vi\n    url: {base}/vi-hop-tac-khoa-hoc.html\n    lang: vi\n",
            encoding="utf-8",
        )
        # A separate process: Argos reads its packages dir once per process.
        proc = subprocess.run(
            [sys.executable, "-m", "flows.cli", "run", "--sources", str(sources), "--output", str(out)],
            cwd=ROOT, capture_output=True, text=True, timeout=300,
            env={**__import__("os").environ, "ARGOS_PACKAGES_DIR": str(empty_models)},
        )
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "vi" in proc.stderr and "en" in proc.stderr and "newsbridge models install" in proc.stderr
    assert not list(out.glob("docs/**/*.json"))


def test_a_story_split_over_shards_is_aligned_after_them(prefect_harness, argos_test_models, site_sources, tmp_path, monkeypatch):
    """One page per shard: the story's versions are stored by different shards, and the
    story stage (tasks/align/story.py) links them after all shards."""
    from flows.nightly import nightly_crawl
    from tasks.settings import get_settings

    monkeypatch.setenv("NEWSBRIDGE_SHARD_MAX_PAGES", "1")
    get_settings.cache_clear()
    try:
        out = tmp_path / "out"
        summary = nightly_crawl(sources_file=str(site_sources), output=str(out))
    finally:
        get_settings.cache_clear()
    manifest = json.loads((Path(summary["run_dir"]) / "manifest.json").read_text())
    shard_of = {s["id"]: n for n, sh in enumerate(manifest["shards"]) for s in _shard_sources(out, summary, sh["id"])}
    assert shard_of["demo-vi-science"] != shard_of["demo-en-science"]
    docs = _docs(out)
    story = docs["demo-vi-science"]["story"]
    assert story["pivot_source"] == "demo-en-science" and story["links"]
    en_ids = {s["id"] for s in docs["demo-en-science"]["segments"]}
    assert all(set(link["tgt"]) <= en_ids for link in story["links"])
    # stored once: the links went into the version the shard stored, no second version
    assert len(list((out / "docs" / "demo-vi-science").glob("*/*.json"))) == 1


def _shard_sources(out: Path, summary: dict, shard_id: str) -> list[dict]:
    record = json.loads((Path(summary["run_dir"]) / "shards" / f"{shard_id}.json").read_text())
    return record["outcomes"]
