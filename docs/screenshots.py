"""Screenshots of the review pages of a `make demo` output, taken with headless Chromium.

    make demo && .venv/bin/python docs/screenshots.py          # or: make screenshots

Writes docs/images/review-story.png (the Vietnamese story page: original, the English
human version, the machine translation) and docs/images/review-mixed.png (a page mixing
Vietnamese, Chinese and English). The pictures come from the demo's real output, so
they show what the code makes today. Needs Debian's `chromium` and, for the Chinese
text, a CJK font (`fonts-noto-cjk`); without one Chinese shows as boxes, so the script
refuses to run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
# (source id in the demo, picture, window width x height)
SHOTS = [
    ("demo-vi-science", "review-story.png", (1280, 860)),
    ("demo-mixed", "review-mixed.png", (1280, 700)),
]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    sys.exit("screenshots: no Chromium found (Debian: apt-get install chromium)")


def check_cjk_font() -> None:
    """Chinese renders as boxes without a CJK font: refuse rather than commit a broken picture."""
    try:
        listed = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        listed = ""
    if not listed.strip():
        sys.exit("screenshots: no CJK font (Debian: apt-get install fonts-noto-cjk)")


def review_page(output: Path, source_id: str) -> Path:
    """The exported HTML page of the source's latest stored document."""
    latest = output / "docs" / source_id / "latest.json"
    if not latest.is_file():
        sys.exit(f"screenshots: {latest} not found: run `make demo` first")
    doc_id = json.loads(latest.read_text(encoding="utf-8"))["doc_id"]
    page = output / "export" / "html" / source_id / f"{doc_id}.html"
    if not page.is_file():
        sys.exit(f"screenshots: {page} not found: run `make demo` first (it exports the review pages)")
    return page


def screenshot(browser: str, page: Path, target: Path, size: tuple[int, int]) -> None:
    with tempfile.TemporaryDirectory(prefix="newsbridge-shot-") as profile:
        cmd = [
            browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--no-first-run", "--force-device-scale-factor=1", f"--user-data-dir={profile}",
            f"--window-size={size[0]},{size[1]}", f"--screenshot={target}", page.resolve().as_uri(),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if done.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
        sys.exit(f"screenshots: Chromium failed on {page} ({done.returncode}): {done.stderr[-500:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=Path("output/demo"), help="the demo's output directory")
    parser.add_argument("--to", type=Path, default=DOCS / "images", help="where the PNG files go")
    args = parser.parse_args()
    browser = chromium()
    check_cjk_font()
    args.to.mkdir(parents=True, exist_ok=True)
    for source_id, name, size in SHOTS:
        page = review_page(args.output, source_id)
        target = args.to / name
        screenshot(browser, page, target, size)
        print(f"{target}  <- {page}")


if __name__ == "__main__":
    main()
