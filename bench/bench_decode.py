"""Charset truth on real Chinese pages: newsbridge's decode_html vs simpler strategies.

    /work/venv/bin/python bench/bench_decode.py /work/shared/data/extract_zh

Data: extract_zh (20 real pages, mixed GB2312/GBK/UTF-8, several mislabelled or
unlabelled; gold main text in cleaned/*.txt; MIT, immortal-autumn/Chinese-Web-Content-
Extraction-Dataset @ 99d0ef0). For each page and strategy, the metric is the recall of the
gold text's Han characters (as a multiset) in the decoded page: a wrong charset loses
them, a lossy one replaces them with U+FFFD. Prints a table; nothing is asserted.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tasks.text.decode import charset_from_markup, decode_html  # noqa: E402

HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")


def _declared_only(raw: bytes) -> str:
    """What a label-trusting client does: the declared label as is, else UTF-8."""
    found = charset_from_markup(raw)
    label = found[0] if found else "utf-8"
    try:
        return raw.decode(label, errors="replace")
    except LookupError:
        return raw.decode("utf-8", errors="replace")


def _detector_only(raw: bytes) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    return str(best) if best is not None else raw.decode("utf-8", errors="replace")


STRATEGIES: dict[str, Callable[[bytes], str]] = {
    "newsbridge decode_html": lambda raw: decode_html(raw, {}).text,
    "declared label only": _declared_only,
    "charset-normalizer only": _detector_only,
    "utf-8 (replace)": lambda raw: raw.decode("utf-8", errors="replace"),
}


def han_recall(gold: str, text: str) -> float:
    want = Counter(HAN.findall(gold))
    if not want:
        return 1.0
    have = Counter(HAN.findall(text))
    return sum(min(n, have[c]) for c, n in want.items()) / sum(want.values())


def main() -> None:
    data = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/extract_zh")
    pages = sorted((data / "html").glob("*.html"))
    if not pages:
        sys.exit(f"no pages under {data}/html")
    rows = []
    for name, fn in STRATEGIES.items():
        recalls, fffd, sources = [], 0, Counter()
        for page in pages:
            raw = page.read_bytes()
            gold = (data / "cleaned" / f"{page.stem}.txt").read_text(encoding="utf-8", errors="replace")
            text = fn(raw)
            recalls.append(han_recall(gold, text))
            fffd += text.count("\ufffd")
            if name.startswith("newsbridge"):
                d = decode_html(raw, {})
                sources[f"{d.charset}/{d.charset_source}"] += 1
        good = sum(r >= 0.99 for r in recalls)
        rows.append((name, good, len(pages), sum(recalls) / len(recalls), min(recalls), fffd))
        if sources:
            decided = ", ".join(f"{k} ×{v}" for k, v in sorted(sources.items()))
    print(f"{len(pages)} pages from {data}")
    print(f"| strategy | pages with ≥99% of gold Han chars | mean recall | worst page | U+FFFD in output |")
    print("|---|---|---|---|---|")
    for name, good, n, mean, worst, fffd in rows:
        print(f"| {name} | {good}/{n} | {mean:.4f} | {worst:.4f} | {fffd} |")
    print(f"newsbridge decisions: {decided}")


if __name__ == "__main__":
    main()
