"""A night's record from its shards: one outcome per source, the run's counters, then the
after-shards steps (the story stage, tasks/align/story.py: hand-written stories aligned,
tonight's versions paired; a `skipped` outcome for every discovered article not fetched,
discovery counters).

Pure functions over the shard records (tasks/stream/stream.py) and discovery's plan
(tasks/crawl/discover.py); the nightly flow (flows/nightly.py) only calls them.
"""

from __future__ import annotations

import traceback
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tasks.align.story import run_story_stage
from tasks.crawl.discover import Plan
from tasks.crawl.discovered import discovery_outcomes
from tasks.crawl.shards import RunPlan, Shard
from tasks.models import Rejection, Source, SourceOutcome
from tasks.stream.stream import ShardRecord


def run_logger() -> Any:
    """Prefect's run logger inside a flow run, else this module's logger."""
    try:
        from prefect import get_run_logger

        return get_run_logger()
    except Exception:  # noqa: BLE001 - outside a run context
        import logging

        return logging.getLogger(__name__)


def merge_shards(
    run_id: str,
    selected: list[Source],
    shards: list[Shard],
    records: dict[str, ShardRecord | None],
    skipped: list[str],
    error: BaseException | None,
) -> tuple[dict[str, Any], list[SourceOutcome], list[Rejection]]:
    """One outcome per selected source from the shard records (a source a shard never
    recorded is failed `run_aborted`), the run's counters, and its rejections."""
    outcomes: dict[str, SourceOutcome] = {}
    rejections: list[Rejection] = []
    stats: Counter[str] = Counter()
    low_confidence: list[str] = []
    for shard in shards:
        record = records.get(shard.id)
        if record is None:
            continue
        outcomes.update({o.id: o for o in record.outcomes})
        rejections.extend(record.rejections)
        stats.update(record.stats)
        low_confidence.extend(record.low_confidence)
    why = "shard did not finish" if error is None else (traceback.format_exception_only(type(error), error)[-1].strip())
    for s in selected:
        if s.id not in outcomes:
            outcomes[s.id] = SourceOutcome(id=s.id, status="failed", reason="run_aborted", detail=why)
    ordered = [outcomes[s.id] for s in selected]
    counts = Counter(o.status for o in ordered)
    reasons = Counter(o.reason for o in ordered if o.reason)
    summary = {
        "run_id": run_id,
        "sources": len(selected),
        "fetched": stats["fetched"],
        "not_modified": stats["not_modified"],
        "new": counts["new"],
        "changed": counts["changed"],
        "unchanged": counts["unchanged"],
        "rejected": counts["rejected"],
        "failed": counts["failed"],
        "segments": stats["segments"],
        "translated_fresh": stats["translated_fresh"],
        "translated_from_memory": stats["translated_from_memory"],
        "copied": stats["copied"],
        "untranslated": stats["untranslated"],
        "reasons": dict(sorted(reasons.items())),
        "skipped_finished": len(skipped),
        # sources whose extraction candidates disagreed (tasks.text.extract): operators add a `selector`
        "low_confidence_extraction": sorted(low_confidence),
        "shards": len(shards),
    }
    return summary, ordered, rejections


def after_shards(
    out: Path,
    summary: dict[str, Any],
    ordered: list[SourceOutcome],
    rejections: list[Rejection],
    selected: list[Source],
    discovery: Plan,
    plan: RunPlan,
    error: BaseException | None,
) -> tuple[list[SourceOutcome], list[Rejection]]:
    """Discovery's outcomes (tasks/crawl/discovered.py), then the story stage; the summary's counters."""
    settled = discovery_outcomes(discovery, selected, ordered, rejections)
    final = settled.outcomes
    # The story stage, once, after all shards (tasks/align/story.py): hand-written stories
    # aligned, tonight's discovered articles paired with each other and earlier nights'.
    stored = {o.id: o.document for o in final if o.status in ("new", "changed") and o.document}
    # Articles a killed run stored but never paired (it died before its story stage) are paired tonight.
    orphans = unpaired_from_killed_runs(out, plan.run_id, {s.id for s in selected}) if error is None else []
    stored.update({s.id: rel for s, rel in orphans})
    stories, failures = story_stage_isolated(out, selected + [s for s, _ in orphans], stored, plan.pivot,
                                             pair=error is None)
    if failures:
        summary["pairing_error"] = "; ".join(f"{r.source_id}: {r.detail}" for r in failures)
    counts = Counter(o.status for o in final)
    summary.update({
        "rejected": counts["rejected"],
        "skipped": counts["skipped"],
        **settled.counts,
        # new pairs: pairwise links of tonight's stories that touch a version stored tonight
        "paired": sum(1 for st in stories for e in st["edges"] if e["a"] in stored or e["b"] in stored),
        "stories": stories,
        "reasons": dict(sorted(Counter(o.reason for o in final if o.reason).items())),
    })
    return final, settled.rejections + failures


