"""A hostile outlet through the real nightly flow: green, contained, every hostile resource recorded.

tests/hostile_outlet.py serves three editions of good articles among overflowing dates,
malformed and non-HTTP links, circular sitemap indexes, bombs, entity files, link floods,
slow and off-site redirecting pages, gzip bytes labelled text/html and binary garbage.
Real flow, real Prefect harness, real loopback servers, tiny real models. Then a bug of
ours is injected at each stage (discovery, fetch, extraction, pairing) through the real
stage functions: each becomes a recorded `internal_error` rejection of that resource and
the other outlet's night goes on.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hostile_outlet import HostileOutlet

pytestmark = pytest.mark.slow


def _records(out: Path, summary: dict) -> tuple[dict, list[dict], dict[str, list[dict]]]:
    run_dir = Path(summary["run_dir"])
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    rejected = [json.loads(line) for line in (run_dir / "rejected.jsonl").read_text(encoding="utf-8").splitlines() if line]
    docs: dict[str, list[dict]] = {}
    for path in (out / "docs").rglob("*.json"):
        if path.name == "latest.json":
            continue
        rec = json.loads(path.read_text(encoding="utf-8"))
        docs.setdefault(rec["url"], []).append(rec)
    return manifest, rejected, docs


def test_a_hostile_outlet_gets_a_green_contained_night(prefect_harness, argos_test_models, tmp_path, capfd):
    from flows.nightly import nightly_crawl

    site = HostileOutlet()
    out = tmp_path / "out"
    sources = tmp_path / "sources.yaml"
    sources.write_text(site.sources_yaml(), encoding="utf-8")
    try:
        summary = nightly_crawl(sources_file=str(sources), output=str(out))  # raises on any "failed"
        requested_elsewhere = site.elsewhere.requests
    finally:
        site.close()
    manifest, rejected, docs = _records(out, summary)
    assert summary["failed"] == 0
    # every legitimate article stored exactly once (the gzip-labelled one decompressed)
    for url in site.good:
        assert len(docs.get(url, [])) == 1, (url, sorted(docs))
    assert not set(docs) - set(site.good), "something that is not a good article was stored"
    for url in site.good:
        doc = docs[url][0]["document"]
        assert "\ufffd" not in doc["text"] and doc["lang"] in ("vi", "en", "zh-Hans"), url
    # nothing asked of a host outside the outlet's editions
    assert requested_elsewhere == []
    # every hostile resource recorded with its reason
    disc = manifest["discovery"]
    recorded: dict[str, set[str]] = {}
    for p in disc["rejected"]:
        recorded.setdefault(p["url"], set()).add(p["reason"])
    for r in rejected:
        recorded.setdefault(r.get("url") or "", set()).add(r["reason"])
    for url, reasons in site.expected.items():
        assert recorded.get(url, set()) & reasons, (url, reasons, recorded.get(url))
    assert site.unusable_kinds <= set(disc["off_site"]["unusable"]["reasons"]), disc["off_site"]["unusable"]
    assert disc["off_site"]["urls"] >= 1 and any(s["url"].startswith(site.elsewhere.base_url) for s in disc["off_site"]["sample"])
    # dates out of the sane window: recorded, never trusted for max_age_days
    assert disc["suspect_dates"]["articles"] >= len(site.suspect)
    for url in site.suspect:
        assert docs[url][0]["discovery"].get("date_suspect"), url
    assert not [o for o in manifest["sources"] if o["reason"] == "internal_error"]
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    captured = capfd.readouterr()
    assert "Traceback" not in captured.out + captured.err


def test_a_bug_at_each_stage_is_one_recorded_rejection_and_the_night_stays_green(
    prefect_harness, argos_test_models, tmp_path, monkeypatch, request
):
    import tasks.align.pairing as pairing
    import tasks.crawl.discover_edition as discover
    import tasks.text.extract as extract
    from flows.nightly import nightly_crawl
    from tasks.crawl.fetch import Fetcher

    from tasks.settings import get_settings

    monkeypatch.setenv("NEWSBRIDGE_STREAM_PROCESS_WORKERS", "0")  # extraction in this process: the patch applies
    get_settings.cache_clear()
    request.addfinalizer(get_settings.cache_clear)
    calm = HostileOutlet("calm", hostile=False, good=3, seed=1)
    sick = HostileOutlet("sick", hostile=False, good=3, seed=2, elsewhere=calm.elsewhere)
    # zh articles are listed on the zh home page only, where discovery's bug is injected
    sick_urls = sorted(u for u, lang in sick.good.items() if lang != "zh")
    fetch_bug, extract_bug = sick_urls[0], sick_urls[1]
    section_bug = sick.home("zh")

    real_read_page, real_fetch, real_extract, real_pair = discover.read_page, Fetcher.fetch, extract.extract_article, pairing.pair_run

    def read_page(content, base_url, *a, **kw):  # type: ignore[no-untyped-def]
        if base_url == section_bug:
            raise RuntimeError("injected discovery bug")
        return real_read_page(content, base_url, *a, **kw)

    def fetch(self, source, *a, **kw):  # type: ignore[no-untyped-def]
        if source.url == fetch_bug:
            raise RuntimeError("injected fetch bug")
        return real_fetch(self, source, *a, **kw)

    def extract_article(content, *a, **kw):  # type: ignore[no-untyped-def]
        if kw.get("url") == extract_bug:
            raise RuntimeError("injected extraction bug")
        return real_extract(content, *a, **kw)

    def pair_run(out, this_run, *a, **kw):  # type: ignore[no-untyped-def]
        if any(sid.startswith("sick-") for sid in this_run):
            raise RuntimeError("injected pairing bug")
        return real_pair(out, this_run, *a, **kw)

    monkeypatch.setattr(discover, "read_page", read_page)
    monkeypatch.setattr(Fetcher, "fetch", fetch)
    monkeypatch.setattr(extract, "extract_article", extract_article)
    monkeypatch.setattr(pairing, "pair_run", pair_run)
    out = tmp_path / "out"
    sources = tmp_path / "sources.yaml"
    sources.write_text(calm.sources_yaml(extra_outlets=sick.outlet_yaml()), encoding="utf-8")
    try:
        summary = nightly_crawl(sources_file=str(sources), output=str(out))  # green: no FlowFailed
    finally:
        calm.close()
        sick.close()
    manifest, rejected, docs = _records(out, summary)
    assert summary["failed"] == 0
    bugs = {(r["stage"], r["url"] or r["source_id"]): r for r in rejected if r["reason"] == "internal_error"}
    outcome = {o.get("url"): o for o in manifest["sources"]}
    assert set(bugs) == {("discover", section_bug), ("fetch", fetch_bug), ("process", extract_bug), ("pair", "pairing-sick")}, (
        outcome.get(extract_bug), outcome.get(fetch_bug))
    assert all(r["detail"].startswith("RuntimeError: injected") for r in bugs.values())
    # the other outlet's night, and the rest of this one, went on
    assert all(len(docs.get(url, [])) == 1 for url in calm.good)
    zh = {u for u, lang in sick.good.items() if lang == "zh"}  # only its (broken) home page listed them
    assert {u for u in sick.good if u in docs} == set(sick.good) - zh - {fetch_bug, extract_bug}
    assert outcome[fetch_bug]["status"] == outcome[extract_bug]["status"] == "rejected"
    assert "pairing-sick" in summary.get("pairing_error", "") and "calm" not in summary.get("pairing_error", "")


def test_a_robots_txt_redirect_to_another_host_is_not_followed(tmp_path):
    """The product never requests a host outside the outlet's editions, robots.txt included:
    a robots.txt redirecting elsewhere is not followed and the host is disallowed this run."""
    from faultserver import FaultServer, Route, html_page

    from tasks.crawl.fetch import Fetcher, request_for
    from tasks.models import FetchDefaults, Source
    from tasks.settings import Settings

    settings = Settings(retry_attempts=1, backoff_base_seconds=0.0, allow_private_redirects=True)  # type: ignore[call-arg]
    with FaultServer() as site, FaultServer() as elsewhere:
        elsewhere.robots("User-agent: *\nAllow: /\n")
        site.add("/robots.txt", Route(status=301, content_type=None, headers={"Location": elsewhere.url("/robots.txt")}))
        page = site.page("/tin/bai-viet-mot-hai-ba.html", html_page("Tin", ["Một đoạn văn đủ dài để là một bài."]))
        with Fetcher(FetchDefaults(min_delay_seconds=0, timeout_seconds=2), tmp_path, settings=settings) as fetcher:
            result = fetcher.fetch(request_for(Source(id="s", url=page), fetcher.defaults))
        assert (result.outcome, result.reason) == ("failed", "robots_unreachable")
        assert "another host" in (result.detail or "")
        assert elsewhere.requests == [] and site.count("/tin/bai-viet-mot-hai-ba.html") == 0
