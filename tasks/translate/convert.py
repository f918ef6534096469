"""Install a Hugging Face seq2seq translation model as a newsbridge package, in one step.

`install_hf("Helsinki-NLP/opus-mt-vi-en")` (or a local snapshot directory):

1. the snapshot: downloaded through `huggingface_hub.snapshot_download` (its commit hash is
   the revision), or read from a local directory (offline; the revision is a hash of its
   weights files);
2. checked before anything is written: a supported architecture (Marian/OPUS-MT, M2M100,
   NLLB), its SentencePiece files, a complete weights file, the language codes;
3. converted by CTranslate2's own `TransformersConverter` (int8 by default) into a staging
   directory next to the packages dir, with the SentencePiece files and a `metadata.json`
   written here, then placed like every other package (`packages.place_package`): the folder is
   renamed into the packages dir only once complete, so a failure leaves nothing behind.

The package says how to feed and read the model as transformers does (`newsbridge_hf`):
source tokens = source prefix (NLLB/M2M: the source-language token) + SentencePiece pieces
+ `</s>`; the decoder starts with the target-language token for NLLB/M2M; the output is
decoded with the target SentencePiece model, special tokens dropped, a leftover `▁`
read as a space, the ends stripped. Decoding is Argos' (beam 4, length penalty 0.2), the
same as for every other package. The model id is `byo:hf:<repo>@<revision>`.

The converter needs transformers, huggingface_hub and torch: the optional extra
`newsbridge[convert]`; without them the install stops and says what to install.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import struct
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tasks.translate.packages import TARGET_SP, ModelInstallError, PackageInfo, models_dir, place_package

CONVERT_EXTRA = "newsbridge[convert]"
CONVERT_MODULES = {"transformers": "transformers", "huggingface_hub": "huggingface_hub", "torch": "torch"}
WEIGHTS = ("model.safetensors", "pytorch_model.bin")
QUANTIZATIONS = ("int8", "int8_float32", "int16", "float16", "bfloat16", "float32")
# newsbridge language code -> the model's language token (NLLB: FLORES-200 codes; M2M100: __xx__)
NLLB_CODES = {"vi": "vie_Latn", "zh": "zho_Hans", "zt": "zho_Hant", "en": "eng_Latn"}
M2M_CODES = {"zt": "zh"}
# What `models install --online PAIR` suggests when the Argos index has no package for PAIR.
KNOWN_HF_MODELS = {
    "vi-en": "Helsinki-NLP/opus-mt-vi-en",
    "en-vi": "Helsinki-NLP/opus-mt-en-vi",
    "zh-en": "Helsinki-NLP/opus-mt-zh-en",
    "en-zh": "Helsinki-NLP/opus-mt-en-zh",
}
ISO3 = {"vie": "vi", "zho": "zh", "eng": "en", "cmn": "zh"}
_OPUS_PAIR = re.compile(r"opus-mt-(?:tc-big-)?([a-z]{2,3})-([a-z]{2,3})$", re.I)


@dataclass
class Snapshot:
    """A model's files on disk and where they came from."""

    path: Path
    repo: str  # "Helsinki-NLP/opus-mt-vi-en", or the local folder's name
    revision: str  # the commit hash, or "sha256-<12 hex>" of a local folder's weights
    local: bool


@dataclass
class Plan:
    """What the snapshot holds and how the package will feed the model."""

    kind: str  # "marian" | "m2m100" | "nllb"
    src: str
    tgt: str
    source_spm: Path
    target_spm: Path
    source_prefix: str = ""
    target_prefix: str = ""
    licence: str = "unknown"
    notes: list[str] = field(default_factory=list)


def hf_hint(pair: str) -> str:
    """The `--hf` command for a pair the Argos index lacks (or cannot be read for), if we know one."""
    repo = KNOWN_HF_MODELS.get(pair.replace("_", "-"))
    if repo is None:
        return ""
    return (
        f"a {pair} model on the Hugging Face hub: newsbridge models install --hf {repo} "
        f"(needs pip install '{CONVERT_EXTRA}'; offline: the same with --hf SNAPSHOT_DIR)"
    )


