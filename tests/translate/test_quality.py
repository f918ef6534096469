"""MT quality against human versions: the night's figures (stats.json `mt_quality`), recomputable
from the stored documents, and `newsbridge models compare`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import sacrebleu

from tasks.models import TEST_MODEL_VERSION, SourceOutcome
from tasks.store.document import parse_document, write_document
from tasks.translate.quality import link_segments, night_mt_quality, quality_markdown, quality_rows

ROOT = Path(__file__).parents[2]
MODEL = f"argos:vi-en@{TEST_MODEL_VERSION}"
PROV = {"newsbridge": "0", "extractor": "x", "detector": "y"}


def _segment(doc: str, i: int, text: str, lang: str, mt: str | None = None, state: str = "mt", model: str = MODEL):
    seg = {"id": f"{doc}:{i}:0", "paragraph": i, "sentence": 0, "start": 0, "end": len(text), "text": text, "lang": lang}
    if mt is not None:
        seg["translation"] = {"text": mt, "src": lang, "tgt": "en", "model": model, "engine": "e", "state": state}
    return seg


def _store(out: Path, sid: str, segments: list[dict], *, story: dict | None = None, outlet: str = "outlet-a") -> str:
    record = {
        "schema": "newsbridge.document/1", "source_id": sid, "url": f"http://127.0.0.1/{sid}", "doc_id": f"doc-{sid}",
        "version": f"v-{sid}", "segments": segments, "provenance": PROV, "story": story,
        "document": {"lang": segments[0]["lang"]},
        "discovery": {"outlet": outlet, "edition": "x", "via": "feed", "found_on": "http://127.0.0.1/"},
    }
    return write_document(out, parse_document(record))


def _archive(out: Path) -> tuple[str, list[tuple[str, str]]]:
    """An English human version and a Vietnamese story linked to it (4 exported links, 1 unsure,
    one reviewed translation); returns the Vietnamese record's path and the expected pairs."""
    en = [_segment("E", i, t, "en") for i, t in enumerate([
        "Vietnam and China sign a trade memorandum.", "The ministers met in Hanoi on Monday.",
        "Both sides will promote investment.", "Rice exports grew by ten percent.", "The port opens next year.",
        "Students visit the university."])]
    _store(out, "en-1", en)
    vi = [
        _segment("V", 0, "Việt Nam và Trung Quốc ký biên bản ghi nhớ thương mại.", "vi", "Vietnam and China signed a trade memo."),
        _segment("V", 1, "Các bộ trưởng gặp nhau tại Hà Nội.", "vi", "The ministers meet at Hanoi"),
        _segment("V", 2, "Hai bên sẽ thúc đẩy đầu tư.", "vi", "Two sides will push investment."),
        _segment("V", 3, "Xuất khẩu gạo tăng.", "vi", "Rice export rose."),
        _segment("V", 4, "Cảng mở cửa.", "vi", "Port opens.", state="reviewed"),
        _segment("V", 5, "Sinh viên.", "vi", "Students."),
    ]
    links = [
        {"src": ["V:0:0"], "tgt": ["E:0:0"], "score": 0.9, "method": "m", "export": True},
        {"src": ["V:1:0"], "tgt": ["E:1:0"], "score": 0.9, "method": "m", "export": True},
        {"src": ["V:2:0", "V:3:0"], "tgt": ["E:2:0", "E:3:0"], "score": 0.8, "method": "m", "export": True},
        {"src": ["V:4:0"], "tgt": ["E:4:0"], "score": 0.9, "method": "m", "export": True},  # reviewed: not MT
        {"src": ["V:5:0"], "tgt": ["E:5:0"], "score": 0.2, "method": "m", "export": False},  # unsure: not counted
    ]
    story = {"id": "s1", "versions": [], "pivot_source": "en-1", "pivot_lang": "en", "method": "m", "links": links}
    rel = _store(out, "vi-1", vi, story=story)
    expected = [
        ("Vietnam and China signed a trade memo.", "Vietnam and China sign a trade memorandum."),
        ("The ministers meet at Hanoi", "The ministers met in Hanoi on Monday."),
        ("Two sides will push investment. Rice export rose.", "Both sides will promote investment. Rice exports grew by ten percent."),
    ]
    return rel, expected


