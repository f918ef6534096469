"""Language-ID accuracy and throughput: newsbridge's detector vs raw langdetect.

Usage:
    python bench/eval_langid.py DATA_DIR [--ntrex DIR] [--gettext DIR] [--throughput N] [--errors K]

DATA_DIR is lingua's test data (`sentences/`, `single-words/`, `word-pairs/`, each with
en.txt, vi.txt, zh.txt; one item per line, label = file name), e.g.
/work/shared/data/langid. `--ntrex` (default: DATA_DIR/../parallel_ntrex128 when it
exists) adds NTREX-128 news sentences in en, vi, Simplified and Traditional Chinese,
where the Chinese variant is scored exactly (zh-Hans vs zh-Hant), and its Vietnamese
lines once more with every diacritic removed ("vi typed without marks").
`--gettext` (e.g. /usr/share/locale) adds a held-out set nobody tuned on: the
translations that the machine's installed programs ship (`vi`, `zh_CN`/`zh_SG` =
zh-Hans, `zh_TW`/`zh_HK` = zh-Hant, and the English source strings), format
specifiers, markup and accelerators removed. "gettext sentences" are the strings that
end like a sentence and hold no command-line syntax; "gettext strings" are all the
others with two letters or more (menu items, labels, error messages, much code).

"Raw langdetect" is `langdetect.detect` over all 55 profiles with
`DetectorFactory.seed = 0`; zh-cn / zh-tw count as zh-Hans / zh-Hant. For lingua's `zh`
label any Chinese answer counts as right. Throughput is measured in one run on the
same unique segments for both detectors, after both have loaded their profiles.
Prints markdown tables (the README's figures come from this script).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SHORT = 30  # "short" segments: fewer characters than this


@dataclass
class Item:
    text: str
    gold: str  # en | vi | zh (any variant) | zh-Hans | zh-Hant
    dataset: str
    category: str


def load_lingua(data_dir: Path) -> list[Item]:
    items = []
    for category in ("sentences", "word-pairs", "single-words"):
        for lang in ("en", "vi", "zh"):
            path = data_dir / category / f"{lang}.txt"
            if not path.is_file():
                raise SystemExit(f"missing {path}: DATA_DIR must hold lingua's {category}/{lang}.txt")
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    items.append(Item(line.strip(), lang, "lingua", category))
    return items


def load_ntrex(ntrex_dir: Path) -> list[Item]:
    files = {"en": "newstest2019-src.eng.txt", "vi": "newstest2019-ref.vie.txt",
             "zh-Hans": "newstest2019-ref.zho-CN.txt", "zh-Hant": "newstest2019-ref.zho-TW.txt"}
    items = []
    for lang, name in files.items():
        for line in (ntrex_dir / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                items.append(Item(line.strip(), lang, "ntrex", "sentences"))
                if lang == "vi":
                    # Vietnamese as typed without diacritics (đ → d, marks dropped).
                    items.append(Item(strip_marks(line.strip()), lang, "ntrex", "vi typed without marks"))
    return items


def strip_marks(text: str) -> str:
    import unicodedata

    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.category(c).startswith("M")))


_GETTEXT_LOCALES = {"vi": "vi", "zh_CN": "zh-Hans", "zh_SG": "zh-Hans", "zh_TW": "zh-Hant", "zh_HK": "zh-Hant"}
_FORMAT_RE = re.compile(r"%(\([^)]*\))?[-#0 +']*(\d+|\*)?(\.(\d+|\*))?[hlLqjzt]*[diouxXeEfFgGcrsapm%]|\$\{?\w+\}?")
_MARKUP_RE = re.compile(r"<[^>]+>|\{[^}]*\}")
_CODE_RE = re.compile(r"--|[\[\]|=/\\@$<>]|\.\w|\w_\w|::")


def _gettext_clean(text: str) -> str:
    text = _MARKUP_RE.sub(" ", _FORMAT_RE.sub(" ", text)).replace("_", "").replace("&", "")
    return re.sub(r"\s+", " ", text).strip()


def load_gettext(locale_dir: Path) -> list[Item]:
    """Translated strings of the installed programs, by locale; English from msgids."""
    import gettext

    items, seen = [], set()
    for locale, gold in _GETTEXT_LOCALES.items():
        for path in sorted((locale_dir / locale / "LC_MESSAGES").glob("*.mo")):
            if path.name.startswith("iso_"):  # lists of language, country and script names
                continue
            try:
                with path.open("rb") as fp:
                    catalog = gettext.GNUTranslations(fp)._catalog  # msgid (or (msgid, n)) -> msgstr
            except Exception:  # noqa: BLE001 - a broken catalog is skipped, not fatal
                continue
            for key, msgstr in catalog.items():
                msgid = (key[0] if isinstance(key, tuple) else key).split("\x04")[-1]
                source, target = _gettext_clean(msgid), _gettext_clean(msgstr)
                if not msgid or not target or target == source:
                    continue  # header, untranslated, or kept in English
                for text, lang in ((source, "en"), (target, gold)):
                    if len(re.findall(r"[^\W\d_]", text)) < 2 or (text, lang) in seen:
                        continue
                    seen.add((text, lang))
                    items.append(Item(text, lang, "gettext", _gettext_category(text, lang)))
    return items


def _gettext_category(text: str, lang: str) -> str:
    if not re.search(r"[.!?。！？]$", text) or _CODE_RE.search(text):
        return "strings"
    if lang.startswith("zh"):
        return "sentences" if len(re.findall(r"[\u4e00-\u9fff]", text)) >= 4 else "strings"
    return "sentences" if len(re.findall(r"[^\W\d_]+", text)) >= 3 else "strings"


def correct(gold: str, predicted: str) -> bool:
    if gold == "zh":
        return predicted.startswith("zh")
    return predicted == gold


def raw_langdetect():
    from langdetect import DetectorFactory, detect
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0
    names = {"zh-cn": "zh-Hans", "zh-tw": "zh-Hant"}

    def run(text: str) -> str:
        try:
            lang = detect(text)
        except LangDetectException:
            return "und"
        return names.get(lang, lang)

    return run


def ours():
    from tasks.text.detect import detect_text

    return lambda text: detect_text(text).lang


def accuracy_table(items: list[Item], detectors: dict[str, object], show_errors: int) -> None:
    groups: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    either_keys: set[tuple[str, str, str]] = set()
    for i, item in enumerate(items):
        groups[(item.dataset, item.category, item.gold)].append(i)
        if item.category == "sentences" or item.dataset == "gettext":
            groups[(item.dataset, f"{item.category} (all langs)", "*")].append(i)
            if len(item.text) < SHORT:
                groups[(item.dataset, f"{item.category} < {SHORT} chars", "*")].append(i)
            if item.gold.startswith("zh-"):
                either_keys.add((item.dataset, f"{item.category} (all langs, either Chinese script)", "*"))
    for key in either_keys:
        groups[key] = groups[(key[0], key[1].replace(", either Chinese script", ""), "*")]
    predicted = {name: [fn(it.text) for it in items] for name, fn in detectors.items()}
    results = {name: [correct(it.gold, p) for it, p in zip(items, predicted[name])] for name in detectors}
    # Chinese with either script counted right: the script is not language routing.
    either = {name: [correct("zh" if it.gold.startswith("zh") else it.gold, p) for it, p in zip(items, predicted[name])]
              for name in detectors}
    names = list(detectors)
    print(f"| data | category | gold | n | {' | '.join(names)} |")
    print("|---|---|---|---:|" + "---:|" * len(names))
    for key in sorted(groups, key=lambda k: (k[0], k[1], k[2])):
        idx = groups[key]
        table = either if key in either_keys else results
        cells = [f"{sum(table[n][i] for i in idx) / len(idx):.4f}" for n in names]
        print(f"| {key[0]} | {key[1]} | {key[2]} | {len(idx)} | {' | '.join(cells)} |")
    if show_errors:
        print(f"\nFirst {show_errors} errors of `{names[0]}` per group:")
        for key in sorted(k for k in groups if k[2] != "*"):
            wrong = [i for i in groups[key] if not results[names[0]][i]]
            for i in wrong[:show_errors]:
                print(f"  {key}: {items[i].text[:80]!r} -> {predicted[names[0]][i]}")


def lines_table(items: list[Item]) -> None:
    """`newsbridge detect` semantics (detect_lines): one input per file, and one shuffled input."""
    import random

    from tasks.text.detect import detect_lines

    sentences = [it for it in items if it.category == "sentences"]
    by_file: dict[tuple[str, str], list[Item]] = defaultdict(list)
    for it in sentences:
        by_file[(it.dataset, it.gold)].append(it)
    shuffled = list(sentences)
    random.Random(0).shuffle(shuffled)
    modes = {"one input per file": [g for g in by_file.values()], "all files shuffled into one input": [shuffled]}
    print("\n`detect_lines` (what `newsbridge detect` prints), sentences only:\n")
    print("| input | data | gold | n | accuracy |")
    print("|---|---|---|---:|---:|")
    for mode, inputs in modes.items():
        hits: dict[tuple[str, str], list[bool]] = defaultdict(list)
        for group in inputs:
            for it, (lang, _) in zip(group, detect_lines([it.text for it in group])):
                hits[(it.dataset, it.gold)].append(correct(it.gold, lang))
                hits[(it.dataset, "*")].append(correct(it.gold, lang))
                if len(it.text) < SHORT:
                    hits[(it.dataset, f"* < {SHORT} chars")].append(correct(it.gold, lang))
        for key in sorted(hits):
            h = hits[key]
            print(f"| {mode} | {key[0]} | {key[1]} | {len(h)} | {sum(h) / len(h):.4f} |")


def throughput(items: list[Item], detectors: dict[str, object], n: int) -> None:
    seen, texts = set(), []
    for it in items:
        if it.text not in seen:
            seen.add(it.text)
            texts.append(it.text)
    texts = texts[:n]
    # Interleave categories so neither detector gets an easy prefix.
    texts = sorted(texts, key=lambda t: hash(t) % 9973)
    print(f"\nThroughput on {len(texts)} unique segments (profiles loaded before timing):\n")
    print("| detector | seconds | segments/s |")
    print("|---|---:|---:|")
    timings = {}
    for name, fn in detectors.items():
        fn("warm up: load profiles")
        start = time.perf_counter()
        for text in texts:
            fn(text)
        timings[name] = time.perf_counter() - start
        print(f"| {name} | {timings[name]:.2f} | {len(texts) / timings[name]:.0f} |")
    first, *others = list(timings)
    for other in others:
        print(f"\n{first} time / {other} time = {timings[first] / timings[other]:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--ntrex", type=Path, default=None)
    parser.add_argument("--gettext", type=Path, default=None,
                        help="a locale directory (e.g. /usr/share/locale): the installed programs' translations")
    parser.add_argument("--throughput", type=int, default=10_000, help="segments to time (0 = skip)")
    parser.add_argument("--errors", type=int, default=0, help="print the first K errors per group")
    args = parser.parse_args()

    items = load_lingua(args.data_dir)
    ntrex = args.ntrex or args.data_dir.parent / "parallel_ntrex128"
    if ntrex.is_dir():
        items += load_ntrex(ntrex)
    if args.gettext:
        items += load_gettext(args.gettext)
    detectors = {"newsbridge": ours(), "raw langdetect": raw_langdetect()}
    accuracy_table(items, detectors, args.errors)
    lines_table(items)
    if args.throughput:
        throughput(items, detectors, args.throughput)


if __name__ == "__main__":
    main()
