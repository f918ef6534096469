"""Two nights of the nightly flow on a loopback three-edition outlet (tests/news_site.py).

Night 1 finds articles through RSS (vi), Atom (en), a news sitemap only (zh), a sitemap
index with an old sitemap, section pages and the home page; night 2 sees new articles and
late translations of night-1 articles. Checked from the outputs and the servers' logs:
every in-window article stored once, nothing old (by a feed/sitemap date) or disallowed
requested, nothing stored requested again on night 2, and the stories found match the
truth (pair F1 over all pairs and over the pairs with no link at all).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from news_site import NewsSite  # tests/ is on sys.path (rootdir-less import)


def _latest_docs(out: Path) -> dict[str, dict]:
    docs = {}
    for pointer in (out / "docs").glob("*/latest.json"):
        rel = json.loads(pointer.read_text())["path"]
        docs[pointer.parent.name] = json.loads((out / rel).read_text())
    return docs


def _pairs(docs: dict[str, dict]) -> set[frozenset[str]]:
    found = set()
    for d in docs.values():
        story = d.get("story") or {}
        urls = [v["url"] for v in story.get("versions", [])]
        for i, a in enumerate(urls):
            for b in urls[i + 1 :]:
                found.add(frozenset((a, b)))
    return found


def _f1(pred: set, gold: set) -> float:
    tp = len(pred & gold)
    if not pred and not gold:
        return 1.0
    p = tp / len(pred) if pred else 0.0
    r = tp / len(gold) if gold else 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


@pytest.fixture(params=["ports", "paths"])
def site(request):
    s = NewsSite(request.param)
    s.build()
    try:
        yield s
    finally:
        s.close()


def test_two_nights_discover_store_once_and_pair(prefect_harness, argos_test_models, site, tmp_path):
    from flows.nightly import nightly_crawl

    from faultserver import Route

    # Two bad inputs named in sources.yaml: a truncated feed (its one whole entry is an
    # article the RSS lists too) and a sitemap with entity declarations.
    first_vi = next(a for a in site.articles if a.lang == "vi" and a.night == 1 and not a.old)
    vi_srv, vi_pre = site.servers["vi"], site.prefix["vi"]
    cut = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>cut</title><item><title>a</title>'
           f"<link>{site.url('vi', first_vi.path)}</link></item><item><title>b</title><link>{site.url('vi', '/x')}").encode()
    vi_srv.add(vi_pre + "/broken-rss.xml", Route(body=cut, content_type="application/rss+xml"))
    vi_srv.add(vi_pre + "/entities.xml", Route(body=b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x "y">]><urlset></urlset>',
                                               content_type="application/xml"))
    sources = tmp_path / "sources.yaml"
    sources.write_text(site.sources_yaml(max_age_days=2) + f"    feeds: [{site.url('vi', '/broken-rss.xml')}]\n"
                       f"    sitemaps: [{site.url('vi', '/entities.xml')}]\n", encoding="utf-8")
    out = tmp_path / "out"

    site.night(1)
    s1 = nightly_crawl(sources_file=str(sources), output=str(out))
    manifest1 = json.loads((Path(s1["run_dir"]) / "manifest.json").read_text())
    stats1 = json.loads((Path(s1["run_dir"]) / "stats.json").read_text())
    rejected1 = [json.loads(line) for line in (Path(s1["run_dir"]) / "rejected.jsonl").read_text().splitlines()]

    # Feed / sitemap problems are recorded: manifest `discovery` section, rejected.jsonl, stats.
    problems = {p["url"]: p for p in manifest1["discovery"]["rejected"]}
    assert problems[site.url("vi", "/broken-rss.xml")]["reason"] == "bad_feed"
    assert problems[site.url("vi", "/broken-rss.xml")]["outcome"] == "partial"  # its whole entry was kept
    assert problems[site.url("vi", "/entities.xml")]["reason"] == "xml_dtd"
    found_rej = {r["url"]: r for r in rejected1 if r["stage"] == "discover"}
    assert found_rej[site.url("vi", "/entities.xml")]["reason"] == "xml_dtd"
    assert found_rej[site.url("vi", "/broken-rss.xml")]["reason"] == "bad_feed"
    assert stats1["discovery_rejected"] == len(found_rej) and stats1["discovery_reasons"]["xml_dtd"] == 1
    # Off-site links (the nav's ad) are counted and named, never requested.
    assert "elsewhere.invalid" in manifest1["discovery"]["off_site"]["hosts"] and stats1["off_site"] >= 1
    # Each feed and sitemap is requested once a night, also when the editions share one host.
    for lang, path in (("vi", "/broken-rss.xml"), ("vi", "/entities.xml"), ("vi", "/sitemap_index.xml"),
                       ("vi", "/sitemap-recent.xml"), ("vi", "/rss.xml"), ("zh", "/news-sitemap.xml")):
        assert site.count(lang, path) == 1, (lang, path, site.count(lang, path))
    assert stats1["discovered"] >= 20 and stats1["skipped_old"] == 2 and stats1["paired"] >= 1
    by_url1 = {o["url"]: o for o in manifest1["sources"] if o.get("url")}
    old_vi = site.url("vi", "/the-gioi/bao-cu-100025.html")
    old_en = site.url("en", "/business/old-analysis-500026.html")
    assert by_url1[old_vi]["status"] == "skipped" and by_url1[old_vi]["reason"] == "skipped_old"
    assert by_url1[old_en]["status"] == "skipped" and by_url1[old_en]["reason"] == "skipped_old"  # page date, after fetching
    private = site.url("en", site.private_path)
    assert by_url1[private]["reason"] == "robots_disallowed"

    # Night-1 requests: the old vi article (sitemap date) and the private page never asked for.
    assert site.count("vi", "/the-gioi/bao-cu-100025.html") == 0
    assert site.count("en", site.private_path) == 0
    night1_stored = {d["url"] for d in _latest_docs(out).values()}

    site.clear_logs()
    site.night(2)
    s2 = nightly_crawl(sources_file=str(sources), output=str(out))
    stats2 = json.loads((Path(s2["run_dir"]) / "stats.json").read_text())
    assert stats2["skipped_seen"] >= len(night1_stored) - 1

    # Nothing stored on night 1 is requested again on night 2; nothing old or private ever.
    assert not night1_stored & site.requested_urls(), "a stored article was requested again on night 2"
    assert site.count("vi", "/the-gioi/bao-cu-100025.html") == 0
    assert site.count("en", site.private_path) == 0

    # Every in-window article stored exactly once (one source folder per URL).
    docs = _latest_docs(out)
    stored = [d["url"] for d in docs.values()]
    assert len(stored) == len(set(stored))
    expected = {site.url(a.lang, a.path) for a in site.articles if not a.old}
    assert set(stored) == expected

    # Stored documents say how they were found.
    for d in docs.values():
        disc = d["discovery"]
        assert disc["outlet"] == "loopnews" and disc["edition"] in ("vi", "zh", "en")
        assert disc["via"] in ("feed", "sitemap", "page") and disc["found_on"] and disc["published"]
    zh_vias = {d["discovery"]["via"] for d in docs.values() if d["discovery"]["edition"] == "zh"}
    assert zh_vias == {"sitemap"}

    # Pairs: F1 over all pairs and over pairs with no link at all.
    pred = _pairs(docs)
    gold = set(site.pairs_truth)
    nolink = {p for p, ev in site.pairs_truth.items() if ev == "none"}
    assert _f1(pred, gold) >= 0.95, (sorted(map(sorted, pred - gold)), sorted(map(sorted, gold - pred)))
    assert _f1({p for p in pred if p not in gold or p in nolink}, nolink) >= 0.90
    # A three-edition story lists every version, itself included, with a method and score.
    tri = [d for d in docs.values() if "hop-tac-khoa-hoc" in d["url"]]
    assert len(tri) == 3
    for d in tri:
        assert {v["lang"] for v in d["story"]["versions"]} == {"vi", "zh", "en"}
        assert d["story"]["paired_by"]["method"] == "hreflang"
    # The late English translation pairs with the Vietnamese stored on night 1, which
    # gets its story in place: the same version, no second file (no synthetic version).
    vi_late = next(sid for sid, d in docs.items() if d["url"].endswith("/y-te-co-so-100020.html"))
    versions = sorted((out / "docs" / vi_late).glob("*/*.json"))
    assert len(versions) == 1 and versions[0].stem == docs[vi_late]["version"] == docs[vi_late]["fetch"]["sha256"][:16]
    late_story = docs[vi_late]["story"]
    assert {v["lang"] for v in late_story["versions"]} == {"vi", "en"}
    assert late_story["paired_by"]["method"] == "content" and late_story["links"]

    # Pairs feed the existing story outputs: TMX story units and the three-column review page.
    from tasks.review.export import export_documents

    tmx = export_documents("tmx", out, tmp_path / "tmx")
    story_tmx = [p for p in tmx if p.name.endswith(".story.tmx")]
    assert story_tmx and any("<tu" in p.read_text(encoding="utf-8") for p in story_tmx)
    pages = export_documents("html", out, tmp_path / "html")
    vi_page = next(p for p in pages if p.stem == docs[vi_late]["doc_id"])
    assert "human version" in vi_page.read_text(encoding="utf-8")
