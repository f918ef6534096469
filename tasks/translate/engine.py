"""Translate stage: Argos packages via batched CTranslate2, with a translation memory.

Contract:
- `translate_texts(texts: list[str], src: str, tgt: str, *, memory: TranslationMemory | None)
  -> list[Translation]` same length and order; batched; TM hits not retranslated.
- `translate_segments(segments: list[Segment], pivot: str, memory) -> TranslateStats`
  fills `segment.translation` for every segment (copy when already pivot; und/other
  languages left None with the reason recorded), batching all segments of a run per pair.
  TranslateStats has `fresh`, `from_memory`, `copied`, `untranslated` counters.
- `MissingModelError` names the pair and the command that installs it.

How the output equals `argostranslate.translate.translate()` for every sentence: the
package's own tokenizer class (`argostranslate.tokenizer`), one `ctranslate2.Translator`
on the package's `model/` dir, and Argos' decoding (beam 4, length penalty 0.2,
replace_unknowns, the package's target prefix, Argos' detokenisation and leading-space
strip, compute type "auto"). What differs is only *how much* goes into one call: Argos
sends about one sentence per call (`batch_type="tokens"`, 32 tokens), we send every
missing segment of a language pair in the run at once, sorted by length.
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from tasks.translate.packages import TARGET_SP, MissingModelError, PackageInfo, find_package, has_package, models_dir
from tasks.models import Segment, Translation
from tasks.translate.batcher import NOT_TRANSLATABLE, copy_of, needs_engine, settle
from tasks.translate.splitting import split_long

if TYPE_CHECKING:
    from tasks.translate.memory import TranslationMemory

__all__ = [
    "EngineOptions",
    "MissingModelError",
    "TranslateStats",
    "preload_models",
    "translate_segments",
    "translate_texts",
]

# Detected language (tasks/text/detect/ vocabulary) → Argos package language code.
ARGOS_CODE = {"vi": "vi", "zh-Hans": "zh", "zh": "zh", "zh-Hant": "zt", "zt": "zt", "en": "en"}
# The languages newsbridge crawls (tasks.text.detect.TARGET_LANGS): a missing model for one of
# them stops the run; for any other detected language it leaves the segment untranslated.
CORE_LANGS = frozenset({"vi", "zh-Hans", "zh-Hant", "en"})


@dataclass(frozen=True)
class EngineOptions:
    """Decoding options (Argos' own) and hardware knobs."""

    beam_size: int = 4  # Argos: max(num_hypotheses=1, ARGOS_BEAM_SIZE=4)
    length_penalty: float = 0.2
    replace_unknowns: bool = True
    compute_type: str = "auto"  # Argos' default; changing it changes the words
    device: str = "cpu"
    # Measured on 2 cores (README): 2 batches in parallel, 1 thread each, beats one
    # batch on 2 threads; one-sentence calls on 2 intra threads are slower than on 1.
    inter_threads: int = 2
    intra_threads: int = 1
    max_batch_size: int = 32  # examples per batch
    # Batch only sources of the same token length: no padding, so every sentence gets
    # bit-for-bit the result of a one-sentence call (Argos' way). Mixed-length batches
    # are a little faster but flip ~0.1-0.2 % of near-tie sentences (padding numerics).
    same_length_batches: bool = True
    max_input_tokens: int = 200  # longer sources are split at clause boundaries

    @classmethod
    def from_settings(cls) -> "EngineOptions":
        from tasks.settings import get_settings

        s = get_settings()
        compute = s.compute_type if s.compute_type not in ("", "default") else "auto"
        return cls(
            compute_type=compute,
            inter_threads=s.inter_threads,
            intra_threads=s.intra_threads,
            max_batch_size=max(1, s.translate_batch_size),
            same_length_batches=s.translate_same_length_batches,
        )

    def signature(self) -> str:
        import ctranslate2

        return (
            f"ctranslate2-{ctranslate2.__version__}|beam{self.beam_size}|lp{self.length_penalty}"
            f"|unk-replace:{int(self.replace_unknowns)}|{self.compute_type}"
        )


@dataclass
class TranslateStats:
    fresh: int = 0
    from_memory: int = 0
    copied: int = 0
    untranslated: int = 0
    untranslated_reasons: dict[str, int] = field(default_factory=dict)
    split: int = 0  # segments split at clause boundaries because they were too long
    by_pair: dict[str, dict[str, int]] = field(default_factory=dict)
    models: list[str] = field(default_factory=list)
    engine: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "fresh": self.fresh,
            "from_memory": self.from_memory,
            "copied": self.copied,
            "untranslated": self.untranslated,
            "untranslated_reasons": dict(self.untranslated_reasons),
            "split": self.split,
            "by_pair": {k: dict(v) for k, v in self.by_pair.items()},
            "models": list(self.models),
            "engine": self.engine,
        }


