"""Make docs/images/review-app.png: the browser review app on the demo's output, in real headless Chromium.

    python docs/review_screenshot.py [--output output/demo] [--to docs/images/review-app.png]   # or: make screenshots

Without --output it first runs `newsbridge demo` into a temporary directory (offline,
tiny test models: the machine translations in the picture are nonsense by design); with
it, a copy of that output is used, so the approval below never touches it.
It starts `newsbridge review serve --port 0`, opens the index, then a document, moves to
the second row with the keyboard, approves it (`a`) and starts editing the next one
(`Enter`), and saves a screenshot. Chromium is driven over the DevTools protocol by the
tests' own driver (tests/review_support.py).
"""

from __future__ import annotations

import argparse
import base64
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from review_app_support import press, review_server, wait_for  # noqa: E402
from review_support import Chromium, chromium_binary  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, help="an output directory with stored documents (default: run the demo)")
    parser.add_argument("--to", type=Path, default=ROOT / "docs" / "images" / "review-app.png")
    parser.add_argument("--source", default="demo-vi-science", help="source id of the document to show")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="newsbridge-shot-") as tmp:
        out = Path(tmp) / "demo"
        if args.output is None:
            subprocess.run([sys.executable, "-m", "flows.cli", "demo", "--output", str(out)], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        else:
            shutil.copytree(args.output, out)
        with review_server(out, env={"NEWSBRIDGE_REVIEWER": "docs"}) as base, Chromium(chromium_binary(), Path(tmp) / "profile") as browser:
            browser.call("Emulation.setDeviceMetricsOverride", width=1100, height=760, deviceScaleFactor=1, mobile=False)
            browser.open(base)
            browser.open(base + f"doc/{args.source}")
            press(browser, "j")
            press(browser, "j")
            press(browser, "a")  # approve the second row, move to the third
            wait_for(browser, "document.getElementById('status').textContent.startsWith('saved')")
            press(browser, "Enter")  # edit the third row
            shot = browser.call("Page.captureScreenshot", format="png")
        args.to.parent.mkdir(parents=True, exist_ok=True)
        args.to.write_bytes(base64.b64decode(shot["data"]))
    print(args.to)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
