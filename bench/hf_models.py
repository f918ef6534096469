"""Hugging Face models through `models install --hf`: size on disk and speed, tiny models.

Run from the repository root (needs `newsbridge[convert]`):

    /work/main/.venv/bin/python bench/hf_models.py --seeds 1 2 3 --lines 400

For each seed: a tiny Marian snapshot (tasks/translate/hf_testmodels.py: 2+2 layers,
d_model 32, FFN 64) is installed twice (int8, float32) with tasks/translate/convert.py,
and the same held-out lines are translated

- ours:  `tasks.translate.engine.translate_texts` (the engine's defaults: 2 inter threads,
  1 intra thread; Argos' decoding), no memory;
- base:  transformers `generate(num_beams=4, length_penalty=0.2, early_stopping=True)` in
  batches of 50 with torch on 2 threads: the same model in its own framework.

Prints, per seed, model.bin bytes vs the size formula below, sentences/s of both and their
ratio, and how many outputs are identical (float32 only; int8 cannot be); then the mean
and spread over seeds. Model loading is excluded. Nothing is asserted.

Size formula (CTranslate2 model.bin, weights only): with d = d_model, f = FFN width,
E/D = encoder/decoder layers, V = vocabulary, P = stored positions (sinusoidal tables,
float32 always):

    matrices = E·(4d² + 2df) + D·(8d² + 2df) + V·d·k     (k = 1 shared embeddings, up to 3)
    bytes   ≈ matrices · b + P·d·4 · 2 + small vectors    (b = 1 for int8, 4 for float32)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def formula_bytes(d: int, f: int, enc: int, dec: int, vocab: int, positions: int, per_weight: int, k: int = 1) -> int:
    matrices = enc * (4 * d * d + 2 * d * f) + dec * (8 * d * d + 2 * d * f) + vocab * d * k
    return matrices * per_weight + positions * d * 4 * 2


def one_seed(seed: int, n_lines: int, tmp: Path) -> dict:
    import torch

    from tasks.translate.convert import install_hf
    from tasks.translate.engine import EngineOptions, translate_texts
    from tasks.translate.hf_testmodels import DIMS, build_marian_snapshot
    from tasks.translate.testmodels import generate_lines

    snap = build_marian_snapshot(tmp / f"tiny-opus-mt-vi-en-{seed}", seed=seed, steps=150)
    lines = generate_lines("vi", n_lines, 9000 + seed)
    from transformers import MarianMTModel, MarianTokenizer

    tok = MarianTokenizer.from_pretrained(snap)
    model = MarianMTModel.from_pretrained(snap).eval()
    torch.set_num_threads(2)
    start = time.perf_counter()
    theirs: list[str] = []
    with torch.no_grad():
        for i in range(0, len(lines), 50):
            enc = tok(lines[i : i + 50], return_tensors="pt", padding=True)
            ids = model.generate(**enc, num_beams=4, length_penalty=0.2, early_stopping=True, max_new_tokens=256)
            theirs += tok.batch_decode(ids, skip_special_tokens=True)
    base_s = time.perf_counter() - start
    row: dict = {"seed": seed, "base_sps": len(lines) / base_s}
    vocab = len(tok.get_vocab()) - 1  # CTranslate2 drops Marian's <pad>
    for quant in ("int8", "float32"):
        packages = tmp / f"pk-{seed}-{quant}"
        info = install_hf(str(snap), quantization=quant, packages=packages)
        size = (info.path / "model" / "model.bin").stat().st_size
        predicted = formula_bytes(DIMS["d_model"], DIMS["encoder_ffn_dim"], 2, 2, vocab, 256, 1 if quant == "int8" else 4)
        opts = EngineOptions(compute_type=quant)
        translate_texts(lines[:5], "vi", "en", memory=None, options=opts, packages=packages)  # warm-up: load
        start = time.perf_counter()
        ours = [t.text for t in translate_texts(lines, "vi", "en", memory=None, options=opts, packages=packages)]
        ours_s = time.perf_counter() - start
        row[quant] = {"bytes": size, "predicted": predicted, "sps": len(lines) / ours_s,
                      "same": sum(a == b for a, b in zip(ours, theirs))}
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--lines", type=int, default=400)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    rows = []
    with tempfile.TemporaryDirectory(prefix="newsbridge-bench-hf-") as tmp:
        for seed in args.seeds:
            row = one_seed(seed, args.lines, Path(tmp))
            rows.append(row)
            print(f"seed {seed}: transformers {row['base_sps']:.0f} sent/s")
            for q in ("int8", "float32"):
                r = row[q]
                print(f"  {q:7}: model.bin {r['bytes']:,} B (formula {r['predicted']:,} B, {r['bytes'] / r['predicted']:.2f}x); "
                      f"ours {r['sps']:.0f} sent/s = {r['sps'] / row['base_sps']:.1f}x transformers; identical {r['same']}/{args.lines}")
    for q in ("int8", "float32"):
        ratios = [r[q]["sps"] / r["base_sps"] for r in rows]
        spread = f" (min {min(ratios):.1f}, max {max(ratios):.1f})" if len(ratios) > 1 else ""
        print(f"{q}: ours / transformers speed, mean over {len(rows)} seed(s): {statistics.mean(ratios):.1f}x{spread}; "
              f"identical {sum(r[q]['same'] for r in rows)}/{args.lines * len(rows)}")
    print("real models by the formula (int8): opus-mt (d 512, f 2048, 6+6, V 60k): "
          f"{formula_bytes(512, 2048, 6, 6, 60000, 512, 1) / 1e6:.0f} MB; "
          f"NLLB-200-distilled-600M (d 1024, f 4096, 12+12, V 256k): {formula_bytes(1024, 4096, 12, 12, 256206, 1026, 1) / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
