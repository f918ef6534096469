"""Translation throughput: Argos' translate() per sentence vs raw batched CTranslate2 vs ours.

Run from the repository root:

    /work/venv/bin/python bench/translate.py --data /work/shared/data/parallel_ntrex128

For each model size (the tiny test model and a base-size random model: 6+6 layers,
d_model 512, 8 heads, FFN 2048, 32k vocabulary, int8, fixed output length 24 — the
size of real Argos packages), on the same sentences:

- argos: `argostranslate.translate.translate(s, src, "en")` once per sentence (its
  sentencizer swapped for one returning the input, so it runs offline);
- raw:   one `Translator.translate_batch` over all sentences with Argos' decoding
  options (beam 4, length penalty 0.2, replace_unknowns) and Argos' thread defaults;
- ours:  `tasks.translate.engine.translate_texts` with a fresh SQLite translation memory
  (writes included) and the engine's defaults.

Model loading is excluded (each path is warmed up once). Prints sentences/s, the ratios
and how many outputs are identical to Argos'. `--sweep` also times thread settings.
Numbers are measured in one run on this machine; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FILES = {"vi": "newstest2019-ref.vie.txt", "zh": "newstest2019-ref.zho-CN.txt"}


class _WholeText:
    def split_sentences(self, text: str) -> list[str]:
        return [text]


def argos_translator(src: str, tgt: str):
    """Argos' own translate() for the installed package, offline (sentencizer swapped)."""
    from argostranslate import translate as atranslate

    atranslate.get_installed_languages.cache_clear()
    atranslate.installed_translates.clear()
    atranslate.get_installed_languages()
    for item in atranslate.installed_translates:
        item.cached_translation.underlying.sentencizer = _WholeText()
    return lambda s: atranslate.translate(s, src, tgt)


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def bench_model(label: str, shape, src: str, sentences: list[str], argos_n: int, held_out: list[str], sweep: bool,
                repeat: int):
    from tasks.translate.packages import argos_modules, find_package, install_argosmodel
    from tasks.translate.memory import open_memory
    from tasks.translate.testmodels import build_argos_package
    from tasks.translate.engine import EngineOptions, load_model, translate_texts

    tmp = Path(tempfile.mkdtemp(prefix=f"nb-bench-{label}-"))
    t0 = time.perf_counter()
    archive = build_argos_package(src, "en", tmp / "archives", shape=shape, extra_lines=held_out)
    packages = tmp / "packages"
    install_argosmodel(archive, packages)
    os.environ["ARGOS_PACKAGES_DIR"] = str(packages)
    argos_modules(packages)
    info = find_package(src, "en", packages)
    build_s = time.perf_counter() - t0

    import ctranslate2
    import sentencepiece as spm

    # --- prepare all three paths (model loading excluded from timing)
    argos = argos_translator(src, "en")
    argos(sentences[0])
    subset = sentences[:argos_n]
    sp = spm.SentencePieceProcessor(model_file=str(info.path / "sentencepiece.model"))
    raw_tr = ctranslate2.Translator(str(info.path / "model"), device="cpu", compute_type="auto",
                                    inter_threads=1, intra_threads=0)  # Argos' defaults
    tokens = [sp.encode(s, out_type=str) for s in sentences]
    raw_tr.translate_batch(tokens[:2], beam_size=4, length_penalty=0.2, replace_unknowns=True)
    from dataclasses import replace

    options = EngineOptions.from_settings()
    mixed = replace(options, same_length_batches=False)
    load_model(info, options).translate_tokens([tokens[0]])
    load_model(info, mixed).translate_tokens([tokens[0]])

    # --- interleaved repetitions, best of each (the machine is shared: take the least disturbed)
    best = {"argos": 0.0, "raw": 0.0, "ours": 0.0, "rerun": 0.0, "mixed": 0.0}
    for rep in range(repeat):
        t = time.perf_counter()
        argos_out = [argos(s) for s in subset]  # one translate() call per sentence
        best["argos"] = max(best["argos"], rate(len(subset), time.perf_counter() - t))

        t = time.perf_counter()  # one translate_batch call, Argos' decoding options
        raw = raw_tr.translate_batch(tokens, beam_size=4, length_penalty=0.2, replace_unknowns=True)
        best["raw"] = max(best["raw"], rate(len(sentences), time.perf_counter() - t))

        with open_memory(tmp / f"tm-{rep}.sqlite") as tm:  # ours, fresh memory (writes included)
            t = time.perf_counter()
            ours = translate_texts(sentences, src, "en", memory=tm, options=options, packages=packages)
            best["ours"] = max(best["ours"], rate(len(sentences), time.perf_counter() - t))
            t = time.perf_counter()
            rerun = translate_texts(sentences, src, "en", memory=tm, options=options, packages=packages)
            best["rerun"] = max(best["rerun"], rate(len(sentences), time.perf_counter() - t))
        t = time.perf_counter()  # ours with mixed-length batches (faster, not bit-identical)
        ours_mixed = translate_texts(sentences, src, "en", memory=None, options=mixed, packages=packages)
        best["mixed"] = max(best["mixed"], rate(len(sentences), time.perf_counter() - t))
    raw_out = []
    for r in raw:
        v = sp.decode_pieces(r.hypotheses[0]).replace("▁", " ").replace("_", " ")
        raw_out.append(v[1:] if v[:1] == " " else v)
    del raw_tr
    argos_rate, raw_rate, ours_rate, rerun_rate = best["argos"], best["raw"], best["ours"], best["rerun"]
    ours_text = [o.text for o in ours]
    same_argos = sum(a == b for a, b in zip(ours_text, argos_out))
    same_raw = sum(a == b for a, b in zip(ours_text, raw_out))
    fresh_rerun = sum(not o.from_memory for o in rerun)
    mixed_same = sum(a.text == b for a, b in zip(ours_mixed, ours_text))

    row = {
        "model": label,
        "src": src,
        "sentences": len(sentences),
        "argos_n": len(subset),
        "argos": argos_rate,
        "raw": raw_rate,
        "ours": ours_rate,
        "ours_vs_argos": ours_rate / argos_rate,
        "ours_vs_raw": ours_rate / raw_rate,
        "identical_argos": f"{same_argos}/{len(subset)}",
        "identical_raw": f"{same_raw}/{len(sentences)}",
        "rerun_fresh": fresh_rerun,
        "mixed": best["mixed"],
        "mixed_same": f"{mixed_same}/{len(sentences)}",
        "rerun_rate": rerun_rate,
        "build_s": build_s,
        "avg_src_tokens": sum(map(len, tokens)) / len(tokens),
    }
    if sweep:
        row["sweep"] = thread_sweep(info, tokens)
    return row