def run_meta(
    flow_run_id: str | None, started: datetime, shards: list[Shard], discovery: Plan, skipped: list[str], **params: Any
) -> dict[str, Any]:
    """The manifest's description of the run: who, when, its parameters, its shards, discovery's report."""
    from tasks import __version__
    from tasks.crawl.discover import discovery_report

    return {
        "flow_run_id": flow_run_id,
        "started_at": started.isoformat(),
        "finished_at": datetime.now(timezone.utc).isoformat(),
        **params,
        "skipped_finished": skipped,
        "shards": [{"id": s.id, "pages": len(s.sources), "hosts": s.hosts} for s in shards],
        "newsbridge": __version__,
        # feed / sitemap / page problems and off-site links of discovery (outlets only)
        **({"discovery": discovery_report(discovery)} if discovery.fetches else {}),
    }


def story_stage_isolated(out: Path, selected: list[Source], stored: dict[str, str], pivot: str, *, pair: bool
                         ) -> tuple[list[dict[str, Any]], list[Rejection]]:
    """The story stage; when it raises, run it outlet by outlet so one outlet's failure
    (recorded: stage `pair`, reason `internal_error`, the exception's type) leaves the others'
    stories. The stored documents stand either way."""
    try:
        return run_story_stage(out, selected, stored, pivot, pair=pair).stories, []
    except Exception as exc:  # noqa: BLE001 - isolated below, outlet by outlet
        run_logger().error("story stage failed (%s: %s); outlet by outlet", type(exc).__name__, str(exc)[:300])
    groups: dict[str, list[Source]] = {}
    for s in selected:
        groups.setdefault(s.discovery.outlet if s.discovery is not None else "", []).append(s)
    stories: list[dict[str, Any]] = []
    failures: list[Rejection] = []
    for outlet, members in sorted(groups.items()):
        ids = {s.id for s in members}
        try:
            stories += run_story_stage(out, members, {k: v for k, v in stored.items() if k in ids}, pivot, pair=pair).stories
        except Exception as exc:  # noqa: BLE001 - one outlet's pairing never takes another's down
            failures.append(Rejection(source_id=f"pairing-{outlet or 'listed'}", stage="pair", reason="internal_error",
                                      detail=f"{type(exc).__name__}: {str(exc)[:300]}"))
    return stories, failures


def unpaired_from_killed_runs(out: Path, run_id: str, tonight: set[str]) -> list[tuple[Source, str]]:
    """Discovered articles stored by runs that were killed before their story stage:
    (a source for the story stage, the stored document's path). A run that finished paired
    what it stored, so these are the articles stored after the last finished run ended
    (tonight's own excepted). Their frontier row is `stored`: no later run fetches them
    again, so pairing them is left to this run."""
    import json

    from tasks.crawl.frontier import open_frontier
    from tasks.models import Discovery

    last_end = ""
    for manifest in (out / "runs").glob("*/manifest.json") if (out / "runs").is_dir() else []:
        if manifest.parent.name == run_id:
            continue
        try:
            ended = datetime.fromisoformat(json.loads(manifest.read_text(encoding="utf-8"))["finished_at"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        last_end = max(last_end, ended.astimezone(timezone.utc).isoformat())
    frontier = open_frontier(out)
    try:
        rows = frontier.stored()
    finally:
        frontier.close()
    orphans: list[tuple[Source, str]] = []
    for row in rows:
        sid, rel, stored_at = row["source_id"], row.get("document"), row.get("stored_at") or ""
        if sid in tonight or not rel or row.get("via") == "listed" or stored_at <= last_end or not (out / rel).exists():
            continue
        disc = Discovery(outlet=row["outlet"], edition=row["edition"], via=row["via"], found_on=row.get("found_on"))
        lang = row["edition"] if row["edition"] in ("vi", "zh", "en") else "auto"
        orphans.append((Source(id=sid, url=row["url"], lang=lang, outlet=row["outlet"], discovery=disc), rel))
    return orphans
