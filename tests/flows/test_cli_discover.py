"""`newsbridge discover`: a dry run that starts fast (no Prefect, no torch) and changes nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]


def test_discover_command_is_fast_and_a_dry_run(tmp_path):
    from news_site import NewsSite

    site = NewsSite()
    site.build()
    site.night(1)
    try:
        sources = tmp_path / "s.yaml"
        sources.write_text(site.sources_yaml(), encoding="utf-8")
        code = (
            "import sys, runpy; sys.argv = ['newsbridge', 'discover', '--sources', sys.argv[1], '--output', sys.argv[2], '--json'];\n"
            "try:\n    runpy.run_module('flows.cli.main', run_name='__main__')\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('prefect', 'argostranslate', 'torch', 'ctranslate2'))\n"
            "print('HEAVY', bad, file=sys.stderr)\n"
        )
        proc = subprocess.run([sys.executable, "-c", code, str(sources), str(tmp_path / "out")],
                              capture_output=True, text=True, cwd=ROOT, timeout=300)
        asked = sorted(site.requested_urls())
    finally:
        site.close()
    assert proc.returncode == 0, proc.stderr
    assert "HEAVY []" in proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    rows = [r for r in lines if r["record"] == "article"]
    off_site = [r for r in lines if r["record"] == "off_site"]
    assert len(off_site) == 1 and "elsewhere.invalid" in off_site[0]["hosts"]  # the nav's ad link: named, not followed
    assert not [r for r in lines if r["record"] == "rejected"], [r for r in lines if r["record"] == "rejected"]
    assert {r["edition"] for r in rows} == {"vi", "zh", "en"}
    assert {r["via"] for r in rows} >= {"feed", "sitemap"}
    assert all(r["decision"] == "fetch" for r in rows)
    # No article page was requested (feeds, sitemaps, home and section pages only), nothing written.
    assert not any(p.endswith(".html") for p in asked), [p for p in asked if p.endswith(".html")]
    assert not any("/search" in p or "/tag/" in p for p in asked)  # navigation pages are not sections
    assert not (tmp_path / "out").exists()
