"""The browser review app in real headless Chromium: keyboard editing, a click to approve, a stale
second page, hostile text that never runs, and a phone-sized screen."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from review_app_support import click, press, review_server, select_all, type_text, wait_for
from review_support import HOSTILE_SEGMENT, HOSTILE_TITLE, Chromium, Sent, chromium_binary, store_document
from tasks.store.files import latest_document

SENTS = [
    Sent("Hà Nội là thủ đô của Việt Nam.", translation="Hanoi is capital of Vietnam."),
    Sent("Bộ họp báo chiều nay.", translation="Ministry press conference this afternoon."),
    Sent(HOSTILE_SEGMENT, translation='<img src=x onerror="window.__xss=4"><script>window.__xss=5</script>'),
    Sent("Giá xăng giảm mạnh.", translation="Petrol price fall."),
]
# Any alert/confirm/prompt a page opens is recorded instead of blocking (CDP, before any page script).
NO_DIALOGS = "window.alert = window.confirm = window.prompt = function () { window.__dialog = (window.__dialog || 0) + 1; };"


def _latest(out: Path, source_id: str) -> dict:
    rel = latest_document(out, source_id)
    assert rel is not None
    return json.loads((out / rel).read_text(encoding="utf-8"))


@pytest.fixture()
def out(tmp_path: Path) -> Path:
    out = tmp_path / "output"
    store_document(out, "vn-hostile", SENTS, title=HOSTILE_TITLE)
    store_document(out, "vn-plain", SENTS[:2], url="https://news.example.vn/plain.html", title="Tin thường")
    return out


def _browser(tmp_path: Path, name: str) -> Chromium:
    return Chromium(chromium_binary(), tmp_path / name)


def _guard(browser: Chromium) -> None:
    browser.call("Page.addScriptToEvaluateOnNewDocument", source=NO_DIALOGS)


def test_keyboard_edit_click_approve_and_hostile_text(out: Path, tmp_path: Path) -> None:
    with review_server(out) as base, _browser(tmp_path, "a") as browser:
        _guard(browser)
        # positive control: the dialog hook and the __xss probe do see script that runs
        browser.open("data:text/html,<img src=x onerror=\"window.__xss=1;alert(1)\">")
        assert wait_for(browser, "window.__xss === 1 && window.__dialog === 1")

        browser.open(base)
        assert browser.evaluate("document.querySelector('a[data-source-id=\"vn-hostile\"]').textContent") == HOSTILE_TITLE
        href = browser.evaluate("document.querySelector('a[data-source-id=\"vn-hostile\"]').getAttribute('href')")
        browser.open(base.rstrip("/") + href)
        assert browser.evaluate("document.querySelector('h1').textContent") == HOSTILE_TITLE
        assert browser.evaluate("document.querySelectorAll('[data-segment-id]').length") == len(SENTS)

        # keyboard: j moves to the first row, Enter edits, Ctrl+A + typing replaces, Enter saves and moves on
        press(browser, "j")
        first = "document.querySelectorAll('[data-segment-id]')[0]"
        assert browser.evaluate(f"{first}.classList.contains('current')")  # the app's own script runs under the CSP
        press(browser, "Enter")
        assert browser.evaluate(f"{first}.querySelector('[data-target]').isContentEditable")
        select_all(browser)
        type_text(browser, "Hanoi is the capital of Vietnam.")
        press(browser, "Enter")
        wait_for(browser, f"{first}.getAttribute('data-state') === 'reviewed'")
        assert browser.evaluate(f"{first}.querySelector('[data-badge]').textContent") == "reviewed"
        assert browser.evaluate("document.querySelectorAll('[data-segment-id]')[1].classList.contains('current')")

        # a click approves the third row (hostile MT text, saved unchanged), its badge changes in place
        click(browser, ".rows > .row:nth-child(4) button[data-action='reviewed']")
        third = "document.querySelectorAll('.rows > .row:not(.head)')[2]"
        wait_for(browser, f"{third}.querySelector('[data-badge]').textContent === 'reviewed'")
        counts = browser.evaluate("document.getElementById('counts').textContent")
        assert "reviewed 2" in counts and "mt 2" in counts
        # the keyboard flags the next row (x) and finalises the first one (k k k, f)
        press(browser, "j")
        press(browser, "x")
        fourth = "document.querySelectorAll('[data-segment-id]')[3]"
        wait_for(browser, f"{fourth}.getAttribute('data-state') === 'needs-review'")
        for _ in range(3):
            press(browser, "k")
        press(browser, "f")
        wait_for(browser, f"{first}.getAttribute('data-state') === 'final'")
        counts = browser.evaluate("document.getElementById('counts').textContent")
        assert "final 1" in counts and "reviewed 1" in counts and "needs-review 1" in counts and "mt 1" in counts
        assert browser.evaluate("typeof window.__xss") == "undefined"
        assert browser.evaluate("typeof window.__dialog") == "undefined"

        # reload: the edit is what the server now shows
        browser.open(base.rstrip("/") + href)
        assert browser.evaluate(f"{first}.querySelector('[data-target]').textContent") == "Hanoi is the capital of Vietnam."
        assert browser.evaluate(f"{first}.getAttribute('data-state')") == "final"
        assert browser.evaluate("document.querySelectorAll('script').length") == 1  # the app's own file only
        assert browser.evaluate("document.querySelector('script').src").endswith("/static/review.js")
        assert browser.evaluate("typeof window.__xss") == "undefined" and browser.evaluate("typeof window.__dialog") == "undefined"

        # phone: one column, nothing scrolls sideways, buttons large enough to touch
        browser.call("Emulation.setDeviceMetricsOverride", width=375, height=740, deviceScaleFactor=2, mobile=True)
        for url in (base, base.rstrip("/") + href):
            browser.open(url)
            assert browser.evaluate("document.documentElement.scrollWidth") <= 375, url
        assert browser.evaluate("document.querySelector('button[data-action=\"reviewed\"]').getBoundingClientRect().height") >= 36

    stored = _latest(out, "vn-hostile")
    trs = [s["translation"] for s in stored["segments"]]
    assert (trs[0]["text"], trs[0]["state"]) == ("Hanoi is the capital of Vietnam.", "final")
    assert (trs[2]["text"], trs[2]["state"]) == (SENTS[2].translation, "reviewed")  # hostile text stored as text
    assert (trs[1]["state"], trs[3]["state"]) == ("mt", "needs-review")


def test_stale_second_page_gets_the_conflict_and_overwrites_nothing(out: Path, tmp_path: Path) -> None:
    with review_server(out) as base, _browser(tmp_path, "a") as first, _browser(tmp_path, "b") as second:
        url = base + "doc/vn-plain"
        first.open(url)
        second.open(url)  # both reviewers load the same version
        row = "document.querySelectorAll('[data-segment-id]')[0]"

        for browser, text in ((first, "Hanoi is the capital."), (second, "Ha Noi is the capital city.")):
            press(browser, "j")
            press(browser, "e")
            select_all(browser)
            type_text(browser, text)
            press(browser, "Enter")
        wait_for(first, f"{row}.getAttribute('data-state') === 'reviewed'")
        box = wait_for(second, f"!{row}.querySelector('.conflict').hidden && {row}.querySelector('.conflict').textContent")
        assert "Nothing was overwritten" in box
        assert second.evaluate(f"{row}.querySelector('[data-theirs]').textContent") == "Hanoi is the capital."
        assert second.evaluate(f"{row}.querySelector('[data-mine]').textContent") == "Ha Noi is the capital city."
        assert second.evaluate(f"{row}.getAttribute('data-state')") == "mt"  # not saved
        assert _latest(out, "vn-plain")["segments"][0]["translation"]["text"] == "Hanoi is the capital."

        # the second reviewer decides: keep the saved version (nothing written), the row is current again
        second.evaluate(f"{row}.querySelector('.conflict button').click()")
        assert second.evaluate(f"{row}.querySelector('[data-target]').textContent") == "Hanoi is the capital."
        assert second.evaluate(f"{row}.getAttribute('data-state')") == "reviewed"
    assert _latest(out, "vn-plain")["segments"][0]["translation"]["text"] == "Hanoi is the capital."
