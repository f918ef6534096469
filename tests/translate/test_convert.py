"""`newsbridge models install --hf`: tiny Hugging Face snapshots built here, converted by
CTranslate2's converter, and newsbridge's output equal to transformers' beam-4 output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("transformers")
pytest.importorskip("torch")

from tasks.translate.hf_testmodels import build_marian_snapshot, build_nllb_snapshot  # noqa: E402
from tasks.translate.packages import list_packages  # noqa: E402
from tasks.translate.testmodels import generate_lines  # noqa: E402

ROOT = Path(__file__).parents[2]
HELD_OUT_SEED = 4242  # the snapshots are trained on seed-7 lines; these are others


def _cli(args, env_extra: dict[str, str], stdin: bytes = b"") -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args], input=stdin, cwd=ROOT, capture_output=True, env=env, timeout=600
    )


def _env(packages: Path) -> dict[str, str]:
    return {"ARGOS_PACKAGES_DIR": str(packages), "NEWSBRIDGE_COMPUTE_TYPE": "float32", "HF_HUB_OFFLINE": "1"}


def _generate(model, tok, lines: list[str], **kw) -> list[str]:
    """transformers' output with Argos' decoding (beam 4, length penalty 0.2, early stopping)."""
    import torch

    out: list[str] = []
    torch.set_num_threads(1)  # tiny matrices: more threads only fight over the cores
    with torch.no_grad():
        for i in range(0, len(lines), 50):
            enc = tok(lines[i : i + 50], return_tensors="pt", padding=True)
            ids = model.generate(**enc, num_beams=4, length_penalty=0.2, early_stopping=True, max_new_tokens=256, **kw)
            out += tok.batch_decode(ids, skip_special_tokens=True)
    return out


@pytest.fixture(scope="module")
def marian_snapshot(tmp_path_factory) -> Path:
    return build_marian_snapshot(tmp_path_factory.mktemp("hf") / "tiny-opus-mt-vi-en")


def test_marian_install_and_translate_equal_transformers(marian_snapshot, tmp_path):
    from transformers import MarianMTModel, MarianTokenizer

    packages = tmp_path / "pk"
    proc = _cli(["models", "install", "--hf", str(marian_snapshot), "--quantization", "float32"], _env(packages))
    assert proc.returncode == 0, proc.stderr.decode()
    [info] = list_packages(packages)
    assert info.pair == "vi-en" and info.hf and info.licence == "cc-by-4.0"
    assert info.model_id.startswith("byo:hf:tiny-opus-mt-vi-en@sha256-") and len(info.model_id.split("sha256-")[1]) == 12
    assert json.loads((info.path / "model" / "config.json").read_text())["decoder_start_token"] == "</s>"
    listing = json.loads(_cli(["models", "list", "--json"], _env(packages)).stdout)
    assert listing["packages"][0]["model"] == info.model_id

    lines = generate_lines("vi", 200, HELD_OUT_SEED)
    proc = _cli(["translate", "--src", "vi", "--tgt", "en"], _env(packages), "\n".join(lines).encode() + b"\n")
    assert proc.returncode == 0, proc.stderr.decode()
    ours = proc.stdout.decode().split("\n")[:-1]
    assert info.model_id in proc.stderr.decode()

    tok = MarianTokenizer.from_pretrained(marian_snapshot)
    model = MarianMTModel.from_pretrained(marian_snapshot).eval()
    theirs = _generate(model, tok, lines)
    assert len(set(theirs)) >= 15, "the tiny model must say different things for different inputs"
    mismatches = [(i, a, b) for i, (a, b) in enumerate(zip(ours, theirs)) if a != b]
    assert len(ours) == len(theirs) == 200 and not mismatches, mismatches[:5]


@pytest.fixture(scope="module")
def nllb_snapshot(tmp_path_factory) -> Path:
    return build_nllb_snapshot(tmp_path_factory.mktemp("hf") / "tiny-nllb")


def test_nllb_style_install_with_language_prefix_equal_transformers(nllb_snapshot, tmp_path):
    from transformers import AutoTokenizer, M2M100ForConditionalGeneration

    packages = tmp_path / "pk"
    proc = _cli(["models", "install", "--hf", str(nllb_snapshot), "--quantization", "float32"], _env(packages))
    assert proc.returncode == 4 and "pass --src and --tgt" in proc.stderr.decode()
    assert not packages.exists() or not any(packages.iterdir())
    args = ["models", "install", "--hf", str(nllb_snapshot), "--quantization", "float32", "--src", "vi", "--tgt", "en"]
    proc = _cli(args, _env(packages))
    assert proc.returncode == 0, proc.stderr.decode()
    [info] = list_packages(packages)
    assert (info.source_prefix, info.target_prefix) == ("vie_Latn", "eng_Latn")

    lines = generate_lines("vi", 200, HELD_OUT_SEED)
    proc = _cli(["translate", "--src", "vi", "--tgt", "en"], _env(packages), "\n".join(lines).encode() + b"\n")
    assert proc.returncode == 0, proc.stderr.decode()
    ours = proc.stdout.decode().split("\n")[:-1]

    tok = AutoTokenizer.from_pretrained(nllb_snapshot, src_lang="vie_Latn", tgt_lang="eng_Latn")
    model = M2M100ForConditionalGeneration.from_pretrained(nllb_snapshot).eval()
    theirs = _generate(model, tok, lines, forced_bos_token_id=tok.convert_tokens_to_ids("eng_Latn"))
    assert len(set(theirs)) >= 10
    mismatches = [(i, a, b) for i, (a, b) in enumerate(zip(ours, theirs)) if a != b]
    assert len(ours) == len(theirs) == 200 and not mismatches, mismatches[:5]


def _break(snapshot: Path, how: str, tmp: Path) -> str:
    if how == "missing-repo":
        return "nobody-here/opus-mt-xx-yy"
    broken = tmp / f"broken-{how}"
    shutil.copytree(snapshot, broken)
    if how == "no-tokenizer":
        (broken / "source.spm").unlink()
    elif how == "unsupported-architecture":
        config = json.loads((broken / "config.json").read_text())
        config.update(model_type="bert", architectures=["BertModel"])
        (broken / "config.json").write_text(json.dumps(config))
    elif how == "truncated-weights":
        weights = broken / "model.safetensors"
        data = weights.read_bytes()
        weights.write_bytes(data[: len(data) // 2])
    return str(broken)


@pytest.mark.parametrize(
    "how, message",
    [
        ("no-tokenizer", "no tokenizer"),
        ("unsupported-architecture", "unsupported architecture bert"),
        ("truncated-weights", "truncated"),
        ("missing-repo", "cannot get nobody-here/opus-mt-xx-yy"),
    ],
)
def test_bad_snapshots_refused_with_exit_4_and_nothing_left(marian_snapshot, tmp_path, how, message):
    packages = tmp_path / "models" / "pk"
    packages.mkdir(parents=True)
    (packages / "keep.txt").write_text("an operator's file")
    target = _break(marian_snapshot, how, tmp_path)
    env = {**_env(packages), "HF_HOME": str(tmp_path / "hf-home")}
    proc = _cli(["models", "install", "--hf", target], env)
    err = proc.stderr.decode()
    assert proc.returncode == 4, err
    assert message in err, err
    assert "Traceback" not in err
    assert sorted(p.name for p in packages.iterdir()) == ["keep.txt"]
    assert sorted(p.name for p in packages.parent.iterdir()) == ["pk"]  # no staging dir left


def test_missing_converter_dependencies_named(monkeypatch):
    from tasks.translate import convert
    from tasks.translate.packages import ModelInstallError

    monkeypatch.setitem(convert.CONVERT_MODULES, "newsbridge_no_such_module", "no-such-dist")
    with pytest.raises(ModelInstallError) as err:
        convert.install_hf("whatever")
    assert "pip install 'newsbridge[convert]'" in str(err.value) and "no-such-dist" in str(err.value)


def test_licence_from_model_card(tmp_path):
    from tasks.translate.convert import read_licence

    (tmp_path / "README.md").write_text("---\nlanguage:\n- vi\nlicense: apache-2.0\n---\n# x\n")
    assert read_licence(tmp_path) == "apache-2.0"
    (tmp_path / "README.md").write_text("# no front matter\nlicense: mit\n")
    assert read_licence(tmp_path) == "unknown"


def test_online_missing_pair_prints_the_hf_command(tmp_path):
    """The Argos index unreachable (a loopback port nobody listens on): the error, then the --hf command."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"ARGOS_PACKAGES_DIR": str(tmp_path / "pk"), "ARGOS_PACKAGE_INDEX": f"http://127.0.0.1:{port}/"}
    proc = _cli(["models", "install", "--online", "vi-en"], env)
    err = proc.stderr.decode()
    assert proc.returncode == 4
    assert "cannot read the Argos package index" in err
    assert "newsbridge models install --hf Helsinki-NLP/opus-mt-vi-en" in err
