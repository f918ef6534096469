"""Outlet health (tasks/night/health.py): the 14-night table, and the events an operator's
automation listens to — `newsbridge.outlet.silent` seen arriving on a real Prefect server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from conftest import _wait

ROOT = Path(__file__).resolve().parents[2]


def row(day: str, new: int, stored: int | None = None, rejected: dict | None = None, low: int = 0, outlet: str = "o") -> dict:
    return {"run_id": f"r-{day}", "day": day, "kind": "nightly", "outlet": outlet, "discovered": 10, "new": new,
            "stored": new if stored is None else stored, "paired": 0, "rejected": rejected or {}, "low_confidence": low,
            "confidence_mean": 0.9}


def test_silent_after_n_nights_without_a_new_article():
    from tasks.night.health import outlet_events

    rows = [row("2026-12-01", 5), row("2026-12-02", 0), row("2026-12-03", 0)]
    kinds = lambda n, tonight="2026-12-03": [(e.kind, e.outlet) for e in outlet_events(rows, {"o": n}, tonight, 0.25, 3)]  # noqa: E731
    assert kinds(2) == [("silent", "o")]
    assert kinds(3) == []  # night 1 had new articles
    assert kinds(1, tonight="2026-12-04") == []  # only about tonight's run
    # A rerun joins the night before it (it finishes that night); two nightly runs of one day are two nights.
    assert [e.kind for e in outlet_events(rows + [dict(row("2026-12-03", 4), kind="rerun")], {"o": 2}, "2026-12-03", 0.25, 3)] == []
    twice = [row("2026-12-01", 5), row("2026-12-01", 0)]
    assert [e.kind for e in outlet_events(twice, {"o": 1}, "2026-12-01", 0.25, 3)] == ["silent"]
    [event] = outlet_events(rows, {"o": 2}, "2026-12-03", 0.25, 3)
    assert event.name == "newsbridge.outlet.silent" and event.payload["since"] == "2026-12-02"


def test_degraded_when_rejections_or_low_confidence_jump():
    from tasks.night.health import outlet_events

    calm = [row(f"2026-12-0{d}", 8, rejected={"http_404": 1}) for d in range(1, 5)]
    bad = calm + [row("2026-12-05", 2, rejected={"http_503": 6, "http_404": 1})]
    [event] = outlet_events(bad, {"o": 3}, "2026-12-05", 0.25, 3)
    assert (event.name, event.payload["measure"]) == ("newsbridge.outlet.degraded", "rejected")
    assert event.payload["tonight"] > 0.7 and event.payload["mean_before"] < 0.15
    low = calm + [row("2026-12-05", 8, low=5)]
    assert [e.payload["measure"] for e in outlet_events(low, {"o": 3}, "2026-12-05", 0.25, 3)] == ["low_confidence"]
    # control: a night like the others, or a jump on too few pages, is no event
    assert outlet_events(calm + [row("2026-12-05", 8, rejected={"http_404": 1})], {"o": 3}, "2026-12-05", 0.25, 3) == []
    assert outlet_events(calm + [row("2026-12-05", 0, stored=0, rejected={"http_503": 2})], {"o": 9}, "2026-12-05", 0.25, 3) == []


def test_health_table_adds_a_rerun_to_its_night_and_keeps_14_nights():
    from tasks.night.health import health_table

    rows = [row(f"2026-11-{d:02d}", 1) for d in range(1, 21)] + [dict(row("2026-11-20", 2, rejected={"http_404": 3}), kind="rerun")]
    table = health_table(rows)
    assert len(table) == 14 and table[0]["night"] == "2026-11-20" and table[-1]["night"] == "2026-11-07"
    assert (table[0]["stored"], table[0]["rejected"], table[0]["mean extraction confidence"]) == (3, "http_404 3", 0.9)


@pytest.mark.slow
def test_a_silent_outlet_emits_an_event_the_prefect_server_receives(prefect_server, argos_test_models, tmp_path):
    """Two nights of the demo outlet with `silent_after_nights: 1`, nothing new on night 2:
    the run emits `newsbridge.outlet.silent`; read back from the server's events API."""
    from flows.demo import outlet_sources_yaml, serve_outlet

    api = prefect_server
    out = tmp_path / "out"
    env = {**os.environ, "PREFECT_API_URL": api, "PREFECT_HOME": str(tmp_path / "run-home"),
           "ARGOS_PACKAGES_DIR": str(argos_test_models["packages_dir"]), "NEWSBRIDGE_ALLOW_PRIVATE_REDIRECTS": "true"}
    with serve_outlet() as site:
        sources = tmp_path / "sources.yaml"
        sources.write_text(outlet_sources_yaml(site.base).replace("silent_after_nights: 3", "silent_after_nights: 1"),
                           encoding="utf-8")
        for night in (1, 2):  # the site as of night 1 both times: nothing new on night 2
            proc = subprocess.run([sys.executable, "-m", "flows.cli", "run", "--sources", str(sources), "--output", str(out),
                                   "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
            assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]

    def silent_events():
        r = httpx.post(f"{api}/events/filter", json={"filter": {"event": {"prefix": ["newsbridge.outlet."]}}, "limit": 50}, timeout=10)
        r.raise_for_status()
        return [e for e in r.json()["events"] if e["event"] == "newsbridge.outlet.silent"] or None

    [event] = _wait("the newsbridge.outlet.silent event on the server", silent_events, 60)
    assert event["resource"]["prefect.resource.id"] == "newsbridge.outlet.mekong-daily"
    assert event["payload"]["nights"] == 1 and "no new article" in event["payload"]["message"]
    table = httpx.get(f"{api}/artifacts/outlet-health/latest", timeout=10).json()
    assert table["type"] == "table" and "mekong-daily" in str(table["data"])

    # The automation of docs/running.md, created by its command, is accepted by the server.
    doc = (ROOT / "docs" / "running.md").read_text(encoding="utf-8")
    command = doc.split("prefect automation create --from-json '", 1)[1].split("'\n", 1)[0]
    created = subprocess.run([sys.executable, "-m", "prefect", "automation", "create", "--from-json", command],
                             env=env, capture_output=True, text=True, timeout=120)
    assert created.returncode == 0, created.stdout + created.stderr
    automations = httpx.post(f"{api}/automations/filter", json={}, timeout=10).json()
    [auto] = [a for a in automations if a["name"].startswith("newsbridge: pause the nightly crawl")]
    assert auto["trigger"]["expect"] == ["newsbridge.outlet.degraded"]
    assert auto["actions"][0]["type"] == "pause-deployment"


def test_health_table_shows_this_runs_mt_quality_per_outlet_labelling_test_models():
    from tasks.night.health import health_table
    from tasks.translate.testmodels import TEST_MODEL_VERSION

    rows = [row(f"2026-11-{d:02d}", 1) for d in range(1, 4)]
    outlet = rows[0]["outlet"]
    mt = [{"outlet": outlet, "pair": "vi-en", "model": f"argos-vi-en@{TEST_MODEL_VERSION}", "chrf": 12.345, "bleu": 1.5, "segments": 7},
          {"outlet": "elsewhere", "pair": "zh-en", "model": "opus-zh-en", "chrf": 50.0, "bleu": 20.0, "segments": 3}]
    table = health_table(rows, mt_quality=mt)
    cell = table[0]["MT quality (model, pair, chrF, BLEU, segments)"]
    assert "vi-en chrF 12.35 BLEU 1.50 (7 segments)" in cell and "zh-en" not in cell
    assert "(TEST model: nonsense)" in cell
    assert all(t["MT quality (model, pair, chrF, BLEU, segments)"] == "-" for t in table[1:])
    assert health_table(rows)[0]["MT quality (model, pair, chrF, BLEU, segments)"] == "-"