# --------------------------------------------------------------------------- dependencies


def missing_converter_modules() -> list[str]:
    """The converter's Python modules that do not import here."""
    import importlib.util

    return [pkg for mod, pkg in CONVERT_MODULES.items() if importlib.util.find_spec(mod) is None]


def require_converter() -> None:
    missing = missing_converter_modules()
    if missing:
        raise ModelInstallError(
            f"converting a Hugging Face model needs {', '.join(missing)}, not installed here: "
            f"pip install '{CONVERT_EXTRA}' (or: pip install {' '.join(missing)})"
        )


# --------------------------------------------------------------------------- snapshot


def weights_hash(path: Path) -> str:
    """sha256 over the snapshot's weights files (name and bytes, sorted), 12 hex digits."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.iterdir() if p.is_file() and p.name.startswith(("model", "pytorch_model")))
    for p in files:
        digest.update(p.name.encode() + b"\0")
        with p.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:12]


def get_snapshot(repo_or_dir: str, revision: str | None = None, cache_dir: Path | None = None) -> Snapshot:
    """A local snapshot directory as is, or a repo id downloaded through huggingface_hub."""
    local = Path(repo_or_dir).expanduser()
    if local.is_dir():
        return Snapshot(local.resolve(), local.resolve().name, f"sha256-{weights_hash(local)}", True)
    if local.exists() or repo_or_dir.startswith((".", "/", "~")) or repo_or_dir.count("/") > 1:
        raise ModelInstallError(f"{repo_or_dir}: not a snapshot directory (and not a repo id like Helsinki-NLP/opus-mt-vi-en)")
    import huggingface_hub

    try:
        path = huggingface_hub.snapshot_download(
            repo_id=repo_or_dir,
            revision=revision,
            cache_dir=str(cache_dir) if cache_dir else None,
            allow_patterns=["*.json", "*.spm", "*.model", "*.safetensors", "pytorch_model.bin", "README.md", "LICENSE*"],
        )
    except Exception as exc:  # noqa: BLE001 - hub errors, offline mode, DNS: all mean "cannot get it"
        raise ModelInstallError(
            f"cannot get {repo_or_dir}" + (f"@{revision}" if revision else "")
            + f" from the Hugging Face hub ({exc.__class__.__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}). "
            "Offline? Download the snapshot on a connected machine (`hf download "
            f"{repo_or_dir} --local-dir DIR`), copy DIR here and run `newsbridge models install --hf DIR`"
        ) from exc
    path = Path(path)
    return Snapshot(path, repo_or_dir, path.name if re.fullmatch(r"[0-9a-f]{40}", path.name) else (revision or "main"), False)


# --------------------------------------------------------------------------- checks


def _short(code: str) -> str:
    return ISO3.get(code.lower(), code.lower())


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ModelInstallError(f"{path}: unreadable ({exc})") from exc
    return data if isinstance(data, dict) else {}


def check_weights(path: Path) -> Path:
    """The weights file, after checking a safetensors file is complete (header vs size)."""
    found = [path / n for n in WEIGHTS if (path / n).is_file()]
    if not found:
        sharded = sorted(path.glob("model-*.safetensors")) + sorted(path.glob("pytorch_model-*.bin"))
        if sharded:
            return sharded[0]
        raise ModelInstallError(f"{path}: no weights file ({' or '.join(WEIGHTS)})")
    weights = found[0]
    if weights.suffix == ".safetensors":
        size = weights.stat().st_size
        try:
            with weights.open("rb") as fh:
                (n,) = struct.unpack("<Q", fh.read(8))
                if n <= 0 or 8 + n > size:
                    raise ValueError("header longer than the file")
                header = json.loads(fh.read(n))
            end = max((int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__"), default=0)
        except (struct.error, ValueError, KeyError, TypeError) as exc:
            raise ModelInstallError(f"{weights}: not a readable safetensors file ({exc}); download it again") from exc
        if 8 + n + end != size:
            raise ModelInstallError(
                f"{weights}: truncated or damaged ({size} bytes, its header says {8 + n + end}); download it again"
            )
    return weights


def read_licence(path: Path) -> str:
    """The `license:` of the model card's front matter (README.md), else 'unknown'."""
    try:
        card = (path / "README.md").read_text(encoding="utf-8")
    except OSError:
        return "unknown"
    m = re.match(r"---\s*\n(.*?)\n---", card, re.S)
    if not m:
        return "unknown"
    lic = re.search(r"^licen[cs]e:\s*(.+?)\s*$", m.group(1), re.M)
    return lic.group(1).strip("'\"") if lic else "unknown"


