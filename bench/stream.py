"""Streaming nightly run: flat memory, small cost per page, translation overlapping polite fetching.

    /work/main/.venv/bin/python bench/stream.py --data /work/shared/data/parallel_ntrex128

Everything on 127.0.0.1 (and 127.0.0.2/3 as other hosts), stops by itself. Pages are real
news sentences (NTREX-128: Vietnamese, Simplified Chinese and English versions of the
same articles; six sentences a page, languages round robin); without `--data` generated
sentences are used (and said so). Each run is the real CLI (`newsbridge run --json`, a
temporary Prefect server included) in its own process, whose whole process tree's RSS
is polled for the peak.

1. scale (tiny TEST models): `--small` pages (300) and `--large` pages (3,000) on three
   hosts without politeness delay; prints both peaks and their ratio (target <= 1.15), the
   marginal cost per page (large - small wall time) / (large - small pages) (target
   <= 35 ms), and whether any output line of either run holds a traceback (target: none).
2. polite (base-size random models, 6+6 layers d512 like real Argos packages, built once):
   `--polite` pages (240) on one host with 0.3 s between requests, one at a time; times
   (a) a fetch-only run (the Fetcher alone, same politeness), (b) translating the same
   segments alone (`translate_segments`, fresh memory, models loaded beforehand), and
   (c) the full run; prints c / (a + b) (target <= 0.75).

`--sentences-per-page N` sets the polite pages' size (fewer sentences: translating takes
less time against the same fetching); `--models DIR` keeps the base models in DIR (built
there once) so that repeated runs skip building them.

All ratios come from one invocation on the same input. Nothing is asserted; the exit
status is 1 when a run fails.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from faultserver import FaultServer, html_page  # noqa: E402
from soak_support import TreeRSS  # noqa: E402

FILES = {"vi": "newstest2019-ref.vie.txt", "zh": "newstest2019-ref.zho-CN.txt", "en": "newstest2019-src.eng.txt"}
SENTENCES_PER_PAGE = 6
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|Error flushing events")


def load_sentences(data: Path | None) -> tuple[dict[str, list[str]], str]:
    if data is not None and all((data / f).exists() for f in FILES.values()):
        out = {lang: [l.strip() for l in (data / f).read_text(encoding="utf-8").splitlines() if l.strip()] for lang, f in FILES.items()}
        return out, f"NTREX-128 ({data})"
    from soak_support import _EN, _VI, _ZH

    gen = {lang: [p.format(i=i) for i in range(700) for p in paras] for lang, paras in (("vi", _VI), ("en", _EN), ("zh", _ZH))}
    return gen, "generated sentences (no --data)"


def page(i: int, sentences: dict[str, list[str]], per_page: int = SENTENCES_PER_PAGE) -> tuple[str, bytes]:
    lang = ("vi", "zh", "en")[i % 3]
    lines = sentences[lang]
    start = (i // 3) * per_page
    paras = [lines[(start + k) % len(lines)] for k in range(per_page)]
    return lang, html_page(paras[0][:70], paras, lang=lang).encode("utf-8")


def serve(servers: list[FaultServer], n: int, sentences: dict[str, list[str]], per_page: int = SENTENCES_PER_PAGE) -> list[tuple[str, str, str]]:
    """n pages spread round robin over the servers: (source id, url, lang)."""
    for srv in servers:
        srv.robots("User-agent: *\nAllow: /\n")
    out = []
    for i in range(n):
        lang, body = page(i, sentences, per_page)
        url = servers[i % len(servers)].page(f"/news/{i}.html", body)
        out.append((f"p{i:05d}", url, lang))
    return out


def write_sources(path: Path, pages: list[tuple[str, str, str]], *, delay: float, per_host: int) -> Path:
    lines = ["defaults:", f"  min_delay_seconds: {delay}", f"  per_host_concurrency: {per_host}", "  timeout_seconds: 20", "sources:"]
    for sid, url, lang in pages:
        lines += [f"  - id: {sid}", f"    url: {url}", f"    lang: {lang}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def prefect_home(tmp: Path, output: Path, fresh: bool) -> Path:
    """The run's PREFECT_HOME: one whose database exists (made once, not timed), as on any
    machine that ran Prefect before; or a new one (`--fresh-prefect-db`: the first run on a
    machine, which also creates Prefect's database)."""
    if fresh:
        return tmp / f"prefect-{output.name}"
    home = tmp / "prefect-home-runs"
    if not (home / "prefect.db").exists():
        print("[setup] creating the runs' Prefect database (not timed) ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "prefect", "server", "database", "upgrade", "-y"],
                       env={**os.environ, "PREFECT_HOME": str(home)}, check=True, capture_output=True)
    return home


def cli_run(sources: Path, output: Path, models: Path, tmp: Path, fresh_db: bool = False) -> dict:
    """`newsbridge run --json` in its own process: wall s, peak tree RSS MiB, summary, traceback lines."""
    env = {**os.environ, "ARGOS_PACKAGES_DIR": str(models), "PREFECT_HOME": str(prefect_home(tmp, output, fresh_db)),
           "PYTHONUNBUFFERED": "1", "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120"}
    log = tmp / f"{output.name}.log"
    started_at = time.time()
    start = time.monotonic()
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flows.cli", "run", "--sources", str(sources), "--output", str(output), "--json"],
            cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT,
        )
        with TreeRSS(proc.pid, interval=0.1) as rss:
            proc.wait()
    wall = time.monotonic() - start
    text = log.read_text(encoding="utf-8", errors="replace")
    match = re.search(r"^\{.*\}\s*$", text, re.S | re.M)
    summary = {}
    if match:
        try:
            summary = json.loads(text[match.start():])
        except ValueError:
            summary = {}
    return {"wall": wall, "peak_mib": rss.peak_kib / 1024, "rc": proc.returncode, "summary": summary, "started_at": started_at,
            "tracebacks": [l for l in text.splitlines() if TRACEBACK.search(l)], "log": log}


