"""A run's parameters: checked before anything is fetched, and the run's readable name.

Pure functions: the nightly flow (flows/nightly.py) refuses a run whose parameters are
wrong with `check_parameters`' one-line message, and names runs with `run_name`; the
served deployment (flows/deployments.py) names scheduled runs the same way ahead of time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tasks.crawl.sources import ConfigError, configured_ids, load_sources, select_sources
from tasks.models import SourcesFile


@dataclass
class Checked:
    """The loaded sources file and the run's problems (empty: the run may start)."""

    cfg: SourcesFile | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        """All problems on one line."""
        return "; ".join(self.problems)


def check_parameters(sources_file: str | Path, only: list[str] | None, since: Any, refresh_days: Any) -> Checked:
    """Every problem with a run's parameters, each naming the parameter (and the valid ids for `only`)."""
    problems: list[str] = []
    try:
        cfg = load_sources(sources_file)
    except ConfigError as exc:
        return Checked(None, [f"sources_file: {p}" for p in exc.problems])
    if only is not None and (not isinstance(only, list) or not all(isinstance(i, str) for i in only)):
        problems.append(f"only: a list of ids, got {only!r} (valid ids: {', '.join(configured_ids(cfg))})")
    else:
        try:
            select_sources(cfg, only)
        except ConfigError as exc:
            problems += exc.problems
    if since is not None and not isinstance(since, date):
        try:
            date.fromisoformat(str(since))
        except ValueError:
            problems.append(f"since: not a day YYYY-MM-DD: {since!r}")
    if refresh_days is not None and (isinstance(refresh_days, bool) or not isinstance(refresh_days, (int, float)) or refresh_days < 0):
        problems.append(f"refresh_days: a whole number of days >= 0 (or empty), got {refresh_days!r}")
    return Checked(cfg, problems)


def run_day(when: datetime, tz: str) -> str:
    """The day (YYYY-MM-DD) of a moment in the schedule's timezone."""
    return when.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d")


def run_kind(params: dict[str, Any]) -> str:
    """`nightly` (every source) or `rerun` (some sources, or finishing a day with `since`)."""
    return "rerun" if params.get("only") or params.get("since") else "nightly"


def run_name(params: dict[str, Any], when: datetime, tz: str) -> str:
    """`nightly 2026-12-08`, `rerun vi-article 2026-12-08T09:14`, `rerun since 2026-12-07 2026-12-08T09:14`
    (+ ` (force)`); `when` is the run's scheduled start, shown in the schedule's timezone."""
    force = " (force)" if params.get("force") else ""
    if run_kind(params) == "nightly":
        return f"nightly {run_day(when, tz)}{force}"
    since = params.get("since")
    words = ["rerun", *(params.get("only") or []), *([f"since {str(since)[:10]}"] if since else [])]
    return " ".join(words) + " " + when.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M") + force