def plan_install(snap: Snapshot, src: str | None = None, tgt: str | None = None) -> Plan:
    """Check the snapshot and decide how the package feeds the model; nothing is written."""
    path = snap.path
    config = _json(path / "config.json")
    if not config:
        raise ModelInstallError(f"{path}: no config.json (not a Hugging Face model snapshot)")
    model_type = str(config.get("model_type", ""))
    tok_config = _json(path / "tokenizer_config.json")
    tok_class = str(tok_config.get("tokenizer_class", ""))
    check_weights(path)
    if model_type == "marian":
        src_spm, tgt_spm = path / "source.spm", path / "target.spm"
        missing = [p.name for p in (src_spm, tgt_spm, path / "vocab.json") if not p.is_file()]
        if missing:
            raise ModelInstallError(f"{path}: no tokenizer ({', '.join(missing)} missing; a Marian model needs source.spm, target.spm, vocab.json)")
        if not (src and tgt):
            m = _OPUS_PAIR.search(snap.repo)
            named = (m.group(1), m.group(2)) if m else (tok_config.get("source_lang"), tok_config.get("target_lang"))
            if not (named[0] and named[1]):
                raise ModelInstallError(f"{snap.repo}: cannot tell the language pair (name, tokenizer_config.json); pass --src and --tgt")
            src, tgt = src or _short(str(named[0])), tgt or _short(str(named[1]))
        plan = Plan("marian", src, tgt, src_spm, tgt_spm)
    elif model_type == "m2m_100":
        spm = path / "sentencepiece.bpe.model"
        if not spm.is_file():
            raise ModelInstallError(f"{path}: no tokenizer (sentencepiece.bpe.model missing)")
        if not (src and tgt):
            raise ModelInstallError(f"{snap.repo}: a multilingual model; pass --src and --tgt (e.g. --src vi --tgt en)")
        kind = "nllb" if "nllb" in tok_class.lower() or "nllb" in snap.repo.lower() else "m2m100"
        if kind == "nllb":
            codes = (NLLB_CODES.get(src, src), NLLB_CODES.get(tgt, tgt))
        else:
            codes = (f"__{M2M_CODES.get(src, src)}__", f"__{M2M_CODES.get(tgt, tgt)}__")
        plan = Plan(kind, src, tgt, spm, spm, source_prefix=codes[0], target_prefix=codes[1])
    else:
        arch = ", ".join(config.get("architectures") or []) or "?"
        raise ModelInstallError(
            f"{path}: unsupported architecture {model_type or '?'} ({arch}); newsbridge installs "
            "Marian (OPUS-MT) and M2M100/NLLB sequence-to-sequence models"
        )
    plan.licence = read_licence(path)
    return plan


# --------------------------------------------------------------------------- install


