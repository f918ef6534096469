"""A hostile outlet through `newsbridge run`: wall time, peak memory, containment.

    python bench/hostile_outlet.py [--good 20]

Serves tests/hostile_outlet.py (three editions, `--good` good articles each among about 30
hostile resources per edition: overflowing dates, malformed and non-HTTP links, circular
sitemap indexes, gzip bombs, entity files, a 6,000-link page, a slow page, off-site
redirects, gzip bytes labelled text/html, binary garbage) on loopback, runs the real CLI in a
subprocess with the tiny TEST models and prints: exit code, wall time, the peak RSS of the
run's process tree, requests that reached the off-site server, good articles stored once,
hostile resources recorded with their expected reason, tracebacks in the run's output.
Exit 1 if a promise is broken.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from hostile_outlet import HostileOutlet  # noqa: E402
from soak_support import TreeRSS, cli_env, start_run  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--good", type=int, default=20, help="good articles per edition")
    args = ap.parse_args()
    from tasks.translate.packages import ensure_test_models

    work = Path(tempfile.mkdtemp(prefix="newsbridge-hostile-"))
    try:
        models = work / "models"
        ensure_test_models(models, notice=lambda m: print(m, file=sys.stderr))
        site = HostileOutlet(good=args.good)
        out = work / "out"
        sources = work / "sources.yaml"
        sources.write_text(site.sources_yaml(), encoding="utf-8")
        t0 = time.monotonic()
        try:
            proc = start_run(sources, out, cli_env(models), work / "run.log")
            with TreeRSS(proc.pid) as rss:
                code = proc.wait(timeout=1800)
            wall = time.monotonic() - t0
            elsewhere = len(site.elsewhere.requests)
        finally:
            site.close()
        log = (work / "run.log").read_text(encoding="utf-8", errors="replace")
        run_dir = max((out / "runs").glob("*/manifest.json")).parent
        manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
        rejected = [json.loads(x) for x in (run_dir / "rejected.jsonl").read_text(encoding="utf-8").splitlines() if x]
        stored: dict[str, int] = {}
        for p in (out / "docs").glob("*/latest.json"):
            rec = json.loads((out / json.loads(p.read_text())["path"]).read_text(encoding="utf-8"))
            stored[rec["url"]] = stored.get(rec["url"], 0) + 1
        reasons: dict[str, set[str]] = {}
        for r in manifest["discovery"]["rejected"] + rejected:
            reasons.setdefault(r.get("url") or "", set()).add(r["reason"])
        good_once = sum(1 for u in site.good if stored.get(u) == 1)
        recorded = sum(1 for u, want in site.expected.items() if reasons.get(u, set()) & want)
        tracebacks = log.count("Traceback")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ok = code == 0 and elsewhere == 0 and good_once == len(site.good) and recorded == len(site.expected) and not tracebacks
    print("| measure | value |\n|---|---|")
    print(f"| exit code | {code} |")
    print(f"| wall time | {wall:.1f} s |")
    print(f"| peak RSS (process tree: flow + Prefect's temporary server) | {rss.peak_kib / 1024:.0f} MiB |")
    print(f"| requests to the off-site server | {elsewhere} |")
    print(f"| good articles stored exactly once | {good_once} / {len(site.good)} |")
    print(f"| hostile resources recorded with their reason | {recorded} / {len(site.expected)} |")
    print(f"| unusable links recorded | {manifest['discovery']['off_site']['unusable']['links']} |")
    print(f"| tracebacks in the run's output | {tracebacks} |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