def test_night_figures_equal_sacrebleu_on_the_exported_links(tmp_path):
    rel, expected = _archive(tmp_path)
    outcomes = [SourceOutcome(id="vi-1", status="new", document=rel), SourceOutcome(id="en-1", status="unchanged")]
    [fig] = night_mt_quality(tmp_path, outcomes, [])
    hyps, refs = [h for h, _ in expected], [r for _, r in expected]
    assert (fig["model"], fig["outlet"], fig["pair"], fig["segments"]) == (MODEL, "outlet-a", "vi-en", 3)
    assert abs(fig["chrf"] - sacrebleu.corpus_chrf(hyps, [refs]).score) < 0.01
    assert abs(fig["bleu"] - sacrebleu.corpus_bleu(hyps, [refs]).score) < 0.01
    assert 0 < fig["chrf"] < 100 and fig["test_model"] is True
    assert fig["documents"] == [rel] and len(fig["pivot_documents"]) == 1
    # nothing stored tonight: no figures; a story's version pairing touched tonight: counted
    assert night_mt_quality(tmp_path, [SourceOutcome(id="vi-1", status="unchanged")], []) == []
    stories = [{"versions": [{"source_id": "vi-1"}, {"source_id": "en-1"}]}]
    assert night_mt_quality(tmp_path, [], stories) == [fig]


def test_figures_per_model_and_outlet_and_labelled(tmp_path):
    _archive(tmp_path)
    en = json.loads((tmp_path / "docs" / "en-1" / "latest.json").read_text())
    assert en["path"]
    other = "byo:hf:Helsinki-NLP/opus-mt-vi-en@abc"
    vi = [_segment("W", 0, "Xuất khẩu gạo tăng.", "vi", "Rice exports grew.", model=other)]
    story = {"id": "s2", "pivot_source": "en-1", "pivot_lang": "en",
             "links": [{"src": ["W:0:0"], "tgt": ["E:3:0"], "score": 1, "method": "m"}]}  # no export key: exported
    rel2 = _store(tmp_path, "vi-2", vi, story=story, outlet="outlet-b")
    figs = night_mt_quality(tmp_path, [SourceOutcome(id=s, status="changed") for s in ("vi-1", "vi-2")], [])
    assert [(f["model"], f["outlet"], f["segments"]) for f in figs] == [(MODEL, "outlet-a", 3), (other, "outlet-b", 1)]
    assert figs[1]["test_model"] is False and figs[1]["documents"] == [rel2]
    text = "\n".join(quality_markdown(figs))
    assert f"{MODEL} (TEST model: nonsense)" in text and f"| {other} |" in text
    rows = quality_rows(figs)
    assert rows["outlet-a"][0]["model"].endswith("(TEST model: nonsense)") and rows["outlet-b"][0]["segments"] == 1


def test_broken_links_are_skipped_not_fatal(tmp_path):
    rel, _ = _archive(tmp_path)
    (tmp_path / "docs" / "en-1" / "latest.json").unlink()  # the human version is gone
    assert link_segments(tmp_path, rel) == []


def test_compare_two_models_on_the_archive(argos_test_models, tmp_path):
    """`models compare` with the same packages dir twice: equal scores, a difference interval of 0."""
    from tasks.translate.engine import translate_texts

    rel, expected = _archive(tmp_path)
    env = dict(os.environ, ARGOS_PACKAGES_DIR=str(argos_test_models["packages_dir"]))
    pk = str(argos_test_models["packages_dir"])
    proc = subprocess.run([sys.executable, "-m", "flows.cli", "models", "compare", pk, pk, "--output", str(tmp_path), "--json"],
                          cwd=ROOT, env=env, capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()
    [row] = json.loads(proc.stdout)
    assert row["pair"] == "vi-en" and row["segments"] == 3
    a, b = row["models"]
    assert a["model"] == b["model"] == MODEL and a["test_model"] and a["chrf"] == b["chrf"]
    assert row["difference"] == {"chrf": [0.0, 0.0], "bleu": [0.0, 0.0]}
    assert a["chrf_ci"][0] <= a["chrf"] <= a["chrf_ci"][1]
    # the scores are those of the test model's own output against the human versions
    sources = ["Việt Nam và Trung Quốc ký biên bản ghi nhớ thương mại.", "Các bộ trưởng gặp nhau tại Hà Nội.",
               "Hai bên sẽ thúc đẩy đầu tư. Xuất khẩu gạo tăng."]
    hyps = [t.text for t in translate_texts(sources, "vi", "en", memory=None, packages=argos_test_models["packages_dir"])]
    assert abs(a["chrf"] - sacrebleu.corpus_chrf(hyps, [[r for _, r in expected]]).score) < 0.01
    text = subprocess.run([sys.executable, "-m", "flows.cli", "models", "compare", pk, "no-such-model", "--output", str(tmp_path)],
                          cwd=ROOT, env=env, capture_output=True, timeout=300)
    assert text.returncode == 2 and b"no-such-model: no such model" in text.stderr


def test_archive_links_filters_by_outlet_and_day(tmp_path):
    from tasks.translate.quality import archive_links

    _archive(tmp_path)
    assert len(archive_links(tmp_path)) == 3
    assert len(archive_links(tmp_path, outlet="outlet-a")) == 3 and archive_links(tmp_path, outlet="outlet-b") == []
    assert archive_links(tmp_path, since="2000-01-01") == []  # no fetch time recorded: not known to be recent