def _special_tokens(path: Path, plan: Plan) -> tuple[list[str], set[str]]:
    """The HF tokenizer's special tokens and its vocabulary (what transformers drops when decoding)."""
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(str(path))
    except Exception as exc:  # noqa: BLE001 - any tokenizer failure means the snapshot is unusable
        raise ModelInstallError(f"{path}: its tokenizer does not load ({exc.__class__.__name__}: {exc})") from exc
    specials = set(tok.all_special_tokens) | {plan.source_prefix, plan.target_prefix} - {""}
    specials |= {str(t) for t in getattr(tok, "added_tokens_decoder", {}).values() if getattr(t, "special", False)}
    vocab = set(tok.get_vocab()) | specials
    for code in (plan.source_prefix, plan.target_prefix):
        if code and (code not in vocab or tok.convert_tokens_to_ids(code) == tok.unk_token_id):
            raise ModelInstallError(f"{path}: the model has no language token {code!r} ({plan.src}→{plan.tgt})")
    return sorted(specials), vocab


def install_hf(
    repo_or_dir: str,
    *,
    src: str | None = None,
    tgt: str | None = None,
    quantization: str = "int8",
    revision: str | None = None,
    packages: Path | None = None,
) -> PackageInfo:
    """Convert and install a Hugging Face model; raises ModelInstallError, leaves nothing half-done."""
    if quantization not in QUANTIZATIONS:
        raise ModelInstallError(f"--quantization {quantization!r}: one of {', '.join(QUANTIZATIONS)}")
    require_converter()
    packages = packages or models_dir()
    snap = get_snapshot(repo_or_dir, revision)
    plan = plan_install(snap, src, tgt)
    specials, _vocab = _special_tokens(snap.path, plan)
    packages.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".newsbridge-install-", dir=packages.parent))
    try:
        safe = re.sub(r"[^A-Za-z0-9]+", "_", snap.repo).strip("_")
        root = staging / "pkgs" / f"byo-{plan.src}_{plan.tgt}-hf-{safe}"
        root.mkdir(parents=True)
        _convert(snap.path, root / "model", quantization)
        shutil.copy2(plan.source_spm, root / "sentencepiece.model")
        if plan.target_spm != plan.source_spm:
            shutil.copy2(plan.target_spm, root / TARGET_SP)
        meta = package_metadata(snap, plan, quantization, specials)
        (root / "metadata.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return place_package(root, packages)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _convert(snapshot: Path, out: Path, quantization: str) -> None:
    from ctranslate2.converters import TransformersConverter

    try:
        TransformersConverter(str(snapshot)).convert(str(out), quantization=quantization, force=True)
    except Exception as exc:  # noqa: BLE001 - torch/transformers/ctranslate2 raise many kinds
        first = str(exc).splitlines()[0][:300] if str(exc) else ""
        raise ModelInstallError(f"{snapshot}: CTranslate2's converter failed ({exc.__class__.__name__}: {first})") from exc
    if not (out / "model.bin").is_file():
        raise ModelInstallError(f"{snapshot}: the converter wrote no model.bin")


def package_metadata(snap: Snapshot, plan: Plan, quantization: str, specials: list[str]) -> dict[str, Any]:
    from tasks.translate.testmodels import LANG_NAMES

    return {
        "package_version": snap.revision,
        "argos_version": "1.0",
        "from_code": plan.src,
        "from_name": LANG_NAMES.get(plan.src, plan.src),
        "to_code": plan.tgt,
        "to_name": LANG_NAMES.get(plan.tgt, plan.tgt),
        "type": "translate",
        "target_prefix": plan.target_prefix,
        "newsbridge_byo": True,
        "newsbridge_name": f"hf:{snap.repo}",
        "newsbridge_model_id": f"byo:hf:{snap.repo}@{snap.revision}",
        "newsbridge_add_source_eos": True,
        "newsbridge_hf": {
            "kind": plan.kind,
            "repo": snap.repo,
            "revision": snap.revision,
            "local": snap.local,
            "source": str(snap.path),
            "quantization": quantization,
            "source_prefix": plan.source_prefix,
            "special_tokens": specials,
            "licence": plan.licence,
        },
    }
