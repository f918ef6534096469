"""Outlet health: each outlet's nights side by side, and the events operators attach automations to.

After every run the outlet's counts of that run are appended to `<output>/health/outlets.jsonl`
(one row per run and outlet, rewritten atomically, the last `KEEP` rows per outlet kept).
`health_table` folds them into the last 14 nights per outlet (a night is a nightly run,
named by its day in the schedule's timezone; a rerun's counts join the night before it);
`outlet_events` says which outlets are *silent* (no new article stored for
`silent_after_nights` nights in a row) or *degraded* (tonight's share of rejected pages or
of low-confidence extractions is `health_jump` above the outlet's mean of earlier nights).
The nightly flow emits them as Prefect events `newsbridge.outlet.silent` and
`newsbridge.outlet.degraded`, whose resource is `newsbridge.outlet.<id>`.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NONE

from tasks.models import SourceOutcome, SourcesFile

HEALTH_FILE = Path("health") / "outlets.jsonl"
NIGHTS = 14
KEEP = 60  # rows per outlet kept in the health file


@dataclass
class OutletEvent:
    """One Prefect event to emit: `newsbridge.outlet.<kind>` about one outlet."""

    kind: str  # "silent" | "degraded"
    outlet: str
    payload: dict[str, Any]

    @property
    def name(self) -> str:
        return f"newsbridge.outlet.{self.kind}"


def _confidence(output_dir: Path, rel: str | None) -> float | None:
    """The stored document's extraction confidence (None when unreadable or not recorded)."""
    if not rel:
        return None
    from tasks.store.document import read_document

    try:
        return read_document(output_dir, rel).document.extraction_confidence
    except (OSError, ValueError):
        return None


def night_rows(
    output_dir: Path, run_id: str, day: str, kind: str, outlets: list[str], outcomes: list[SourceOutcome],
    stories: list[dict[str, Any]], low_confidence: list[str],
) -> list[dict[str, Any]]:
    """One row per outlet of this run: discovered, new, stored, paired, rejected by reason, confidence."""
    rows = {o: {"run_id": run_id, "day": day, "kind": kind, "outlet": o, "discovered": 0, "new": 0, "stored": 0,
                "paired": 0, "rejected": Counter(), "low_confidence": 0, "confidences": []} for o in outlets}
    owner: dict[str, str] = {}
    low = set(low_confidence)
    for o in outcomes:
        outlet = (o.discovery or {}).get("outlet") if o.discovery else None
        if not isinstance(outlet, str) or outlet not in rows:
            continue
        row = rows[outlet]
        owner[o.id] = outlet
        row["discovered"] += 1
        if o.status in ("new", "changed"):
            row["stored"] += 1
            row["new"] += o.status == "new"
            conf = _confidence(output_dir, o.document)
            if conf is not None:
                row["confidences"].append(conf)
            row["low_confidence"] += o.id in low
        elif o.status in ("rejected", "failed"):
            row["rejected"][o.reason or o.status] += 1
    for story in stories:
        for edge in story.get("edges", []):
            outlet = owner.get(edge.get("a")) or owner.get(edge.get("b"))
            if outlet:
                rows[outlet]["paired"] += 1
    out = []
    for row in rows.values():
        confs = row.pop("confidences")
        row["confidence_mean"] = round(sum(confs) / len(confs), 3) if confs else None
        row["rejected"] = dict(sorted(row["rejected"].items()))
        out.append(row)
    return out


def read_health(output_dir: Path) -> list[dict[str, Any]]:
    path = output_dir / HEALTH_FILE
    rows = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    for line in lines:
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and isinstance(row.get("outlet"), str) and isinstance(row.get("day"), str):
            rows.append(row)
    return rows


def record_night(output_dir: Path, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Append this run's rows to the health file (atomically, bounded); returns every row."""
    from tasks.store.files import write_atomic

    every = read_health(output_dir) + rows
    per: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in every:
        per[row["outlet"]].append(row)
    kept = [r for rs in per.values() for r in rs[-KEEP:]]
    kept.sort(key=lambda r: (r["day"], r.get("run_id") or ""))
    write_atomic(output_dir / HEALTH_FILE, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept).encode("utf-8"))
    return kept


