"""The nightly schedule in words, and its timezone under the name a browser lists.

Shared by the deployment's description, the run summary and `newsbridge serve`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo


@lru_cache(maxsize=1)
def _browser_names() -> dict[str, str]:
    text = resources.files("tasks").joinpath("data", "browser_timezones.tsv").read_text(encoding="utf-8")
    pairs = (line.split("\t") for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return {iana.strip(): browser.strip() for iana, browser in pairs}


def browser_timezone(name: str) -> str:
    """The same zone under the name browsers list (`Asia/Ho_Chi_Minh` -> `Asia/Saigon`), else `name`."""
    return _browser_names().get(name, name)


def utc_offset(name: str, when: datetime | None = None) -> str:
    """`UTC+07:00` for the zone now (or at `when`)."""
    offset = (when or datetime.now(timezone.utc)).astimezone(ZoneInfo(name)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def describe_schedule(cron: str, tz: str) -> str:
    """`every day at 02:00 Asia/Ho_Chi_Minh (UTC+07:00)`; other crons as `cron '...' in <tz> (UTC+07:00)`."""
    fields = cron.split()
    zone = f"{tz} ({utc_offset(tz)})"
    if len(fields) == 5 and fields[2:] == ["*", "*", "*"] and fields[0].isdigit() and fields[1].isdigit():
        return f"every day at {int(fields[1]):02d}:{int(fields[0]):02d} {zone}"
    return f"cron '{cron}' in {zone}"