def thread_sweep(info, tokens: list[list[str]]) -> list[tuple[str, float]]:
    """Sentences/s of one-sentence calls and of our batching under several settings."""
    import ctranslate2

    from tasks.translate.engine import EngineOptions, LoadedModel

    out = []
    opts = dict(beam_size=4, length_penalty=0.2, replace_unknowns=True)
    few = tokens[:20]
    for intra in (1, 2):
        tr = ctranslate2.Translator(str(info.path / "model"), compute_type="auto", inter_threads=1, intra_threads=intra)
        tr.translate_batch(few[:1], **opts)
        r = 0.0
        for _ in range(2):
            t = time.perf_counter()
            for tok in few:
                tr.translate_batch([tok], **opts)
            r = max(r, rate(len(few), time.perf_counter() - t))
        out.append((f"one-sentence calls, intra_threads={intra}", r))
        del tr
    for inter, intra in ((1, 0), (2, 1)):
        for same in (True, False):
            for bs in (16, 32, 64):
                model = LoadedModel(info, EngineOptions(inter_threads=inter, intra_threads=intra,
                                                        max_batch_size=bs, same_length_batches=same))
                model.translate_tokens(few[:2])
                r = 0.0
                for _ in range(2):
                    t = time.perf_counter()
                    model.translate_tokens(tokens)
                    r = max(r, rate(len(tokens), time.perf_counter() - t))
                out.append((f"ours inter={inter} intra={intra} max_batch={bs} same_length={same}", r))
                del model
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=Path("/work/shared/data/parallel_ntrex128"))
    ap.add_argument("--src", default="vi", choices=sorted(FILES))
    ap.add_argument("--models", default="tiny,base")
    ap.add_argument("--n", type=int, default=400, help="sentences for raw and ours")
    ap.add_argument("--argos-n", type=int, default=80, help="sentences for Argos per-sentence (slow)")
    ap.add_argument("--sweep", action="store_true", help="also time thread settings")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved repetitions; the best of each is kept")
    args = ap.parse_args()

    from tasks.translate.packages import argos_modules
    from tasks.translate.testmodels import BASE, TINY

    path = args.data / FILES[args.src]
    if not path.exists():
        sys.exit(f"no data at {path} (pass --data DIR holding the NTREX-128 files)")
    lines = [l for l in path.read_text(encoding="utf-8").splitlines() if l.strip()]
    sentences = lines[: args.n]
    held_out = lines[args.n :][-900:]  # tokenizer training text, never benchmarked
    eng = (args.data / "newstest2019-src.eng.txt").read_text(encoding="utf-8").splitlines()[-900:]
    argos_modules(Path(tempfile.mkdtemp(prefix="nb-bench-first-")))  # Argos paths before import
    rows = []
    for label in args.models.split(","):
        shape = {"tiny": TINY, "base": BASE}[label]
        print(f"[{label}] building and measuring ...", file=sys.stderr, flush=True)
        rows.append(bench_model(label, shape, args.src, sentences, args.argos_n, held_out + eng, args.sweep, args.repeat))

    import ctranslate2

    print(f"\nctranslate2 {ctranslate2.__version__}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, "
          f"src={args.src}, data={path.name}, best of {args.repeat}")
    print("| model | sentences | Argos translate() per sentence | raw translate_batch (Argos options) | ours | ours/Argos | ours/raw | identical to Argos | rerun fresh |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['model']} | {r['sentences']} (Argos: {r['argos_n']}) | {r['argos']:.1f}/s | {r['raw']:.1f}/s | "
            f"{r['ours']:.1f}/s | {r['ours_vs_argos']:.1f}× | {r['ours_vs_raw']:.2f}× | {r['identical_argos']} | "
            f"{r['rerun_fresh']} ({r['rerun_rate']:.0f}/s from memory) |"
        )
    for r in rows:
        print(f"\n{r['model']}: avg source tokens {r['avg_src_tokens']:.1f}, build {r['build_s']:.1f}s, "
              f"ours identical to raw batched: {r['identical_raw']}; ours with mixed-length batches "
              f"(NEWSBRIDGE_TRANSLATE_SAME_LENGTH_BATCHES=false): {r['mixed']:.1f}/s "
              f"({r['mixed'] / r['argos']:.1f}× Argos, {r['mixed'] / r['raw']:.2f}× raw), "
              f"same words as default on {r['mixed_same']}")
        for name, value in r.get("sweep", []):
            print(f"  {name}: {value:.1f} sentences/s")


if __name__ == "__main__":
    main()