# --------------------------------------------------------------------------- engine


class LoadedModel:
    """A package's translator and tokenizers, loaded once per process (lazily)."""

    def __init__(self, info: PackageInfo, options: EngineOptions) -> None:
        import ctranslate2
        from argostranslate.tokenizer import BPETokenizer, SentencePieceTokenizer

        self.info = info
        self.options = options
        if info.tokenizer == "bpe":
            self.src_tok = BPETokenizer(info.path / "bpe.model", info.src, info.tgt)
            self.tgt_tok = self.src_tok
        else:
            self.src_tok = SentencePieceTokenizer(info.path / "sentencepiece.model")
            target_sp = info.path / TARGET_SP
            self.tgt_tok = SentencePieceTokenizer(target_sp) if target_sp.exists() else self.src_tok
        self.translator = ctranslate2.Translator(
            str(info.path / "model"),
            device=options.device,
            compute_type=options.compute_type,
            inter_threads=options.inter_threads,
            intra_threads=options.intra_threads,
        )
        self.lock = threading.Lock()

    def encode(self, text: str) -> list[str]:
        tokens = self.src_tok.encode(text)
        if self.info.source_prefix:
            tokens = [self.info.source_prefix, *tokens]
        if self.info.add_source_eos:
            tokens = [*tokens, "</s>"]
        return tokens

    def decode(self, tokens: list[str]) -> str:
        """Argos' post-processing: detokenise, drop the target prefix, strip one leading space.
        A Hugging Face package is read as transformers reads it: special tokens (the
        language token too) dropped, target SentencePiece, a leftover `▁` a space, stripped."""
        if self.info.hf:
            pieces = [t for t in tokens if t not in self.info.special_tokens]
            return self.tgt_tok.lazy_processor().decode_pieces(pieces).replace("\u2581", " ").strip()
        value = self.tgt_tok.decode(tokens)
        prefix = self.info.target_prefix
        if prefix and value.startswith(prefix):
            value = value[len(prefix) :]
        if value[:1] == " ":
            value = value[1:]
        return value

    def translate_tokens(self, batch: list[list[str]]) -> list[list[str]]:
        """One batched CTranslate2 call with Argos' decoding options (best hypothesis)."""
        if not batch:
            return []
        o = self.options
        kwargs = dict(
            replace_unknowns=o.replace_unknowns,
            beam_size=o.beam_size,
            num_hypotheses=1,
            length_penalty=o.length_penalty,
        )
        order = sorted(range(len(batch)), key=lambda i: len(batch[i]))
        chunks: list[list[int]] = []
        for i in order:
            if (
                chunks
                and len(chunks[-1]) < o.max_batch_size
                and (not o.same_length_batches or len(batch[chunks[-1][0]]) == len(batch[i]))
            ):
                chunks[-1].append(i)
            else:
                chunks.append([i])
        out: list[list[str]] = [[] for _ in batch]
        with self.lock:
            # Submitted asynchronously so that inter_threads > 1 runs chunks in parallel (also
            # those of another thread's call: the results are awaited outside the lock).
            pending = [
                self.translator.translate_batch(
                    [batch[i] for i in chunk],
                    target_prefix=[[self.info.target_prefix]] * len(chunk) if self.info.target_prefix else None,
                    asynchronous=True,
                    **kwargs,
                )
                for chunk in chunks
            ]
        for chunk, results in zip(chunks, pending):
            for i, r in zip(chunk, results):
                out[i] = r.result().hypotheses[0]
        return out


_LOADED: dict[tuple, LoadedModel] = {}
_LOAD_LOCK = threading.Lock()