def _nights(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Per outlet, one entry per nightly run, oldest first; a rerun's counts join the night before it."""
    per: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        nights = per[r["outlet"]]
        if r.get("kind") != "rerun" or not nights:
            nights.append({"day": r["day"], "run_id": r.get("run_id"), "discovered": 0, "new": 0, "stored": 0, "paired": 0,
                           "rejected": Counter(), "low_confidence": 0, "conf_sum": 0.0, "conf_n": 0})
        night = nights[-1]
        for key in ("discovered", "new", "stored", "paired", "low_confidence"):
            night[key] += int(r.get(key) or 0)
        night["rejected"].update(r.get("rejected") or {})
        if r.get("confidence_mean") is not None and r.get("stored"):
            night["conf_sum"] += float(r["confidence_mean"]) * int(r["stored"])
            night["conf_n"] += int(r["stored"])
    return dict(per)


def _mt_cell(figures: list[dict[str, Any]]) -> str:
    return "; ".join(f"{f['model']} {f['pair']} chrF {f['chrf']:.2f} BLEU {f['bleu']:.2f} ({f['segments']} segments)"
                     for f in figures) or "-"


def health_table(
    rows: list[dict[str, Any]], nights: int = NIGHTS, mt_quality: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The artifact's table: each outlet's last `nights` nights, newest first; this run's MT
    quality figures (stats.json `mt_quality`) on each outlet's newest night."""
    from tasks.translate.quality import quality_rows

    mt = quality_rows(mt_quality or [])
    table = []
    for outlet, days in sorted(_nights(rows).items()):
        for i, n in enumerate(reversed(days[-nights:])):
            table.append({
                "outlet": outlet, "night": n["day"], "run": n["run_id"], "discovered": n["discovered"], "stored": n["stored"],
                "new": n["new"], "paired": n["paired"],
                "rejected": ", ".join(f"{k} {v}" for k, v in sorted(n["rejected"].items())) or "-",
                "mean extraction confidence": round(n["conf_sum"] / n["conf_n"], 2) if n["conf_n"] else "-",
                "MT quality (model, pair, chrF, BLEU, segments)": _mt_cell(mt.get(outlet, [])) if i == 0 else "-",
            })
    return table


def _share(n: dict[str, Any], part: int) -> float:
    fetched = n["stored"] + sum(n["rejected"].values())
    return part / fetched if fetched else 0.0


def outlet_events(
    rows: list[dict[str, Any]], silent_after: dict[str, int], tonight: str, jump: float, min_pages: int
) -> list[OutletEvent]:
    """Silent and degraded outlets as of this run (its night is the outlet's last, of day `tonight`)."""
    events = []
    for outlet, days in sorted(_nights(rows).items()):
        if outlet not in silent_after or not days or days[-1]["day"] != tonight:
            continue
        need = silent_after[outlet]
        recent = days[-need:]
        if len(recent) == need and all(n["new"] == 0 for n in recent):
            events.append(OutletEvent("silent", outlet, {
                "nights": need, "since": recent[0]["day"], "discovered_tonight": days[-1]["discovered"],
                "message": f"outlet {outlet}: no new article stored for {need} night(s) ({recent[0]['day']} to {tonight})",
            }))
        now, before = days[-1], days[-1 - NIGHTS:-1]
        if not before:
            continue
        fetched = now["stored"] + sum(now["rejected"].values())
        for what, part in (("rejected", lambda n: sum(n["rejected"].values())), ("low_confidence", lambda n: n["low_confidence"])):
            share, base = _share(now, part(now)), sum(_share(n, part(n)) for n in before) / len(before)
            if fetched >= min_pages and part(now) >= min_pages and share - base >= jump:
                events.append(OutletEvent("degraded", outlet, {
                    "measure": what, "tonight": round(share, 3), "mean_before": round(base, 3), "nights_before": len(before),
                    "rejected": dict(now["rejected"]),
                    "message": f"outlet {outlet}: {what} share {share:.0%} tonight against {base:.0%} on {len(before)} earlier night(s)",
                }))
    return events


def emit_outlet_events(events: list[OutletEvent]) -> None:
    """Send the events to the Prefect server (resource `newsbridge.outlet.<id>`)."""
    from prefect.events import emit_event

    for e in events:
        emit_event(
            event=e.name,
            resource={"prefect.resource.id": f"newsbridge.outlet.{e.outlet}", "prefect.resource.name": e.outlet},
            payload=e.payload,
        )


@task(name="outlet-health", cache_policy=NONE)
def outlet_health_task(
    output_dir: Path, cfg: SourcesFile, only: list[str] | None, run_id: str, day: str, kind: str,
    outcomes: list[SourceOutcome], summary: dict[str, Any],
) -> dict[str, Any]:
    """Record this run per outlet, publish the 14-night table, emit silent / degraded events."""
    from tasks.crawl.sources import select_outlets
    from tasks.night.merge import run_logger
    from tasks.settings import get_settings

    outlets = select_outlets(cfg, only)
    if not outlets:
        return {"events": []}
    settings = get_settings()
    try:
        rows = night_rows(output_dir, run_id, day, kind, [o.id for o in outlets], outcomes,
                          summary.get("stories", []), summary.get("low_confidence_extraction", []))
        every = record_night(output_dir, rows)
    except OSError as exc:  # the run's own records are written; health is a view over them
        run_logger().error("outlet health not recorded: %s", exc)
        return {"events": []}
    events = outlet_events(every, {o.id: o.silent_after_nights for o in outlets}, day,
                           settings.health_jump, settings.health_min_pages)
    logger = run_logger()
    for e in events:
        logger.warning("%s: %s", e.name, e.payload["message"])
    try:
        emit_outlet_events(events)
        from prefect.artifacts import create_table_artifact

        create_table_artifact(table=health_table(every, mt_quality=summary.get("mt_quality")), key="outlet-health",
                              description=f"each outlet's last {NIGHTS} nights (as of {day})")
    except Exception as exc:  # noqa: BLE001 - the health file is the record; the UI is a view
        logger.warning("could not publish outlet health: %s", exc)
    return {"events": [{"event": e.name, "outlet": e.outlet, "message": e.payload["message"]} for e in events]}
