"""The schedule's timezone as the Prefect UI's Edit schedule dialog can show it.

The dialog offers `Intl.supportedValuesOf("timeZone")` of the browser; asked here of a
real headless Chromium: every zone newsbridge saves a schedule under is in that list.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from review_support import Chromium, chromium_binary  # tests/ is on sys.path (rootdir-less import)


def test_schedule_timezones_are_in_the_browser_list(tmp_path: Path) -> None:
    from tasks.schedule import _browser_names, browser_timezone, describe_schedule

    with Chromium(chromium_binary(), tmp_path / "profile") as browser:
        browser.open("about:blank")
        listed = set(browser.evaluate("Intl.supportedValuesOf('timeZone')"))
    assert "Europe/Paris" in listed and len(listed) > 300
    # The default zone: Chromium lists it only under its older name; ours saves that one.
    assert "Asia/Ho_Chi_Minh" not in listed and browser_timezone("Asia/Ho_Chi_Minh") in listed
    missing = sorted(iana for iana in _browser_names() if browser_timezone(iana) not in listed)
    assert missing == [], f"tasks/data/browser_timezones.tsv names zones this browser does not list: {missing}"
    assert browser_timezone("Europe/Paris") == "Europe/Paris"
    assert describe_schedule("0 2 * * *", "Asia/Ho_Chi_Minh") == "every day at 02:00 Asia/Ho_Chi_Minh (UTC+07:00)"
    assert describe_schedule("30 1 * * 1", "UTC") == "cron '30 1 * * 1' in UTC (UTC+00:00)"


@pytest.mark.parametrize("tz", ["Asia/Ho_Chi_Minh", "Asia/Kolkata", "Europe/Kyiv"])
def test_the_browser_name_is_the_same_zone(tz: str) -> None:
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from tasks.schedule import browser_timezone

    at = datetime(2026, 7, 1, 12, tzinfo=timezone.utc)
    assert at.astimezone(ZoneInfo(tz)).utcoffset() == at.astimezone(ZoneInfo(browser_timezone(tz))).utcoffset()
