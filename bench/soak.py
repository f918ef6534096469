"""Soak: N loopback sources with faults, first run SIGKILLed mid-way, rerun; wall time and peak memory.

    /work/venv/bin/python bench/soak.py --sources 500 --kill-after 25

What it does (all on 127.0.0.1, stops by itself):
1. serves N small articles (vi/en/zh) with faults from tests/faultserver.py: 500 and 503
   after every retry, connection resets, 503-then-OK, slow-but-fine, too slow (timeout), 404;
2. runs `newsbridge run` (the real CLI, in a subprocess, tiny TEST models) and SIGKILLs its
   process group after --kill-after seconds (or when --kill-at-docs documents exist);
3. reruns to completion, measuring wall time and the peak RSS of the run's process tree;
4. checks every promise (tests/soak_support.py::check_output): one outcome per source in the
   last manifest, every 5xx rejected with reason http_5xx, every good page stored exactly
   once, all JSON valid, no temp file left. Exit status 1 if any promise is broken.

Prints one table of figures (Markdown) to paste into the README.

Outlet mode (a discovered night, tests/outlet_soak.py):

    python bench/soak.py --outlet 1000 --kills 8 --seed 1

serves an outlet of three editions with N in-window stories each (3N articles, hreflang
linked) and N/20 old articles per edition, SIGKILLs `newsbridge run` --kills times at
random points (during discovery, mid-shard, during pairing, during the export: each point in
turn, in a random order), reruns until a run completes, then checks: every in-window article
stored exactly once, the frontier consistent with the stored documents, every story paired
once with its three versions, no old article requested, no stored article requested again
without a condition, all JSON valid, no temp file.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from faultserver import FaultServer  # noqa: E402
from outlet_soak import soak_outlet  # noqa: E402
from soak_support import (  # noqa: E402
    TreeRSS,
    build_site,
    check_output,
    cli_env,
    kill_group,
    last_manifest,
    sigkill_when,
    start_run,
    stored_versions,
    write_sources,
)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sources", type=int, default=500, help="number of loopback sources")
    ap.add_argument("--kill-after", type=float, default=25.0, help="SIGKILL the first run after this many seconds")
    ap.add_argument("--kill-at-docs", type=int, default=0, help="…or as soon as this many documents are stored (0: time only)")
    ap.add_argument("--timeout", type=float, default=3.0, help="timeout_seconds in the generated sources.yaml")
    ap.add_argument("--per-host", type=int, default=8, help="per_host_concurrency in the generated sources.yaml")
    ap.add_argument("--output", type=Path, default=None, help="output directory (default: a temp dir, removed)")
    ap.add_argument("--models", type=Path, default=None, help="Argos packages dir (default: build TEST models in a temp dir)")
    ap.add_argument("--rerun-timeout", type=float, default=1800.0)
    ap.add_argument("--outlet", type=int, default=0, help="outlet mode: in-window stories per edition (3 articles each)")
    ap.add_argument("--kills", type=int, default=8, help="outlet mode: SIGKILLed runs before the reruns")
    ap.add_argument("--seed", type=int, default=1, help="outlet mode: the kill points' and dates' seed")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="newsbridge-soak-"))
    output = (args.output or work / "out").resolve()
    if output.exists():
        print(f"refusing to reuse existing output dir {output}", file=sys.stderr)
        return 2
    models = args.models
    if models is None:
        from tasks.translate.packages import ensure_test_models

        models = work / "models"
        ensure_test_models(models, notice=lambda m: print(m, file=sys.stderr))
    env = cli_env(models)
    if args.outlet:
        return outlet_mode(args, output, env, work)
    rows: list[tuple[str, str]] = []
    try:
        with FaultServer() as server:
            site = build_site(server, args.sources, slow_delay=args.timeout * 3, timeout=args.timeout)
            sources = write_sources(work / "sources.yaml", site, timeout=args.timeout, per_host=args.per_host)
            kinds = site.kinds()

            # Run 1: killed.
            t0 = time.monotonic()
            first = start_run(sources, output, env, work / "run1.log")
            min_docs = args.kill_at_docs or 10**9
            with TreeRSS(first.pid) as rss1:
                seen = sigkill_when(first, output, min_docs=min_docs, max_wait=args.kill_after)
            t_kill = time.monotonic() - t0
            docs_after_kill = len(stored_versions(output))
            print(f"run 1: SIGKILL after {t_kill:.1f}s, {docs_after_kill} document versions on disk "
                  f"(finished before kill: {bool(seen['finished_before_kill'])})", file=sys.stderr)

            # Run 2: to completion.
            t1 = time.monotonic()
            second = start_run(sources, output, env, work / "run2.log")
            with TreeRSS(second.pid) as rss2:
                try:
                    code = second.wait(timeout=args.rerun_timeout)
                except subprocess.TimeoutExpired:
                    kill_group(second)
                    print(f"rerun did not finish in {args.rerun_timeout}s", file=sys.stderr)
                    return 1
            t_rerun = time.monotonic() - t1
            print((work / "run2.log").read_text(encoding="utf-8", errors="replace")[-3000:], file=sys.stderr)
            if code != 0:
                print(f"rerun exited {code}", file=sys.stderr)
                return 1
            counts = check_output(output, kinds)
            summary = last_manifest(output)

            # Run 3: a clean incremental run of the same site (nothing changed).
            t2 = time.monotonic()
            third = start_run(sources, output, env, work / "run3.log")
            with TreeRSS(third.pid) as rss3:
                code3 = third.wait(timeout=args.rerun_timeout)
            t_third = time.monotonic() - t2
            counts3 = check_output(output, kinds) if code3 == 0 else {}

        n_good = sum(1 for k in kinds.values() if k in ("ok", "once503", "slowok"))
        rows = [
            ("sources (good / faulty)", f"{len(kinds)} ({n_good} / {len(kinds) - n_good})"),
            ("run 1 killed after", f"{t_kill:.1f} s with {docs_after_kill} documents stored"),
            ("run 2 (rerun) wall time", f"{t_rerun:.1f} s"),
            ("run 2 peak RSS (process tree)", f"{rss2.peak_kib / 1024:.0f} MiB"),
            ("run 1 peak RSS before kill", f"{rss1.peak_kib / 1024:.0f} MiB"),
            ("run 2 outcomes", ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k not in ("json_files", "stored_versions"))),
            ("stored versions / JSON files checked", f"{counts['stored_versions']} / {counts['json_files']}"),
            ("run 3 (nothing changed) wall time", f"{t_third:.1f} s, exit {code3}, " + ", ".join(f"{k} {v}" for k, v in sorted(counts3.items()) if k not in ("json_files", "stored_versions"))),
            ("run 3 peak RSS (process tree)", f"{rss3.peak_kib / 1024:.0f} MiB"),
            ("largest child maxrss (getrusage)", f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MiB"),
            ("manifest run id", summary["run_id"]),
        ]
    finally:
        if args.output is None:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\nsoak: {' '.join(sys.argv[1:]) or '(defaults)'}: all checks passed\n")
    print("| measure | value |\n|---|---|")
    for k, v in rows:
        print(f"| {k} | {v} |")
    return 0


def outlet_mode(args: argparse.Namespace, output: Path, env: dict[str, str], work: Path) -> int:
    try:
        try:
            figures = soak_outlet(args.outlet, args.kills, args.seed, output, env, work, max_wait=args.rerun_timeout)
        except AssertionError as exc:
            print(f"soak --outlet: a promise is broken: {exc}", file=sys.stderr)
            return 1
    finally:
        if args.output is None:
            shutil.rmtree(work, ignore_errors=True)
    kills = figures.pop("kills")
    print(f"\nsoak: {' '.join(sys.argv[1:])}: all checks passed\n")
    print("| measure | value |\n|---|---|")
    print(f"| in-window articles (stories x 3 editions) | {figures['in_window']} ({figures['stories']} x 3) |")
    for i, k in enumerate(kills, 1):
        print(f"| run {i}: SIGKILL {k['point']} | after {k['seconds']} s, {k['docs']} documents stored"
              + (" (had finished)" if k["finished_before_kill"] else "") + " |")
    print(f"| reruns to complete | {figures['reruns']} |")
    print(f"| stored / document versions / JSON files checked | {figures['stored']} / {figures['versions']} / {figures['json_files']} |")
    print(f"| wall time, all runs | {figures['wall_seconds']} s |")
    print(f"| peak RSS of one run (process tree) | {figures['peak_rss_mib']} MiB |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
