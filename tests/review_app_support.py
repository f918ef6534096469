"""The browser review app under test: `newsbridge review serve` started as a real process."""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def review_server(output: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 60.0) -> Iterator[str]:
    """Run `python -m flows.cli.main review serve --output OUTPUT --port 0 ARGS`; yield the URL of its first line; stop it."""
    full_env = {**os.environ, "NEWSBRIDGE_REVIEWER": "tester", **(env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "review", "serve", "--output", str(output), "--port", "0", *args],
        cwd=ROOT,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        line = proc.stdout.readline() if ready else ""  # the first line announces the URL
        if not line:
            proc.kill()
            raise RuntimeError(f"review serve did not start: {proc.stderr.read() if proc.stderr else ''}")
        m = re.fullmatch(r"review: (http://127\.0\.0\.1:(\d+)/)\n", line)
        assert m is not None and int(m.group(2)) > 0, line
        yield m.group(1)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


def page_meta(html: str) -> dict[str, object]:
    """CSRF token and the rows' (segment id, version, target text) of a review app page."""
    import lxml.html

    tree = lxml.html.fromstring(html)
    csrf = tree.xpath("string(//meta[@name='csrf-token']/@content)")
    rows = [
        (el.get("data-segment-id"), el.get("data-version"), el.xpath("string(.//*[@data-target])"))
        for el in tree.xpath("//*[@data-segment-id]")
    ]
    return {"csrf": csrf, "rows": rows, "tree": tree}


# --------------------------------------------------------------------------- driving the page like a person (CDP input events)

_KEYS = {
    "Enter": ("Enter", 13, "\r"),
    "Escape": ("Escape", 27, ""),
    "ArrowDown": ("ArrowDown", 40, ""),
    "ArrowUp": ("ArrowUp", 38, ""),
}


def press(browser: Any, key: str, *, shift: bool = False) -> None:
    """One key press (keyDown + keyUp) as the keyboard sends it; letters type their character."""
    code, vk, text = _KEYS[key] if key in _KEYS else (f"Key{key.upper()}", ord(key.upper()), key)
    mods = 8 if shift else 0
    down = {"type": "keyDown", "key": key, "code": code, "windowsVirtualKeyCode": vk, "modifiers": mods}
    if text:
        down["text"] = text
    browser.call("Input.dispatchKeyEvent", **down)
    browser.call("Input.dispatchKeyEvent", type="keyUp", key=key, code=code, windowsVirtualKeyCode=vk, modifiers=mods)


def select_all(browser: Any) -> None:
    """Ctrl+A in the focused editor."""
    browser.call("Input.dispatchKeyEvent", type="keyDown", key="a", code="KeyA", windowsVirtualKeyCode=65, modifiers=2, commands=["selectAll"])
    browser.call("Input.dispatchKeyEvent", type="keyUp", key="a", code="KeyA", windowsVirtualKeyCode=65, modifiers=2)


def type_text(browser: Any, text: str) -> None:
    """Text typed into the focused element (IME-style insertion: one input event)."""
    browser.call("Input.insertText", text=text)


def click(browser: Any, selector: str) -> None:
    """A mouse click at the middle of the first element matching selector (scrolled into view)."""
    box = browser.evaluate(
        f"(() => {{ const el = document.querySelector({json.dumps(selector)}); if (!el) return null;"
        " el.scrollIntoView({block: 'center'}); const r = el.getBoundingClientRect();"
        " return [r.left + r.width / 2, r.top + r.height / 2]; })()"
    )
    assert box is not None, f"no element {selector}"
    x, y = box
    for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
        browser.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)


def wait_for(browser: Any, expression: str, timeout: float = 20.0) -> Any:
    """Poll an expression in the page until it is truthy; its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = browser.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"page never satisfied: {expression}")
        time.sleep(0.05)
