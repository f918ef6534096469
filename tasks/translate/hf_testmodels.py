"""Tiny Hugging Face snapshots (Marian, NLLB-style M2M100) for tests and the bench: nonsense output.

`build_marian_snapshot(DIR)` / `build_nllb_snapshot(DIR)` write what a hub download holds
(config.json, generation_config.json, model.safetensors, tokenizer files, a model card)
for a 2+2-layer model with d_model 32, SentencePiece models trained on a few hundred
generated lines (tasks/translate/testmodels.py). The weights start random and are trained
for a few hundred steps on a made-up word-for-word "translation" of generated lines, only
so that the model stops (emits `</s>`) and its outputs differ from input to input:
comparing two decoders on a random network that never stops, or that says the same thing
for every input, would prove nothing. Needs torch and transformers (`newsbridge[convert]`).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from tasks.translate.testmodels import generate_lines, train_sentencepiece

CARD = """---
license: cc-by-4.0
tags:
- newsbridge-test
---
# {name}

A newsbridge TEST model: tiny, briefly trained on made-up data; its output is nonsense.
"""
DIMS = dict(d_model=32, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
            decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64)


def _word_map(src: str, tgt: str, seed: int) -> tuple[list[str], list[str]]:
    """Parallel lines: each source word replaced by a fixed target word (made up)."""
    from tasks.translate.testmodels import _WORDS

    rng = random.Random(f"map:{seed}")
    vocab = _WORDS[tgt]
    mapping = {w: rng.choice(vocab) for w in _WORDS[src]}
    srcs = generate_lines(src, 400, seed)
    tgts = []
    for line in srcs:
        words = [mapping.get(w.strip(".,。，").lower(), mapping.get(w.strip(".,。，"), "the")) for w in line.split()]
        tgts.append(" ".join(words[: max(1, len(words) // 2)]) + ".")
    return srcs, tgts


def _train(model, batches, steps: int, seed: int) -> None:
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: more threads only fight over the cores
    try:
        _steps(model, batches, steps, seed)
    finally:
        torch.set_num_threads(threads)


def _steps(model, batches, steps: int, seed: int) -> None:
    import torch

    with torch.no_grad():  # as in released models: <pad> (Marian's decoder start) embeds to zeros
        model.get_input_embeddings().weight[model.config.pad_token_id].zero_()
    torch.manual_seed(seed)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for step in range(steps):
        batch = batches[step % len(batches)]
        loss = model(**batch).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():  # the tied output projection trained it: zero it again
        model.get_input_embeddings().weight[model.config.pad_token_id].zero_()
    model.eval()


def _batches(tok, srcs: list[str], tgts: list[str], size: int = 32, **kw) -> list[dict]:
    out = []
    for i in range(0, len(srcs), size):
        enc = tok(srcs[i : i + size], text_target=tgts[i : i + size], return_tensors="pt", padding=True, **kw)
        labels = enc["labels"]
        labels[labels == tok.pad_token_id] = -100
        out.append(dict(enc))
    return out


def build_marian_snapshot(out: Path, src: str = "vi", tgt: str = "en", *, seed: int = 7, steps: int = 300) -> Path:
    """A tiny Marian (OPUS-MT layout) snapshot in `out`; returns `out`."""
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    torch.manual_seed(seed)
    out.mkdir(parents=True, exist_ok=True)
    srcs, tgts = _word_map(src, tgt, seed)
    train_sentencepiece(srcs, 300, out / "source.spm")
    train_sentencepiece(tgts + generate_lines(tgt, 200, seed), 300, out / "target.spm")
    import sentencepiece as spm

    vocab = {"</s>": 0, "<unk>": 1}
    for name in ("source.spm", "target.spm"):
        sp = spm.SentencePieceProcessor(model_file=str(out / name))
        for i in range(sp.get_piece_size()):
            piece = sp.id_to_piece(i)
            if piece not in vocab and piece not in ("<s>",):
                vocab[piece] = len(vocab)
    vocab["<pad>"] = len(vocab)
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tok = MarianTokenizer(source_spm=str(out / "source.spm"), target_spm=str(out / "target.spm"),
                          vocab=str(out / "vocab.json"), source_lang=src, target_lang=tgt)
    pad = vocab["<pad>"]
    config = MarianConfig(vocab_size=len(vocab), max_position_embeddings=256, pad_token_id=pad, eos_token_id=0,
                          decoder_start_token_id=pad, forced_eos_token_id=0, **DIMS)
    model = MarianMTModel(config)
    _train(model, _batches(tok, srcs, tgts), steps, seed)
    model.generation_config.bad_words_ids = [[pad]]  # as OPUS-MT models ship it: <pad> is never generated
    tok.save_pretrained(str(out))
    model.save_pretrained(str(out))
    (out / "README.md").write_text(CARD.format(name=f"tiny-marian-{src}-{tgt}"), encoding="utf-8")
    return out


def build_nllb_snapshot(out: Path, *, src: str = "vi", tgt: str = "en", seed: int = 7, steps: int = 300) -> Path:
    """A tiny NLLB-style snapshot: M2M100 architecture, NllbTokenizer (FLORES codes such as
    vie_Latn before the source, the target's code as the decoder's first token)."""
    import io

    import sentencepiece as spm
    import torch
    from transformers import AutoTokenizer, M2M100Config, M2M100ForConditionalGeneration

    from tasks.translate.convert import NLLB_CODES

    torch.manual_seed(seed)
    out.mkdir(parents=True, exist_ok=True)
    srcs, tgts = _word_map(src, tgt, seed)
    lines = srcs + tgts + [line for lang in ("vi", "zh", "en") for line in generate_lines(lang, 150, seed)]
    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(lines), model_writer=buf, vocab_size=400, model_type="bpe",
                                   character_coverage=1.0, hard_vocab_limit=False, num_threads=1, minloglevel=2)
    (out / "sentencepiece.bpe.model").write_bytes(buf.getvalue())
    (out / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "NllbTokenizer"}), encoding="utf-8")
    tok = AutoTokenizer.from_pretrained(str(out))
    tok.add_tokens(sorted(set(NLLB_CODES.values())), special_tokens=True)  # NLLB's language codes
    tok.src_lang, tok.tgt_lang = NLLB_CODES[src], NLLB_CODES[tgt]
    config = M2M100Config(vocab_size=len(tok), max_position_embeddings=256, pad_token_id=tok.pad_token_id,
                          eos_token_id=tok.eos_token_id, bos_token_id=tok.bos_token_id,
                          decoder_start_token_id=tok.eos_token_id, **DIMS)
    model = M2M100ForConditionalGeneration(config)
    _train(model, _batches(tok, srcs, tgts), steps, seed)
    tok.save_pretrained(str(out))
    model.save_pretrained(str(out))
    (out / "README.md").write_text(CARD.format(name="tiny-nllb"), encoding="utf-8")
    return out