def load_model(info: PackageInfo, options: EngineOptions) -> LoadedModel:
    """Cached per (package path, version, metadata mtime, options): a new version reloads."""
    try:
        mtime = (info.path / "metadata.json").stat().st_mtime_ns
    except OSError:
        mtime = 0
    key = (str(info.path), info.version, mtime, options)
    with _LOAD_LOCK:
        model = _LOADED.get(key)
        if model is None:
            for old in [k for k in _LOADED if k[0] == key[0]]:
                del _LOADED[old]  # a reinstalled package at the same path
            model = _LOADED[key] = LoadedModel(info, options)
        return model


# --------------------------------------------------------------------------- one pair


@dataclass
class _PairResult:
    texts: list[str]
    from_memory: list[bool]
    states: list[str]
    split_counts: list[int]
    model_id: str


def _translate_pair(
    texts: Sequence[str],
    info: PackageInfo,
    options: EngineOptions,
    memory: "TranslationMemory | None",
) -> _PairResult:
    """Translate with one package: TM first, then one batched pass over the misses."""
    n = len(texts)
    out: list[str | None] = [None] * n
    from_mem = [False] * n
    states = ["mt"] * n
    splits = [1] * n
    model_id = info.model_id
    for i, t in enumerate(texts):
        if not t.strip():
            out[i] = ""  # Argos returns "" for empty input; nothing to remember
    todo = [i for i in range(n) if out[i] is None]
    if memory is not None and todo:
        hits = memory.get_many([texts[i] for i in todo], info.src, info.tgt, model_id)
        for i, hit in zip(todo, hits):
            if hit is not None:
                out[i], from_mem[i], states[i] = hit.text, True, hit.state
        todo = [i for i in todo if out[i] is None]
    if todo:
        model = load_model(info, options)
        # One unit per distinct text (same NFC form = same text, as in the memory), each
        # split into lines (Argos translates "\n"-separated paragraphs separately) and
        # over-long lines into clauses. The text is translated as given, not normalised:
        # the tokenizer sees exactly what Argos' would.
        unique: dict[str, list[int]] = {}
        for i in todo:
            unique.setdefault(unicodedata.normalize("NFC", texts[i]), []).append(i)
        pieces: list[list[str]] = []  # token lists
        layout: list[tuple[str, list[list[int]]]] = []  # per unique text: lines → piece indices
        for idxs in unique.values():
            text = texts[idxs[0]]
            lines_layout: list[list[int]] = []
            for line in text.split("\n"):
                if not line:
                    lines_layout.append([])
                    continue
                idx = []
                for chunk in split_long(line, model.encode, options.max_input_tokens):
                    idx.append(len(pieces))
                    pieces.append(model.encode(chunk))
                lines_layout.append(idx)
            layout.append((text, lines_layout))
        decoded = [model.decode(tokens) for tokens in model.translate_tokens(pieces)]
        fresh_pairs: list[tuple[str, str]] = []
        for (text, lines_layout), idxs in zip(layout, unique.values()):
            lines = [" ".join(decoded[k] for k in idx) for idx in lines_layout]
            value = "\n".join(lines).lstrip("\n")
            n_pieces = sum(len(idx) for idx in lines_layout)
            for i in idxs:
                out[i] = value
                splits[i] = n_pieces
            fresh_pairs.append((text, value))
        if memory is not None and fresh_pairs:
            memory.put_many(fresh_pairs, info.src, info.tgt, model_id, state="mt")
    return _PairResult([o or "" for o in out], from_mem, states, splits, model_id)


# --------------------------------------------------------------------------- public API


def translate_with_package(
    texts: Sequence[str], info: PackageInfo, *, memory: "TranslationMemory | None", options: EngineOptions | None = None
) -> list[str]:
    """Translate with one given package (e.g. a candidate installed in another directory), memory first."""
    return _translate_pair(texts, info, options or EngineOptions.from_settings(), memory).texts


