"""`newsbridge discover [--sources F] [--only OUTLET]`: what a run would fetch, without fetching articles.

Reads robots.txt, feeds, sitemaps, home and section pages of every edition (through the
project's Fetcher, so robots.txt and politeness hold), decides with the output's frontier
as a run would, and prints URL, edition, via, date and decision. Nothing is remembered:
feed validators and the frontier are left as they were, so the next run sees the same.
Imports neither prefect nor torch (starts fast).
"""

from __future__ import annotations

from pathlib import Path

import typer

from flows.cli.options import AsJson, Only, Output, Sources, output_dir, sources_file

app = typer.Typer(add_completion=False)


@app.command("discover")
def discover(
    sources: Sources = None,
    only: Only = None,
    output: Output = None,
    show_all: bool = typer.Option(False, "--all", help="Also list articles a run would skip, with the reason."),
    as_json: AsJson = False,
) -> None:
    """Print what `newsbridge run` would fetch tonight: URL, edition, via, date."""
    import json
    import tempfile

    from tasks.crawl.discover import discovery_report, plan_run
    from tasks.crawl.fetch import Fetcher
    from tasks.crawl.frontier import FRONTIER_FILENAME, open_frontier
    from tasks.crawl.sources import ConfigError, load_sources, select_outlets, select_sources

    sources, output = sources_file(sources), output_dir(output)
    try:
        cfg = load_sources(sources)
        select_sources(cfg, only)
    except ConfigError as exc:
        typer.echo("invalid configuration:", err=True)
        for problem in exc.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(2) from exc
    outlets = select_outlets(cfg, only)
    if not outlets:
        typer.echo("no outlets in the sources file (nothing to discover)", err=True)
        raise typer.Exit(0)
    with tempfile.TemporaryDirectory(prefix="newsbridge-discover-") as tmp:
        # A dry run: raw snapshots and fetch validators go to a scratch dir, the output's
        # frontier is read (copied) but never written.
        frontier_src = output / FRONTIER_FILENAME
        scratch_frontier = Path(tmp) / FRONTIER_FILENAME
        if frontier_src.is_file():
            import sqlite3

            with sqlite3.connect(frontier_src) as src, sqlite3.connect(scratch_frontier) as dst:
                src.backup(dst)
        frontier = open_frontier(tmp, str(scratch_frontier))
        with Fetcher(cfg.defaults, Path(tmp), force=True) as fetcher:
            plan = plan_run(cfg, outlets, fetcher, frontier, run_id="discover", force=False)
    rows = [d for d in plan.decisions if show_all or d.outcome == "fetch"]
    report = discovery_report(plan)
    if as_json:
        # One line per article (record "article"), per feed/sitemap/page problem (record
        # "rejected"), and one line of off-site links (record "off_site": counts + a sample).
        for d in rows:
            typer.echo(json.dumps({
                "record": "article", "url": d.url, "source_id": d.source_id, "outlet": d.outlet, "edition": d.edition,
                "via": d.discovery.via, "found_on": d.discovery.found_on, "published": d.discovery.published,
                "decision": d.outcome, "reason": d.reason,
            }, ensure_ascii=False))
        for problem in report["rejected"]:
            typer.echo(json.dumps({"record": "rejected", **problem}, ensure_ascii=False))
        typer.echo(json.dumps({"record": "off_site", **report["off_site"]}, ensure_ascii=False))
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"discovered: {plan.stats['discovered']}, to fetch: {len(plan.sources)}")
        for col in ("edition", "via", "date", "url") + (("decision",) if show_all else ()):
            table.add_column(col, overflow="fold")
        for d in rows:
            cells = [f"{d.outlet}/{d.edition}", d.discovery.via, (d.discovery.published or "-")[:16], d.url]
            table.add_row(*cells, *([d.outcome + (f" ({d.reason})" if d.reason else "")] if show_all else []))
        Console().print(table)
        for f in report["rejected"]:
            typer.echo(f"  {f['kind']} {f['url']}: {f['outcome']} {f['reason']} {f['detail'] or ''}".rstrip(), err=True)
        off = report["off_site"]
        if off["urls"]:
            hosts = ", ".join(f"{h} {n}" for h, n in off["hosts"].items())
            typer.echo(f"  off-site links (recorded, not followed): {off['urls']} URL(s) on {hosts}", err=True)
    counts = ", ".join(f"{k} {v}" for k, v in sorted(plan.stats.items()))
    typer.echo(f"{counts}; to fetch {len(plan.sources)}; discovery problems {len(report['rejected'])}; "
               f"off-site URLs {report['off_site']['urls']}", err=True)
