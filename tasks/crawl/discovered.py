"""What discovery decided about every article of a night, as the night's outcomes.

Discovery owns its outcomes from start to finish: the decisions made before fetching
(`skipped_seen`, `skipped_old` by a feed or sitemap date, `skipped_cap`, `robots_disallowed`:
tasks/crawl/discover.py `plan_run`), the one made after fetching an undated article
(`skipped_old` by its page date: `too_old`, recorded by the shard as a rejection), and here
the night's view of both: one `skipped` outcome per article not stored, every discovered
outcome with its URL and how it was found, and discovery's counters for the run summary.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tasks.crawl.discover import Plan, discovery_rejections
from tasks.models import Rejection, Source, SourceOutcome


@dataclass
class Discovered:
    """The night's outcomes and rejections with discovery's decisions applied, and its counters."""

    outcomes: list[SourceOutcome]
    rejections: list[Rejection]
    counts: dict[str, Any] = field(default_factory=dict)


def discovery_outcomes(
    plan: Plan, selected: list[Source], outcomes: list[SourceOutcome], rejections: list[Rejection]
) -> Discovered:
    """Apply discovery's decisions to the shards' outcomes (see the module docstring)."""
    found = {s.id: s for s in selected if s.discovery is not None}
    # An undated article whose page date was too old is skipped, not rejected.
    late_old = {r.source_id for r in rejections if r.reason == "skipped_old" and r.source_id in found}
    outcomes = [o.model_copy(update={"status": "skipped"}) if o.id in late_old else o for o in outcomes]
    rejections = [r for r in rejections if r.source_id not in late_old]
    decided = {s.id: (s.url, s.discovery) for s in found.values()}
    decided.update({d.source_id: (d.url, d.discovery) for d in plan.decisions})
    listed = list(outcomes)
    for d in plan.decisions:
        if d.outcome != "fetch":
            listed.append(SourceOutcome(id=d.source_id, status="skipped", reason=d.outcome, detail=d.reason))
    final = []
    for o in listed:
        url, disc = decided.get(o.id, (None, None))
        if disc is not None:
            o = o.model_copy(update={
                "url": url,
                "discovery": disc.model_dump(mode="json", include={"outlet", "edition", "via", "found_on", "published"}),
            })
        final.append(o)
    # Feed / sitemap / page rejections and bounded skips of discovery: recorded, never silent.
    problems = discovery_rejections(plan)
    counts = {
        "discovered": plan.stats["discovered"],
        "skipped_seen": plan.stats["skipped_seen"],
        "skipped_old": plan.stats["skipped_old"] + len(late_old),
        "skipped_cap": plan.stats["skipped_cap"],
        "discovery_rejected": len(problems),
        "discovery_reasons": dict(sorted(Counter(r.reason for r in problems).items())),
        "off_site": len({u for u, _ in plan.off_site}),
    }
    return Discovered(final, rejections + problems, counts)
