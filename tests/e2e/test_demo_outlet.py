"""`make demo`: two nights of the real flow on the bundled three-edition outlet.

Run as `make demo` runs it (`newsbridge demo`, a subprocess, here on the test session's
Prefect API). Checked from its JSON report and its output folder: night 1 pairs stories
by hreflang, by link and by content, rejects the gone page (404) and skips the one
robots.txt forbids; night 2 stores only what is new, pairs the late translation with its
night-1 original; the review pages, TMX and XLIFF are there without any other command,
and the GBK page labelled gb2312 reads as Chinese.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_make_demo_two_nights_pairs_stories_and_leaves_the_translators_outputs(prefect_harness, tmp_path):
    from prefect.settings import PREFECT_API_URL

    out = tmp_path / "demo"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PREFECT_API_URL": str(PREFECT_API_URL.value())}
    proc = subprocess.run([sys.executable, "-m", "flows.cli", "demo", "--json", "--output", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    night1, night2 = json.loads(proc.stdout[proc.stdout.index("[\n"):])

    methods1 = {m for st in night1["stories"] for m in st["methods"]}
    assert {"hreflang", "link", "content"} <= methods1, night1["stories"]
    assert (night1["reasons"].get("http_404"), night1["reasons"].get("robots_disallowed")) == (1, 1)
    assert night1["stored"] == 10 and night1["rejected"] == 1

    # Night 2: only the new articles are fetched; the late English translation joins its night-1 original.
    assert night2["stored"] == 5 and night2["reasons"] == {"skipped_seen": night2["skipped"]}
    late = [st for st in night2["stories"] if any("primary-health-care" in v for v in st["versions"])]
    assert late and any("y-te-co-so" in v for v in late[0]["versions"]), night2["stories"]
    assert "hreflang" in {m for st in night2["stories"] for m in st["methods"]}

    export = out / "export"
    stored = {p.parent.name for p in (out / "docs").glob("*/latest.json")}
    assert len(stored) == 15
    assert (export / "html" / "index.html").is_file()
    assert {p.name for p in (export / "tmx").glob("*.tmx")} >= {"vi-en.tmx", "zh-Hans-en.tmx", "vi-en.story.tmx"}
    assert len(list((export / "xliff").rglob("*.xlf"))) == 15
    # The Chinese page in GBK, declared gb2312, no HTTP charset: read as Chinese.
    [gbk] = [json.loads(p.read_text(encoding="utf-8")) for p in (out / "docs").glob("*/*/*.json")
             if "kexue-hezuo" in json.loads(p.read_text(encoding="utf-8"))["url"]]
    assert "推进" in gbk["document"]["title"] and gbk["fetch"]["charset"].lower() in ("gbk", "gb18030", "gb2312")
    assert (out / "health" / "outlets.jsonl").is_file()
    _check_mt_quality(out)


def _check_mt_quality(out: Path) -> None:
    """Each night's stats.json `mt_quality`: chrF per outlet and model equal to sacrebleu's on
    the exported links, recomputed here from the stored documents (test models: labelled)."""
    import sacrebleu

    figures = [q for stats in sorted(out.glob("runs/*/stats.json")) for q in json.loads(stats.read_text())["mt_quality"]]
    assert {(q["outlet"], q["pair"]) for q in figures} >= {("mekong-daily", "vi-en")}, figures
    for q in figures:
        assert q["test_model"] is True and q["segments"] > 0
        hyps, refs = [], []
        for rel in q["documents"]:
            record = json.loads((out / rel).read_text(encoding="utf-8"))
            story = record["story"]
            pointer = json.loads((out / "docs" / story["pivot_source"] / "latest.json").read_text())
            pivot = json.loads((out / pointer["path"]).read_text(encoding="utf-8"))
            human = {s["id"]: s["text"] for s in pivot["segments"]}
            segments = {s["id"]: s for s in record["segments"]}
            for link in story["links"]:
                if not link.get("export", True) or not link["src"] or not link["tgt"]:
                    continue
                mts = [segments[i].get("translation") or {} for i in link["src"]]
                if any(t.get("state") != "mt" for t in mts) or {t.get("model") for t in mts} != {q["model"]}:
                    continue
                hyps.append(" ".join(t["text"].strip() for t in mts))
                refs.append(" ".join(human[i].strip() for i in link["tgt"]))
        assert len(hyps) == q["segments"]
        assert abs(sacrebleu.corpus_chrf(hyps, [refs]).score - q["chrf"]) < 0.01, q
