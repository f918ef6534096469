"""The browser review app under test: `newsbridge review serve` started as a real process."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def review_server(output: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 60.0) -> Iterator[str]:
    """Run `python -m flows.cli review serve --output OUTPUT --port 0 ARGS`; yield the URL of its first line; stop it."""
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
