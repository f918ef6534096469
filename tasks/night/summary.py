"""What a run tells its operator: log lines of outcome counts, the summary page and the
per-source table in the Prefect UI (keyed per run kind, so a rerun never replaces the
night's summary), with links to a running review app or paths and the command to open them.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from tasks.models import SourceOutcome
from tasks.translate.quality import quality_markdown

STATUSES = ("new", "changed", "unchanged", "skipped", "rejected", "failed")


def _counts(outcomes: list[SourceOutcome]) -> str:
    by = Counter(o.status for o in outcomes)
    reasons = Counter(o.reason for o in outcomes if o.status in ("rejected", "failed") and o.reason)
    text = ", ".join(f"{s} {by[s]}" for s in STATUSES if by[s] or s in ("new", "rejected", "failed"))
    return text + (f" ({', '.join(f'{r} {n}' for r, n in sorted(reasons.items()))})" if reasons else "")


def shard_count_lines(records: dict[str, Any]) -> list[str]:
    """One log line per shard: its pages' outcomes, by status and reason."""
    lines = []
    for shard_id, record in records.items():
        if record is None:
            lines.append(f"shard {shard_id}: no record (did not finish)")
        else:
            lines.append(f"shard {shard_id}: {len(record.outcomes)} page(s): {_counts(record.outcomes)}")
    return lines


def run_count_line(summary: dict[str, Any]) -> str:
    """One log line for the run: outcomes, discovery and pairing."""
    reasons = summary.get("reasons") or {}
    text = (f"run {summary['run_id']}: {summary['sources']} source(s): new {summary['new']}, changed {summary['changed']}, "
            f"unchanged {summary['unchanged']}, skipped {summary.get('skipped', 0)}, rejected {summary['rejected']}, "
            f"failed {summary['failed']}")
    if summary.get("discovered"):
        text += f"; discovered {summary['discovered']}, paired {summary.get('paired', 0)}"
    if reasons:
        text += "; reasons: " + ", ".join(f"{r} {n}" for r, n in reasons.items())
    return text


def _link(label: str, review_url: str | None, path: str, target: Path) -> str:
    """A link into the running review app, else the path as text (browsers refuse file:// from the UI)."""
    if review_url:
        return f"[{label}]({review_url.rstrip('/')}{path})"
    return f"{label}: `{target}`"


def summary_markdown(
    summary: dict[str, Any], outcomes: list[SourceOutcome], run_dir: Path, out: Path, day: str, skipped: list[str],
    *, kind: str = "nightly", schedule: str = "", review_url: str | None = None, exported: dict[str, Any] | None = None,
) -> str:
    """The run's summary page (markdown)."""
    by_status: dict[str, list[SourceOutcome]] = {}
    for o in outcomes:
        by_status.setdefault(o.status, []).append(o)
    lines = [
        f"# newsbridge {kind} {day} — run {summary['run_id']}",
        "",
        *([f"- schedule: {schedule}"] if schedule else []),
        f"- sources: {summary['sources']} — new {summary['new']}, changed {summary['changed']}, "
        f"unchanged {summary['unchanged']}, skipped {summary.get('skipped', 0)}, rejected {summary['rejected']}, "
        f"failed {summary['failed']}",
        f"- segments: {summary['segments']} — translated fresh {summary['translated_fresh']}, "
        f"from memory {summary['translated_from_memory']}, copied {summary['copied']}, "
        f"untranslated {summary['untranslated']}",
    ]
    if exported is not None:
        root = Path(exported["root"])
        lines.append(
            f"- translators' outputs: {exported['documents']} new or changed document(s) exported "
            f"({exported['unchanged']} unchanged, not rewritten): {exported['html']} review page(s), "
            f"{exported['tmx']} TMX, {exported['xliff']} XLIFF"
        )
        lines.append("  - " + _link("review pages", review_url, "/", root / "html" / "index.html"))
        lines.append(f"  - TMX per language pair: `{root / 'tmx'}`; XLIFF per document: `{root / 'xliff'}`")
        if not review_url:
            lines.append(f"  - review and correct in the browser: `newsbridge review serve --output {out}` "
                         "(set NEWSBRIDGE_REVIEW_URL to its address to get links here)")
    else:
        lines.append(f"- translators' outputs: not exported by this run (`newsbridge export --output {out}` writes them)")
    lines.append(f"- run records: `{run_dir / 'manifest.json'}`")
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
    for event in summary.get("outlet_events", []):
        lines.append(f"- **{event['event']}**: {event['message']}")
    lines += quality_markdown(summary.get("mt_quality", []))  # MT vs human versions (tasks/translate/quality.py)
    for status in ("new", "changed", "unchanged", "rejected", "failed"):
        if status in by_status:
            lines += ["", f"## {status} ({len(by_status[status])})", ""]
            for o in by_status[status]:
                why = f" — `{o.reason}`" + (f": {o.detail}" if o.detail else "") if o.reason else ""
                doc = (" (" + _link("review", review_url, f"/doc/{o.id}", out / o.document) + ")") if o.document else ""
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


def publish_artifacts(
    summary: dict[str, Any], outcomes: list[SourceOutcome], run_dir: Path, out: Path, day: str, kind: str,
    skipped: list[str], exported: dict[str, Any] | None, health: dict[str, Any] | None,
) -> None:
    """The summary page and the per-source table, keyed `<kind>-summary-<day>` / `<kind>-sources-<day>`
    (a rerun's keys are `rerun-…`: it never replaces the night's summary; runs of one kind and day add versions)."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    from tasks.night.merge import run_logger
    from tasks.schedule import describe_schedule
    from tasks.settings import get_settings

    settings = get_settings()
    summary["outlet_events"] = (health or {}).get("events", [])
    try:
        create_markdown_artifact(
            markdown=summary_markdown(summary, outcomes, run_dir, out, day, skipped, kind=kind,
                                      schedule=describe_schedule(settings.cron, settings.timezone),
                                      review_url=settings.review_url, exported=exported),
            key=f"{kind}-summary-{day}", description=f"newsbridge {kind} run summary, {day}",
        )
        create_table_artifact(
            table=outcome_rows(outcomes, day, skipped), key=f"{kind}-sources-{day}", description=f"per-source outcomes, {kind} {day}",
        )
    except Exception as exc:  # noqa: BLE001 - artifacts are a view; the run records are the truth
        run_logger().warning("could not publish artifacts: %s", exc)