def translate_texts(
    texts: list[str],
    src: str,
    tgt: str,
    *,
    memory: "TranslationMemory | None",
    options: EngineOptions | None = None,
    packages: Path | None = None,
) -> list[Translation]:
    """Translate `texts` from `src` to `tgt` (Argos codes or detector codes); same order."""
    options = options or EngineOptions.from_settings()
    packages = packages or models_dir()
    steps = _plan_route(src, tgt, packages)
    if not steps:  # src == tgt
        return [copy_of(t, src, tgt) for t in texts]
    n = len(texts)
    current = list(texts)
    chains: list[list[str]] = [[] for _ in range(n)]
    models: list[str] = []
    all_mem = [bool(t.strip()) for t in texts]
    states = ["mt"] * n
    hops = sum(1 for st in steps if st.kind == "model")
    for step in steps:
        if step.kind == "opencc":
            current = _opencc_t2s(current)
            for c in chains:
                c.append(step.label)
            continue
        assert step.info is not None
        result = _translate_pair(current, step.info, options, memory)
        current = result.texts
        for i in range(n):
            all_mem[i] = all_mem[i] and result.from_memory[i]
            chains[i].append(step.label)
            if result.split_counts[i] > 1:
                chains[i].append(f"split:clauses={result.split_counts[i]}")
        if hops == 1:
            states = result.states
        models.append(result.model_id)
    engine = options.signature()
    return [
        Translation(
            text=current[i],
            src=src,
            tgt=tgt,
            model="+".join(models),
            engine=engine,
            from_memory=all_mem[i],
            state=states[i],  # type: ignore[arg-type]
            # Only worth recording when more happened than one model hop.
            chain=chains[i] if len(chains[i]) > 1 else [],
        )
        for i in range(n)
    ]


def preload_models(langs: set[str], tgt: str, *, options: EngineOptions | None = None, packages: Path | None = None) -> list[str]:
    """Load the models that translating `langs` into `tgt` will use (once per process), so
    the first batch does not wait for them; the pairs loaded. A missing model is skipped
    here: the batch that needs it raises MissingModelError as usual."""
    options = options or EngineOptions.from_settings()
    packages = packages or models_dir()
    loaded = []
    for lang in sorted(langs):
        if lang in NOT_TRANSLATABLE or lang == tgt:
            continue
        try:
            steps = _plan_route(lang, tgt, packages)
        except MissingModelError:
            continue
        for step in steps:
            if step.info is not None:
                load_model(step.info, options)
                loaded.append(step.label)
    return loaded


def length_counter(
    src: str, tgt: str, *, options: EngineOptions | None = None, packages: Path | None = None
) -> Callable[[str], int | None]:
    """For a stream that gathers segments before translating them: a function giving the
    source token length of the one CTranslate2 call a segment of `src` will make. Only
    sources of one length share a call, so segments with the same length batch together.
    None: no single call (several lines, too long, two hops), no model, or no translation."""
    options = options or EngineOptions.from_settings()
    try:
        steps = _plan_route(src, tgt, packages or models_dir())
    except MissingModelError:
        steps = []
    hops = [st for st in steps if st.kind == "model"]
    if len(hops) != 1 or len(steps) != 1 or hops[0].info is None:
        return lambda text: None
    model = load_model(hops[0].info, options)

    def count(text: str) -> int | None:
        if "\n" in text:
            return None
        n = len(model.encode(text))
        return n if n <= options.max_input_tokens else None

    return count


@dataclass(frozen=True)
class _Step:
    kind: str  # "model" | "opencc"
    label: str
    info: PackageInfo | None = None


def _plan_route(src: str, tgt: str, packages: Path) -> list[_Step]:
    """Steps from a detected language to the target: OpenCC and/or package hops."""
    if src == tgt:
        return []
    a = ARGOS_CODE.get(src, src)
    b = ARGOS_CODE.get(tgt, tgt)
    steps: list[_Step] = []
    if a == "zt" and not has_package("zt", b, packages) and not _via_en_ok("zt", b, packages):
        steps.append(_Step("opencc", f"{src}>zh-Hans(opencc-t2s)"))
        a = "zh"
    if has_package(a, b, packages):
        info = find_package(a, b, packages)
        return steps + [_Step("model", f"{a}-{b}", info)]
    if a != "en" and b != "en" and has_package(a, "en", packages):
        first = find_package(a, "en", packages)
        try:
            second = find_package("en", b, packages)
        except MissingModelError:
            raise MissingModelError(
                a, b, packages, detail=f"no direct {a}→{b}; via English needs en→{b} too"
            ) from None
        return steps + [_Step("model", f"{a}-en", first), _Step("model", f"en-{b}", second)]
    raise MissingModelError(a, b, packages)