def scale(args, sentences, tmp: Path) -> tuple[list[str], bool]:
    from tasks.translate.packages import install_test_models

    models = tmp / "tiny-models"
    install_test_models(models, notice=lambda m: None)
    rows, ok = {}, True
    for n in (args.small, args.large):
        servers = [FaultServer(host=f"127.0.0.{k}").start() for k in (1, 2, 3)]
        try:
            pages = serve(servers, n, sentences)
            sources = write_sources(tmp / f"scale-{n}.yaml", pages, delay=0, per_host=4)
            print(f"[scale] {n} pages ...", file=sys.stderr, flush=True)
            rows[n] = cli_run(sources, tmp / f"out-scale-{n}", models, tmp, args.fresh_prefect_db)
        finally:
            for srv in servers:
                srv.stop()
        r = rows[n]
        ok = ok and r["rc"] == 0 and r["summary"].get("new") == n
    s, l = rows[args.small], rows[args.large]
    out = [
        "| pages | wall s | peak RSS of the process tree, MiB | stored | exit | traceback lines |",
        "|---|---|---|---|---|---|",
    ]
    for n, r in rows.items():
        out.append(f"| {n} | {r['wall']:.1f} | {r['peak_mib']:.0f} | {r['summary'].get('new')} | {r['rc']} | {len(r['tracebacks'])} |")
    out += [
        "",
        f"peak RSS {args.large} / {args.small} pages: {l['peak_mib'] / s['peak_mib']:.2f}x (target <= 1.15)",
        f"marginal cost: {(l['wall'] - s['wall']) / (args.large - args.small) * 1000:.1f} ms per page (target <= 35)",
        f"tracebacks in the runs' output: {len(s['tracebacks']) + len(l['tracebacks'])} (target 0)",
    ]
    for r in rows.values():
        for line in r["tracebacks"][:3]:
            out.append(f"  {r['log']}: {line}")
    return out, ok


