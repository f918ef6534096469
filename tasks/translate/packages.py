"""Argos package management: one packages directory, one package per pair, no surprises.

Argos Translate reads its settings once, at import (packages dir, XDG data/config/cache
dirs, a user `settings.json`), and `get_installed_packages()` crashes on any folder
without `metadata.json`. So this module:

- sets `ARGOS_PACKAGES_DIR` and private XDG dirs before the first `argostranslate`
  import, and re-binds `argostranslate.settings.package_data_dir`/`package_dirs` before
  every call, so the directory in use is always the configured one;
- installs through `argostranslate.package.install_from_path`, but into a staging
  directory next to the packages dir; the package is checked there (one top-level
  folder, `metadata.json`, `model/`, a tokenizer) and only then renamed into place, and
  the previous package for the same pair is removed: one package per pair, never a
  half-extracted folder in the packages dir;
- scans the directory itself (`list_packages`), skipping and reporting folders without
  `metadata.json` instead of failing every lookup;
- never uses Argos' sentencizers (a `stanza/` folder would download at first use); the
  listing shows which packages carry one.

Bring-your-own models: a directory with a CTranslate2 model (`model.bin`, `config.json`,
vocabularies), SentencePiece model(s) and a `newsbridge-model.json` (see `BYO_METADATA`)
is assembled into a package directory and installed the same way.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tasks.translate.testmodels import TEST_MARKER

BYO_METADATA = "newsbridge-model.json"
TARGET_SP = "target_sentencepiece.model"  # our addition for models with two vocabularies


class MissingModelError(LookupError):
    """No installed package translates src→tgt; the message says how to install one."""

    def __init__(self, src: str, tgt: str, models_dir: Path | None = None, detail: str = "") -> None:
        self.src, self.tgt = src, tgt
        where = f" in {models_dir}" if models_dir else ""
        online = (
            f" or `newsbridge models install --online {src}-{tgt}` (needs network)"
            if src != "vi"
            else " or `newsbridge models install --hf Helsinki-NLP/opus-mt-vi-en` (the Argos index has no vi→en "
            "package; bring your own: needs network once and pip install 'newsbridge[convert]', see docs/models.md)"
        )
        msg = (
            f"no translation model installed for {src}→{tgt}{where}. "
            f"Install one with `newsbridge models install PATH/translate-{src}_{tgt}.argosmodel`"
            f"{online}; `newsbridge models install --test` installs tiny TEST models (nonsense output)."
        )
        if detail:
            msg += f" ({detail})"
        super().__init__(msg)


class ModelInstallError(RuntimeError):
    """An install refused: bad archive, missing files, or the index unreachable."""


@dataclass(frozen=True)
class PackageInfo:
    """One installed package, as listed by `newsbridge models list`."""

    src: str
    tgt: str
    version: str
    path: Path
    name: str
    is_test: bool
    kind: str = "argos"  # "argos" | "byo"
    sbd: str | None = None  # "stanza" | "minisbd" | "spacy" when the package ships one
    target_prefix: str = ""
    add_source_eos: bool = False
    tokenizer: str = "sentencepiece"  # "sentencepiece" | "bpe"
    # Hugging Face models (tasks/translate/convert.py): source-language token before the
    # pieces, special tokens dropped when decoding (transformers' detokenisation).
    source_prefix: str = ""
    hf: bool = False
    special_tokens: frozenset[str] = frozenset()
    licence: str = ""
    metadata: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def pair(self) -> str:
        return f"{self.src}-{self.tgt}"

    @property
    def model_id(self) -> str:
        """Model id + version: the translation memory key and the provenance string."""
        if self.metadata.get("newsbridge_model_id"):
            return str(self.metadata["newsbridge_model_id"])  # byo:hf:<repo>@<revision>
        if self.kind == "byo":
            return f"byo:{self.name}:{self.src}-{self.tgt}@{self.version}"
        return f"argos:{self.src}-{self.tgt}@{self.version}"


@dataclass
class Listing:
    packages: list[PackageInfo]
    problems: list[str]


# --------------------------------------------------------------------------- paths


def models_dir() -> Path:
    """The packages directory in use: ARGOS_PACKAGES_DIR, else NEWSBRIDGE_MODELS_DIR/default."""
    from tasks.settings import Settings

    return Path(Settings().models_path()).expanduser()


def _state_dir(packages: Path) -> Path:
    return packages.parent / (packages.name + ".argos-state")


def argos_modules(packages: Path | None = None):
    """Import `argostranslate.package` with our paths bound (lazily, once per process)."""
    packages = packages or models_dir()
    packages.mkdir(parents=True, exist_ok=True)
    if "argostranslate.settings" not in sys.modules:
        # Argos reads these once, at import; point them at private dirs so a user's
        # ~/.config/argos-translate/settings.json cannot change what we run.
        state = _state_dir(packages)
        # Only for the import: afterwards the packages dir is re-bound on every call, and
        # the process environment stays as the user (or a test) set it.
        keys = ("ARGOS_PACKAGES_DIR", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")
        saved = {k: os.environ.get(k) for k in keys}
        os.environ["ARGOS_PACKAGES_DIR"] = str(packages)
        os.environ["XDG_DATA_HOME"] = str(state / "data")
        os.environ["XDG_CONFIG_HOME"] = str(state / "config")
        os.environ["XDG_CACHE_HOME"] = str(state / "cache")
        try:
            import argostranslate.package  # noqa: F401
            import argostranslate.settings  # noqa: F401
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    import argostranslate.package as apkg
    import argostranslate.settings as asettings

    # Argos reads these attributes at call time: bind them to the configured dir.
    asettings.package_data_dir = packages
    asettings.package_dirs = [packages]
    return apkg, asettings


# --------------------------------------------------------------------------- listing


def _read_package(path: Path) -> PackageInfo:
    meta = json.loads((path / "metadata.json").read_text(encoding="utf-8"))
    src, tgt = meta.get("from_code"), meta.get("to_code")
    if not src or not tgt:
        raise ValueError("metadata.json lacks from_code/to_code")
    if meta.get("type", "translate") != "translate":
        raise ValueError(f"package type {meta.get('type')!r} is not 'translate'")
    if not (path / "model").is_dir():
        raise ValueError("no model/ directory")
    if (path / "sentencepiece.model").exists():
        tokenizer = "sentencepiece"
    elif (path / "bpe.model").exists():
        tokenizer = "bpe"
    else:
        raise ValueError("no sentencepiece.model or bpe.model")
    sbd = next((n for n in ("minisbd", "stanza", "spacy") if (path / n).exists()), None)
    hf = meta.get("newsbridge_hf") if isinstance(meta.get("newsbridge_hf"), dict) else {}
    return PackageInfo(
        src=src,
        tgt=tgt,
        version=str(meta.get("package_version") or "0"),
        path=path,
        name=str(meta.get("newsbridge_name") or meta.get("name") or path.name),
        is_test=bool(meta.get(TEST_MARKER, False)),
        kind="byo" if meta.get("newsbridge_byo") else "argos",
        sbd=sbd,
        target_prefix=str(meta.get("target_prefix", "") or ""),
        add_source_eos=bool(meta.get("newsbridge_add_source_eos", False)),
        tokenizer=tokenizer,
        source_prefix=str(hf.get("source_prefix", "") or ""),
        hf=bool(hf),
        special_tokens=frozenset(str(t) for t in hf.get("special_tokens", [])),
        licence=str(hf.get("licence", "") or meta.get("newsbridge_licence", "") or ""),
        metadata=meta,
    )


def scan(packages: Path | None = None) -> Listing:
    """Every valid package in the directory, plus a problem line for anything else."""
    packages = packages or models_dir()
    found: list[PackageInfo] = []
    problems: list[str] = []
    if not packages.is_dir():
        return Listing([], [])
    for child in sorted(packages.iterdir()):
        if not child.is_dir():
            continue
        if not (child / "metadata.json").exists():
            problems.append(
                f"{child}: folder without metadata.json (Argos fails every lookup while it "
                "is there; newsbridge ignores it) — remove it"
            )
            continue
        try:
            found.append(_read_package(child))
        except (ValueError, OSError, json.JSONDecodeError) as exc:
            problems.append(f"{child}: not a usable translate package: {exc}")
    pairs: dict[tuple[str, str], list[PackageInfo]] = {}
    for info in found:
        pairs.setdefault((info.src, info.tgt), []).append(info)
    for (s, t), infos in pairs.items():
        if len(infos) > 1:
            chosen = _choose(infos)
            others = ", ".join(str(i.path) for i in infos if i is not chosen)
            problems.append(
                f"{s}→{t}: {len(infos)} packages installed; using {chosen.path} "
                f"(version {chosen.version}); remove the others: {others}"
            )
    for info in found:
        if info.sbd == "stanza":
            problems.append(
                f"{info.path}: ships stanza/ (Argos' own translate() downloads Stanza data at "
                "first use; newsbridge never calls it)"
            )
    return Listing(found, problems)


def _version_key(version: str):
    from packaging.version import InvalidVersion, Version

    try:
        return (1, Version(version), version)
    except InvalidVersion:
        return (0, None, version)


def _choose(infos: list[PackageInfo]) -> PackageInfo:
    # Deterministic, unlike Argos (directory order): non-test first, then highest version.
    def key(i: PackageInfo):
        ok, ver, raw = _version_key(i.version)
        return (not i.is_test, ok, ver if ver is not None else raw, i.path.name)

    try:
        return max(infos, key=key)
    except TypeError:  # mixed comparable/non-comparable versions
        return max(infos, key=lambda i: (not i.is_test, i.version, i.path.name))


def list_packages(packages: Path | None = None) -> list[PackageInfo]:
    """Installed translate packages (pair, version, path, is_test)."""
    return scan(packages).packages


def find_package(src: str, tgt: str, packages: Path | None = None) -> PackageInfo:
    """The package for src→tgt (re-scanned on every call), or MissingModelError."""
    packages = packages or models_dir()
    infos = [i for i in list_packages(packages) if i.src == src and i.tgt == tgt]
    if not infos:
        raise MissingModelError(src, tgt, packages)
    return _choose(infos)


def has_package(src: str, tgt: str, packages: Path | None = None) -> bool:
    return any(i.src == src and i.tgt == tgt for i in list_packages(packages))


# --------------------------------------------------------------------------- install


def _check_archive(path: Path) -> str:
    """The single top-level folder of an .argosmodel archive, after sanity checks."""
    if not zipfile.is_zipfile(path):
        raise ModelInstallError(f"{path}: not an .argosmodel (not a zip archive)")
    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if n and not n.startswith("__MACOSX")]
        tops = {n.split("/", 1)[0] for n in names}
        if len(tops) != 1 or not any("/" in n for n in names):
            raise ModelInstallError(
                f"{path}: an .argosmodel must hold exactly one top-level folder, found {sorted(tops)[:5]}"
            )
        top = tops.pop()
        if f"{top}/metadata.json" not in names:
            raise ModelInstallError(f"{path}: {top}/metadata.json missing")
        for n in names:
            if n.startswith("/") or ".." in Path(n).parts:
                raise ModelInstallError(f"{path}: unsafe member name {n!r}")
    return top


def place_package(staged: Path, packages: Path) -> PackageInfo:
    """Validate a staged package folder, move it into `packages`, drop older ones for its pair."""
    try:
        info = _read_package(staged)
    except (ValueError, OSError, json.JSONDecodeError) as exc:
        raise ModelInstallError(f"{staged.name}: not a usable translate package: {exc}") from exc
    previous = [i for i in list_packages(packages) if (i.src, i.tgt) == (info.src, info.tgt)]
    dest = packages / staged.name
    backup: Path | None = None
    if dest.exists():
        # Move the old copy out to the staging dir (same filesystem), never beside packages.
        backup = staged.parent.parent / f"old-{dest.name}"
        dest.rename(backup)
    staged.rename(dest)
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)
    for old in previous:
        if old.path != dest and old.path.exists():
            shutil.rmtree(old.path, ignore_errors=True)
    return _read_package(dest)


def install_path(path: Path, packages: Path | None = None) -> list[PackageInfo]:
    """Install an `.argosmodel` file, a directory of them, or a bring-your-own model dir."""
    packages = packages or models_dir()
    path = Path(path)
    if path.is_dir() and (path / BYO_METADATA).exists():
        return [install_byo(path, packages)]
    if path.is_dir():
        files = sorted(path.glob("*.argosmodel"))
        if not files:
            raise ModelInstallError(
                f"{path}: no *.argosmodel files and no {BYO_METADATA} (see README: bring your own model)"
            )
        return [install_argosmodel(f, packages) for f in files]
    if not path.exists():
        raise ModelInstallError(f"{path}: no such file")
    return [install_argosmodel(path, packages)]


def install_argosmodel(path: Path, packages: Path | None = None) -> PackageInfo:
    """Install one `.argosmodel` through `argostranslate.package.install_from_path`."""
    packages = packages or models_dir()
    top = _check_archive(path)
    apkg, asettings = argos_modules(packages)
    staging = Path(tempfile.mkdtemp(prefix=".newsbridge-install-", dir=packages.parent))
    try:
        stage = staging / "pkgs"
        stage.mkdir()
        # Argos extracts into settings.package_data_dir: point it at the staging dir.
        asettings.package_data_dir = stage
        try:
            apkg.install_from_path(path)
        finally:
            asettings.package_data_dir = packages
        return place_package(stage / top, packages)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def install_byo(src_dir: Path, packages: Path | None = None) -> PackageInfo:
    """Assemble a package from a CTranslate2 model dir + SentencePiece + newsbridge-model.json."""
    packages = packages or models_dir()
    meta_path = src_dir / BYO_METADATA
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelInstallError(f"{meta_path}: unreadable: {exc}") from exc
    missing = [k for k in ("from_code", "to_code", "version", "name") if not meta.get(k)]
    if missing:
        raise ModelInstallError(f"{meta_path}: missing field(s) {', '.join(missing)}")
    model_rel = meta.get("model_dir", ".")
    model_dir = (src_dir / model_rel).resolve()
    if not (model_dir / "model.bin").exists():
        raise ModelInstallError(f"{model_dir}: no model.bin (not a CTranslate2 model directory)")
    src_sp = src_dir / meta.get("source_spm", "sentencepiece.model")
    if not src_sp.exists():
        raise ModelInstallError(f"{src_sp}: SentencePiece model not found (field source_spm)")
    tgt_sp = src_dir / meta["target_spm"] if meta.get("target_spm") else None
    if tgt_sp is not None and not tgt_sp.exists():
        raise ModelInstallError(f"{tgt_sp}: SentencePiece model not found (field target_spm)")
    name = str(meta["name"])
    folder = f"byo-{meta['from_code']}_{meta['to_code']}-{''.join(c if c.isalnum() else '_' for c in name)}"
    packages.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".newsbridge-install-", dir=packages.parent))
    try:
        root = staging / "pkgs" / folder
        (root / "model").mkdir(parents=True)
        skip = {BYO_METADATA, src_sp.name, tgt_sp.name if tgt_sp else ""}
        for item in model_dir.iterdir():
            if item.is_file() and (model_dir != src_dir.resolve() or item.name not in skip):
                shutil.copy2(item, root / "model" / item.name)
        shutil.copy2(src_sp, root / "sentencepiece.model")
        if tgt_sp is not None and tgt_sp.resolve() != src_sp.resolve():
            shutil.copy2(tgt_sp, root / TARGET_SP)
        argos_meta = {
            "package_version": str(meta["version"]),
            "argos_version": "1.0",
            "from_code": meta["from_code"],
            "from_name": meta.get("from_name", meta["from_code"]),
            "to_code": meta["to_code"],
            "to_name": meta.get("to_name", meta["to_code"]),
            "type": "translate",
            "target_prefix": meta.get("target_prefix", ""),
            "newsbridge_byo": True,
            "newsbridge_name": name,
            "newsbridge_add_source_eos": bool(meta.get("add_source_eos", False)),
            "newsbridge_source": str(src_dir.resolve()),
        }
        (root / "metadata.json").write_text(json.dumps(argos_meta, indent=2, ensure_ascii=False) + "\n")
        return place_package(root, packages)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def install_test_models(packages: Path | None = None, *, notice=None) -> list[PackageInfo]:
    """Build and install the tiny vi→en and zh→en TEST packages (announced loudly)."""
    from tasks.translate.testmodels import build_test_packages

    packages = packages or models_dir()
    say = notice or (lambda msg: print(msg, file=sys.stderr))
    say(
        "*** Installing newsbridge TEST models (vi→en, zh→en): tiny random networks, "
        f"their output is NONSENSE. For real translations install real Argos packages. Into {packages} ***"
    )
    with tempfile.TemporaryDirectory(prefix="newsbridge-testmodels-") as tmp:
        built = build_test_packages(Path(tmp))
        return [install_argosmodel(p, packages) for p in built.values()]


def ensure_test_models(packages: Path | None = None, *, notice=None) -> list[PackageInfo]:
    """Install the test packages unless a package already serves each test pair."""
    from tasks.translate.testmodels import TEST_PAIRS

    packages = packages or models_dir()
    if all(has_package(s, t, packages) for s, t in TEST_PAIRS):
        return [find_package(s, t, packages) for s, t in TEST_PAIRS]
    return install_test_models(packages, notice=notice)


def install_online(pairs: list[str], packages: Path | None = None, *, timeout: float = 30.0) -> list[PackageInfo]:
    """Download and install pairs like "zh-en" from the Argos package index."""
    import urllib.error
    import urllib.request

    packages = packages or models_dir()
    apkg, asettings = argos_modules(packages)
    url = asettings.remote_package_index
    try:
        req = urllib.request.Request(url, headers={"User-Agent": "newsbridge"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            data = resp.read()
        index = json.loads(data)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ModelInstallError(
            f"cannot read the Argos package index at {url} ({exc.__class__.__name__}: {exc}); "
            "offline? Copy an .argosmodel file here and run `newsbridge models install PATH`"
        ) from exc
    from tasks.store.files import write_atomic

    write_atomic(Path(asettings.local_package_index), data)  # a killed install never leaves half an index
    available = [apkg.AvailablePackage(m) for m in index]
    installed: list[PackageInfo] = []
    for pair in pairs:
        try:
            src, tgt = pair.replace("_", "-").split("-", 1)
        except ValueError:
            raise ModelInstallError(f"{pair!r}: expected a pair like vi-en") from None
        match = [p for p in available if p.type == "translate" and p.from_code == src and p.to_code == tgt]
        if not match:
            extra = " (it was withdrawn: bring your own vi→en model, see README)" if src == "vi" else ""
            raise ModelInstallError(f"the Argos index has no {src}→{tgt} package{extra}")
        best = max(match, key=lambda p: _version_key(p.package_version))
        try:
            downloaded = best.download()
        except Exception as exc:  # Argos raises bare Exception on download failure
            raise ModelInstallError(f"download of {src}→{tgt} failed: {exc}") from exc
        installed.append(install_argosmodel(Path(downloaded), packages))
        Path(downloaded).unlink(missing_ok=True)
    return installed