def _via_en_ok(a: str, b: str, packages: Path) -> bool:
    return b != "en" and has_package(a, "en", packages) and has_package("en", b, packages)


_OPENCC = None


def _opencc_t2s(texts: list[str]) -> list[str]:
    global _OPENCC
    if _OPENCC is None:
        import opencc

        _OPENCC = opencc.OpenCC("t2s")
    return [_OPENCC.convert(t) for t in texts]


def translate_segments(
    segments: list[Segment],
    pivot: str,
    memory: "TranslationMemory | None",
    *,
    options: EngineOptions | None = None,
    packages: Path | None = None,
) -> TranslateStats:
    """Fill `segment.translation` for every segment of a run, batched per language pair.

    Segments in the pivot are copied; und/other are left None and counted with a reason.
    Every route is resolved before anything is translated, so a missing model fails the
    stage before any segment changes (MissingModelError).
    """
    options = options or EngineOptions.from_settings()
    packages = packages or models_dir()
    stats = TranslateStats(engine=options.signature())
    groups: dict[str, list[Segment]] = {}
    for seg in segments:
        if needs_engine(seg, pivot):
            groups.setdefault(seg.lang, []).append(seg)
    unserved: dict[str, list[Segment]] = {}
    for lang in list(groups):
        try:
            _plan_route(lang, pivot, packages)  # resolved again (cheaply) inside translate_texts
        except MissingModelError:
            if lang in CORE_LANGS:
                raise  # vi/zh without a model: the run stops, naming the pair
            # A language newsbridge does not crawl (an Arabic quote, a Russian page) and no
            # model for it: left untranslated with the reason; one such page must not fail
            # the whole night.
            unserved[lang] = groups.pop(lang)
    for lang, segs in unserved.items():
        for seg in segs:
            seg.translation = None
            stats.untranslated += 1
            reason = f"no_model:{lang}"
            stats.untranslated_reasons[reason] = stats.untranslated_reasons.get(reason, 0) + 1
    for seg in segments:  # the batcher's "copy, don't translate" (tasks/translate/batcher.py)
        if needs_engine(seg, pivot):
            continue
        reason = settle(seg, pivot)
        if reason == "copied":
            stats.copied += 1
        else:
            stats.untranslated += 1
            stats.untranslated_reasons[reason] = stats.untranslated_reasons.get(reason, 0) + 1
    for lang, segs in groups.items():
        results = translate_texts(
            [s.text for s in segs], lang, pivot, memory=memory, options=options, packages=packages
        )
        pair = f"{lang}-{pivot}"
        counts = stats.by_pair.setdefault(pair, {"fresh": 0, "from_memory": 0})
        for seg, tr in zip(segs, results):
            seg.translation = tr
            if any(c.startswith("split:") for c in tr.chain):
                stats.split += 1
            if tr.from_memory:
                stats.from_memory += 1
                counts["from_memory"] += 1
            else:
                stats.fresh += 1
                counts["fresh"] += 1
            if tr.model not in stats.models:
                stats.models.append(tr.model)
    return stats


# --------------------------------------------------------------------------- prefect


def translate_segments_task(*args: Any, **kwargs: Any):
    """The Prefect task (created on first use so importing this module stays light)."""
    return _task()(*args, **kwargs)


_TASK = None


def _task():
    global _TASK
    if _TASK is None:
        from prefect import task

        @task(name="translate-segments", task_run_name="translate-{pivot}")
        def translate_segments_prefect(
            segments: list[Segment], pivot: str, memory_location: str | None = None
        ) -> tuple[list[Segment], TranslateStats]:
            from tasks.translate.memory import open_memory

            memory = open_memory(memory_location) if memory_location else None
            try:
                stats = translate_segments(segments, pivot, memory)
            finally:
                if memory is not None:
                    memory.close()
            return segments, stats

        _TASK = translate_segments_prefect
    return _TASK