def polite(args, sentences, tmp: Path) -> tuple[list[str], bool]:
    from tasks.translate.packages import install_argosmodel
    from tasks.models import FetchDefaults, Source
    from tasks.translate.testmodels import BASE, build_argos_package

    models = args.models or tmp / "base-models"
    build = not any(models.glob("translate-*"))
    if build:
        print("[polite] building base-size random models (not timed) ...", file=sys.stderr, flush=True)
    for src in ("vi", "zh") if build else ():
        # bench/translate.py's recipe: the tokenizer also learns held-out real text (never on the pages)
        held = sentences[src][-900:] + sentences["en"][-900:]
        install_argosmodel(build_argos_package(src, "en", tmp / "base-archives", shape=BASE, extra_lines=held), models)
    os.environ["ARGOS_PACKAGES_DIR"] = str(models)
    delay = 0.3
    defaults = FetchDefaults(min_delay_seconds=delay, per_host_concurrency=1, timeout_seconds=20)
    with FaultServer(host="127.0.0.1") as srv:
        pages = serve([srv], args.polite, sentences, args.sentences_per_page)
        sources = [Source(id=sid, url=url, lang=lang) for sid, url, lang in pages]

        # (a) fetch only: the Fetcher, the flow's thread count, the same politeness
        from tasks.crawl.fetch import Fetcher
        from tasks.settings import get_settings

        print("[polite] fetch-only run ...", file=sys.stderr, flush=True)
        t = time.monotonic()
        with Fetcher(defaults, tmp / "out-fetch-only", settings=get_settings()) as fetcher:
            with ThreadPoolExecutor(get_settings().global_fetch_concurrency) as pool:
                fetched = list(pool.map(fetcher.fetch, sources))
        fetch_s = time.monotonic() - t

        # (b) translation only: the same segments, a fresh memory, models loaded first
        from tasks.translate.memory import open_memory
        from tasks.stream.stream import process_page
        from tasks.translate.engine import EngineOptions, load_model, translate_segments
        from tasks.translate.packages import find_package

        segments = []
        for source, result in zip(sources, fetched):
            processed = process_page(source, result)
            if processed.document is not None:
                segments.extend(processed.document.segments)
        options = EngineOptions.from_settings()
        for src in ("vi", "zh"):
            load_model(find_package(src, "en", models), options).translate_tokens([["▁a"]])
        print(f"[polite] translating {len(segments)} segments alone ...", file=sys.stderr, flush=True)
        memory = open_memory(tmp / "tm-translate-only.sqlite")
        t = time.monotonic()
        translate_segments(segments, "en", memory)
        translate_s = time.monotonic() - t
        memory.close()

        # (c) the full run (its own process, as an operator starts it)
        src_file = write_sources(tmp / "polite.yaml", pages, delay=delay, per_host=1)
        print("[polite] full run ...", file=sys.stderr, flush=True)
        full = cli_run(src_file, tmp / "out-polite", models, tmp, args.fresh_prefect_db)
    ratio = full["wall"] / (fetch_s + translate_s)
    first, last = fetch_span(tmp / "out-polite")
    out = [
        f"polite single host, {args.polite} pages of {args.sentences_per_page} sentences, 0.3 s between requests, one at a time, base-size random models, "
        f"Prefect database {'new (first run on the machine)' if args.fresh_prefect_db else 'existing'}",
        f"fetch-only {fetch_s:.1f} s + translation-only {translate_s:.1f} s ({len(segments)} segments) = {fetch_s + translate_s:.1f} s",
        f"full run {full['wall']:.1f} s (stored {full['summary'].get('new')}, exit {full['rc']}, traceback lines {len(full['tracebacks'])})",
        f"  where the time went: first page fetched {first - full['started_at']:.1f} s after the command started"
        f" (Prefect's temporary server, imports), last page at {last - full['started_at']:.1f} s,"
        f" the command ended {full['wall'] - (last - full['started_at']):.1f} s later (translating what was left, records)",
        f"full / (fetch-only + translation-only): {ratio:.2f} (target <= 0.75)",
    ]
    return out, full["rc"] == 0


def fetch_span(output: Path) -> tuple[float, float]:
    """Epoch seconds of the first and last page fetch of a run, from its stored documents."""
    from datetime import datetime

    stamps = [
        datetime.fromisoformat(m).timestamp()
        for path in output.rglob("*.json")
        for m in re.findall(r'"fetched_at": "([^"]+)"', path.read_text(encoding="utf-8", errors="replace"))
    ]
    return (min(stamps), max(stamps)) if stamps else (float("nan"), float("nan"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=None, help="folder with the NTREX-128 files")
    ap.add_argument("--small", type=int, default=300)
    ap.add_argument("--large", type=int, default=3000)
    ap.add_argument("--polite", type=int, default=240)
    ap.add_argument("--sentences-per-page", type=int, default=SENTENCES_PER_PAGE,
                    help="polite run: sentences per page (fewer: translation is faster than the polite fetching)")
    ap.add_argument("--models", type=Path, default=None,
                    help="polite run: a folder with the base-size models (built there when empty; kept)")
    ap.add_argument("--only", choices=("scale", "polite"), default=None)
    ap.add_argument("--fresh-prefect-db", action="store_true",
                    help="each run on a new PREFECT_HOME (its time includes creating Prefect's database)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="nb-bench-stream-"))
    os.environ.setdefault("PREFECT_HOME", str(tmp / "prefect-home"))
    from tasks.translate.packages import argos_modules

    argos_modules(tmp / "argos-first")  # Argos' paths before anything imports it
    sentences, what = load_sentences(args.data)
    lines, ok = [f"sentences: {what}; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}", ""], True
    for part in (scale, polite):
        if args.only in (None, part.__name__):
            out, part_ok = part(args, sentences, tmp)
            lines += out + [""]
            ok = ok and part_ok
    print("\n".join(lines))
    print(f"(work files in {tmp})")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
