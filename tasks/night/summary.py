"""The run summary the Prefect UI shows: a markdown page and a per-source table.

Pure text from the run's summary and outcomes; the nightly flow publishes them as artifacts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tasks.models import SourceOutcome


def summary_markdown(
    summary: dict[str, Any], outcomes: list[SourceOutcome], run_dir: Path, out: Path, day: str, skipped: list[str]
) -> str:
    """The run's summary page (markdown)."""
    by_status: dict[str, list[SourceOutcome]] = {}
    for o in outcomes:
        by_status.setdefault(o.status, []).append(o)
    review = out / "export" / "html" / "index.html"
    lines = [
        f"# newsbridge {day} — run {summary['run_id']}",
        "",
        f"- sources: {summary['sources']} — new {summary['new']}, changed {summary['changed']}, "
        f"unchanged {summary['unchanged']}, rejected {summary['rejected']}, failed {summary['failed']}",
        f"- segments: {summary['segments']} — translated fresh {summary['translated_fresh']}, "
        f"from memory {summary['translated_from_memory']}, copied {summary['copied']}, "
        f"untranslated {summary['untranslated']}",
        f"- review pages: [{review}]({review.as_uri()})"
        + ("" if review.exists() else f" (not built yet: `newsbridge export --format html --output {out}`)"),
        f"- run records: [{run_dir / 'manifest.json'}]({(run_dir / 'manifest.json').as_uri()})",
    ]
    if summary.get("discovered"):
        lines.append(
            f"- discovery: {summary['discovered']} article(s) found — skipped seen {summary['skipped_seen']}, "
            f"old {summary['skipped_old']}, over the cap {summary['skipped_cap']}; new pairs {summary['paired']}"
        )
        if summary.get("discovery_rejected") or summary.get("off_site"):
            reasons = ", ".join(f"`{r}` {n}" for r, n in summary["discovery_reasons"].items())
            lines.append(f"- discovery problems (feeds, sitemaps, pages): {summary['discovery_rejected']}"
                         + (f" ({reasons})" if reasons else "") + f"; off-site links recorded, not followed: {summary['off_site']}")
        for story in summary.get("stories", [])[:50]:
            versions = ", ".join(f"{v['lang']} {v['url']}" for v in story["versions"])
            methods = ", ".join(sorted({e["method"] for e in story["edges"]}))
            lines.append(f"  - story `{story['id']}` ({methods}): {versions}")
    if skipped:
        lines.append(f"- skipped, already finished since {day}: {', '.join(skipped)}")
    if summary.get("low_confidence_extraction"):
        lines.append(f"- low-confidence extraction (add a `selector`): {', '.join(summary['low_confidence_extraction'])}")
    for status in ("new", "changed", "unchanged", "rejected", "failed"):
        if status in by_status:
            lines += ["", f"## {status} ({len(by_status[status])})", ""]
            for o in by_status[status]:
                why = f" — `{o.reason}`" + (f": {o.detail}" if o.detail else "") if o.reason else ""
                doc = f" ([document]({(out / o.document).as_uri()}))" if o.document else ""
                lines.append(f"- {o.id}{why}{doc}")
    if summary["reasons"]:
        lines += ["", "## Reasons", ""] + [f"- `{r}`: {n}" for r, n in summary["reasons"].items()]
    return "\n".join(lines)


def outcome_rows(outcomes: list[SourceOutcome], day: str, skipped: list[str]) -> list[dict[str, Any]]:
    """The per-source table: one row per outcome, then the sources a `since` rerun skipped."""
    return (
        [o.model_dump(mode="json") for o in outcomes]
        + [{"id": sid, "status": "skipped", "reason": f"finished since {day}", "detail": None, "document": None} for sid in skipped]
        or [{"id": "", "status": "no sources"}]
    )
