"""Review exports on real news text: do real tools take our files back exactly?

Usage: python bench/bench_review.py DATA_DIR [--langs vi,zh-Hans,zh-Hant] [--no-omegat]

DATA_DIR is the parallel_ntrex128 folder (123 English news documents with line-aligned
professional Vietnamese, Simplified and Traditional Chinese translations). Each
non-English document is stored through the real store as a crawled document whose
segments are its sentences and whose translations are the English lines (state
`reviewed`), then:

1. TMX and XLIFF are exported; every file is validated (TMX 1.4b DTD, XLIFF 1.2 strict XSD
   from tests/schemas);
2. OmegaT (console-translate) translates the original sentences (one per paragraph) with
   our TMX in `tm/auto/`: ratio = sentences OmegaT filled with exactly our translation,
   once with OmegaT's own sentence splitting (NTREX lines holding two sentences are split
   by OmegaT and then miss our one-line units) and once with paragraph segmentation;
3. every XLIFF unit is set to `final` and imported, then imported again:
   ratio = units applied on the first import, and units changed by the second (must be 0);
4. the HTML pages are rendered; time per document for each export.

Prints one table; all ratios come from this one run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from lxml import etree  # noqa: E402

from review_support import OMEGAT_PROJECT, Sent, store_document, tmx14_dtd, xliff12_schema  # noqa: E402
from tasks.translate.memory import open_memory  # noqa: E402
from tasks.review.export import export_documents  # noqa: E402
from tasks.review.reviews import XLIFF12_NS, import_review  # noqa: E402

FILES = {"vi": "newstest2019-ref.vie.txt", "zh-Hans": "newstest2019-ref.zho-CN.txt", "zh-Hant": "newstest2019-ref.zho-TW.txt"}
OMEGAT_LANG = {"vi": "vi", "zh-Hans": "zh-CN", "zh-Hant": "zh-TW"}


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").rstrip("\n").split("\n")


def documents(data: Path, lang: str) -> list[tuple[str, list[tuple[str, str]]]]:
    ids = [line.split("\t")[0].strip() for line in read_lines(data / "DOCUMENT_IDS.tsv")]
    en = read_lines(data / "newstest2019-src.eng.txt")
    xx = read_lines(data / FILES[lang])
    docs: dict[str, list[tuple[str, str]]] = {}
    for doc_id, src, tgt in zip(ids, xx, en):
        if src.strip() and tgt.strip():
            docs.setdefault(doc_id, []).append((src.strip(), tgt.strip()))
    return list(docs.items())


def omegat_fill_rate(
    tmx_dir: Path, docs: list[tuple[str, list[tuple[str, str]]]], lang: str, work: Path, sentence_seg: bool = True
) -> tuple[int, int]:
    project = work / f"omegat-{lang}-{'sentences' if sentence_seg else 'paragraphs'}"
    for sub in ("source", "target", "tm/auto", "omegat", "glossary", "dictionary"):
        (project / sub).mkdir(parents=True, exist_ok=True)
    settings = OMEGAT_PROJECT.format(src=OMEGAT_LANG[lang], tgt="en")
    if not sentence_seg:
        settings = settings.replace("<sentence_seg>true</sentence_seg>", "<sentence_seg>false</sentence_seg>")
    (project / "omegat.project").write_text(settings, encoding="utf-8")
    for tmx in tmx_dir.glob("*.tmx"):
        shutil.copy(tmx, project / "tm" / "auto" / tmx.name)
    for n, (_, pairs) in enumerate(docs):
        (project / "source" / f"d{n:03}.txt").write_text("\n\n".join(s for s, _ in pairs) + "\n", encoding="utf-8")
    env = {**os.environ, "HOME": str(work / "home"), "JAVA_TOOL_OPTIONS": "-Djava.awt.headless=true -Dfile.encoding=UTF-8"}
    subprocess.run(
        ["omegat", str(project), "--mode=console-translate", "--no-team", f"--config-dir={work / 'cfg'}", "--disable-project-locking"],
        check=True, capture_output=True, env=env, timeout=1800,
    )
    hit = total = 0
    for n, (_, pairs) in enumerate(docs):
        got = [p.strip() for p in (project / "target" / f"d{n:03}.txt").read_text(encoding="utf-8").split("\n\n") if p.strip()]
        for k, (_, tgt) in enumerate(pairs):
            total += 1
            hit += int(k < len(got) and got[k] == tgt)
    return hit, total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--langs", default="vi,zh-Hans,zh-Hant")
    ap.add_argument("--no-omegat", action="store_true")
    args = ap.parse_args()
    rows = []
    for lang in args.langs.split(","):
        docs = documents(args.data, lang)
        with tempfile.TemporaryDirectory(prefix="bench-review-") as tmp:
            work = Path(tmp)
            out = work / "output"
            when = datetime(2026, 11, 24, 2, tzinfo=timezone.utc)
            for n, (doc_id, pairs) in enumerate(docs):
                sid = f"{lang.lower()}-{n:03}"
                sents = [Sent(s, lang, translation=t, state="reviewed", reviewed_at=when) for s, t in pairs]
                store_document(out, sid, sents, url=f"https://news.example/{lang}/{doc_id}.html", title=doc_id, lang=lang)
            segs = sum(len(p) for _, p in docs)
            timings = {}
            for fmt in ("tmx", "xliff", "html"):
                t0 = time.perf_counter()
                export_documents(fmt, out, work / fmt)
                timings[fmt] = (time.perf_counter() - t0) * 1000 / len(docs)
            dtd, xsd = tmx14_dtd(), xliff12_schema()
            tmx_files = list((work / "tmx").glob("*.tmx"))
            xlf_files = list((work / "xliff").glob("*/*.xlf"))
            valid_tmx = sum(dtd.validate(etree.parse(str(p))) for p in tmx_files)
            valid_xlf = sum(xsd.validate(etree.parse(str(p))) for p in xlf_files)
            fill = omegat_fill_rate(work / "tmx", docs, lang, work) if not args.no_omegat else (0, 0)
            fill_p = omegat_fill_rate(work / "tmx", docs, lang, work, sentence_seg=False) if not args.no_omegat else (0, 0)
            applied = units = again = 0
            with open_memory(out / "tm.sqlite") as memory:
                for p in xlf_files:
                    tree = etree.parse(str(p))
                    for target in tree.getroot().iter(f"{{{XLIFF12_NS}}}target"):
                        target.set("state", "final")
                        units += 1
                    tree.write(str(p), xml_declaration=True, encoding="UTF-8")
                    applied += len(import_review(p, out, memory).applied)
                for p in xlf_files:
                    again += len(import_review(p, out, memory).applied)
            rows.append((lang, len(docs), segs, f"{valid_tmx}/{len(tmx_files)}", f"{valid_xlf}/{len(xlf_files)}",
                         f"{fill[0]}/{fill[1]} = {fill[0] / fill[1]:.3f}" if fill[1] else "n/a",
                         f"{fill_p[0]}/{fill_p[1]} = {fill_p[0] / fill_p[1]:.3f}" if fill_p[1] else "n/a",
                         f"{applied}/{units} = {applied / max(units, 1):.3f}", again,
                         *(f"{timings[f]:.1f}" for f in ("tmx", "xliff", "html"))))
    print("| lang | docs | segments | TMX valid (DTD) | XLIFF valid (XSD) | OmegaT filled exactly (its sentence splitting) | OmegaT filled exactly (paragraph = segment) | import applied | 2nd import changed | TMX ms/doc | XLIFF ms/doc | HTML ms/doc |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |")


if __name__ == "__main__":
    main()
