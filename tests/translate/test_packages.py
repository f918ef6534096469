"""Model management: the test packages, install/list, Argos' pitfalls, bring-your-own, online."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from tasks.translate.packages import (
    BYO_METADATA,
    MissingModelError,
    ModelInstallError,
    argos_modules,
    find_package,
    install_argosmodel,
    install_path,
    list_packages,
    scan,
)
from tasks.translate.testmodels import TEST_MARKER, build_argos_package, generate_lines
from tasks.translate.engine import translate_texts

ROOT = Path(__file__).parents[2]


def _cli(args, env_extra: dict[str, str] | None = None, stdin: bytes = b""):
    env = dict(os.environ)
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args], input=stdin, cwd=ROOT, capture_output=True, env=env, timeout=180
    )


def test_test_package_layout(argos_test_models):
    archive = argos_test_models["archives"][("vi", "en")]
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
        tops = {n.split("/", 1)[0] for n in names}
        assert tops == {"translate-vi_en-newsbridge-test"}
        meta = json.loads(zf.read("translate-vi_en-newsbridge-test/metadata.json"))
    assert meta[TEST_MARKER] is True and meta["from_code"] == "vi" and meta["to_code"] == "en"
    assert "TEST" in meta["newsbridge_note"]
    assert {"translate-vi_en-newsbridge-test/model/model.bin", "translate-vi_en-newsbridge-test/sentencepiece.model"} <= set(names)


def test_tokenizer_covers_diacritics_and_han(argos_test_models):
    import sentencepiece as spm

    for pair, text in ((("vi", "en"), "Hợp tác khoa học công nghệ Việt Nam"), (("zh", "en"), "中国越南科技合作")):
        sp = spm.SentencePieceProcessor(model_file=str(argos_test_models["packages"][pair] / "sentencepiece.model"))
        ids = sp.encode(text)
        assert sp.unk_id() not in ids, pair


def test_fixed_output_length(argos_test_models):
    from tasks.translate.packages import find_package
    from tasks.translate.engine import EngineOptions, load_model

    model = load_model(find_package("zh", "en"), EngineOptions())
    batch = [model.encode(t) for t in generate_lines("zh", 30, seed=9)]
    outs = model.translate_tokens(batch)
    assert {len(o) for o in outs} == {6}


def test_list_reports_pair_version_test_flag(argos_test_models):
    infos = {p.pair: p for p in list_packages(argos_test_models["packages_dir"])}
    assert set(infos) == {"vi-en", "zh-en"}
    assert all(p.is_test and p.version == "0.0.1-test" for p in infos.values())
    proc = _cli(["models", "list", "--json"])
    assert proc.returncode == 0, proc.stderr.decode()
    data = json.loads(proc.stdout)
    assert data["models_dir"] == str(argos_test_models["packages_dir"])
    assert {(p["pair"], p["is_test"]) for p in data["packages"]} == {("vi-en", True), ("zh-en", True)}


def test_cli_install_test_announces_loudly(tmp_path):
    packages = tmp_path / "pk"
    proc = _cli(["models", "install", "--test"], {"ARGOS_PACKAGES_DIR": str(packages)})
    assert proc.returncode == 0, proc.stderr.decode()
    assert "TEST models" in proc.stderr.decode() and "NONSENSE" in proc.stderr.decode()
    assert sorted(p.name for p in packages.iterdir()) == [
        "translate-vi_en-newsbridge-test",
        "translate-zh_en-newsbridge-test",
    ]


def test_install_file_and_directory_one_package_per_pair(argos_test_models, tmp_path):
    packages = tmp_path / "pk"
    archives = argos_test_models["archives"]
    installed = install_path(archives[("vi", "en")].parent, packages)  # a directory of .argosmodel
    assert {i.pair for i in installed} == {"vi-en", "zh-en"}
    install_path(archives[("vi", "en")], packages)  # same package again: replaced in place
    other = build_argos_package("vi", "en", tmp_path / "other", version="2.0", name="translate-vi_en-other")
    install_path(other, packages)  # another folder for the same pair: the old one goes
    names = sorted(p.name for p in packages.iterdir())
    assert names == ["translate-vi_en-other", "translate-zh_en-newsbridge-test"]
    assert find_package("vi", "en", packages).version == "2.0"
    assert not [p for p in packages.parent.iterdir() if p.name.startswith(".newsbridge-install-")]


def test_folder_without_metadata_does_not_break_lookups(argos_test_models, tmp_path):
    packages = tmp_path / "pk"
    install_argosmodel(argos_test_models["archives"][("vi", "en")], packages)
    (packages / "stray-folder").mkdir()
    listing = scan(packages)
    assert [p.pair for p in listing.packages] == ["vi-en"]
    assert any("stray-folder" in p and "metadata.json" in p for p in listing.problems)
    assert find_package("vi", "en", packages).pair == "vi-en"
    # What the guard is for: Argos' own lookup fails on the same directory.
    apkg, _ = argos_modules(packages)
    with pytest.raises(FileNotFoundError):
        apkg.get_installed_packages()
    argos_modules(argos_test_models["packages_dir"])  # rebind for the rest of the session


@pytest.mark.parametrize("kind", ["not-zip", "two-tops", "no-metadata", "no-model"])
def test_bad_archives_are_refused_cleanly(argos_test_models, tmp_path, kind):
    packages = tmp_path / "pk"
    bad = tmp_path / "bad.argosmodel"
    if kind == "not-zip":
        bad.write_bytes(b"this is not a zip")
    else:
        with zipfile.ZipFile(bad, "w") as zf:
            if kind == "two-tops":
                zf.writestr("a/metadata.json", "{}")
                zf.writestr("b/metadata.json", "{}")
            elif kind == "no-metadata":
                zf.writestr("pkg/model/model.bin", "x")
            else:
                zf.writestr("pkg/metadata.json", json.dumps({"from_code": "vi", "to_code": "en"}))
                zf.writestr("pkg/sentencepiece.model", "x")
    with pytest.raises(ModelInstallError):
        install_path(bad, packages)
    assert not packages.exists() or list(packages.iterdir()) == []
    proc = _cli(["models", "install", str(bad)], {"ARGOS_PACKAGES_DIR": str(packages)})
    assert proc.returncode == 4 and b"error:" in proc.stderr


def test_missing_model_error_message(tmp_path):
    with pytest.raises(MissingModelError) as err:
        find_package("vi", "en", tmp_path / "none")
    msg = str(err.value)
    assert "vi→en" in msg and "bring your own" in msg and "newsbridge models install --hf Helsinki-NLP/opus-mt-vi-en" in msg
    zh = str(MissingModelError("zh", "en"))
    assert "newsbridge models install --online zh-en" in zh


def test_bring_your_own_ctranslate2_model(argos_test_models, tmp_path):
    """A plain CTranslate2 dir + SentencePiece + newsbridge-model.json translates exactly
    like the Argos package holding the same weights."""
    src_pkg = argos_test_models["packages"][("vi", "en")]
    byo = tmp_path / "my-vi-en"
    shutil.copytree(src_pkg / "model", byo)
    shutil.copy(src_pkg / "sentencepiece.model", byo / "source.spm")
    shutil.copy(src_pkg / "sentencepiece.model", byo / "target.spm")
    (byo / BYO_METADATA).write_text(
        json.dumps({"from_code": "vi", "to_code": "en", "name": "my-vi-en", "version": "2024.1",
                    "source_spm": "source.spm", "target_spm": "target.spm"})
    )
    packages = tmp_path / "pk"
    proc = _cli(["models", "install", str(byo)], {"ARGOS_PACKAGES_DIR": str(packages)})
    assert proc.returncode == 0, proc.stderr.decode()
    info = find_package("vi", "en", packages)
    assert info.kind == "byo" and info.model_id == "byo:my-vi-en:vi-en@2024.1" and not info.is_test
    texts = generate_lines("vi", 20, seed=21)
    ours = translate_texts(texts, "vi", "en", memory=None, packages=packages)
    ref = translate_texts(texts, "vi", "en", memory=None, packages=argos_test_models["packages_dir"])
    assert [t.text for t in ours] == [t.text for t in ref]
    assert {t.model for t in ours} == {"byo:my-vi-en:vi-en@2024.1"}


def test_byo_with_missing_files_is_refused(tmp_path):
    byo = tmp_path / "broken"
    byo.mkdir()
    (byo / BYO_METADATA).write_text(json.dumps({"from_code": "vi", "to_code": "en", "name": "x", "version": "1"}))
    with pytest.raises(ModelInstallError, match="model.bin"):
        install_path(byo, tmp_path / "pk")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture
def local_index(argos_test_models, tmp_path):
    """An Argos-style package index on 127.0.0.1 (OS-chosen port) offering zh→en."""
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(argos_test_models["archives"][("zh", "en")], site / "zh_en.argosmodel")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: _Quiet(*a, directory=str(site)))
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    index = [{"type": "translate", "from_code": "zh", "to_code": "en", "from_name": "Chinese",
              "to_name": "English", "package_version": "0.0.1-test", "argos_version": "1.0",
              "links": [base + "zh_en.argosmodel"]}]
    (site / "index.json").write_text(json.dumps(index))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()
    server.server_close()


def test_online_install_from_an_index(local_index, tmp_path):
    packages = tmp_path / "pk"
    env = {"ARGOS_PACKAGES_DIR": str(packages), "ARGOS_PACKAGE_INDEX": local_index}
    proc = _cli(["models", "install", "--online", "zh-en"], env)
    assert proc.returncode == 0, proc.stderr.decode()
    assert [p.pair for p in list_packages(packages)] == ["zh-en"]
    proc = _cli(["models", "install", "--online", "vi-en"], env)
    assert proc.returncode == 4 and b"no vi\xe2\x86\x92en package" in proc.stderr
    assert b"newsbridge models install --hf Helsinki-NLP/opus-mt-vi-en" in proc.stderr


def test_online_install_offline_is_a_clear_error(tmp_path):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"ARGOS_PACKAGES_DIR": str(tmp_path / "pk"), "ARGOS_PACKAGE_INDEX": f"http://127.0.0.1:{port}/"}
    proc = _cli(["models", "install", "--online", "zh-en"], env)
    assert proc.returncode == 4
    err = proc.stderr.decode()
    assert "cannot read the Argos package index" in err and "newsbridge models install PATH" in err
