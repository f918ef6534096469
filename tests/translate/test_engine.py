"""The translation engine on the tiny real test models.

The tiny models translate into nonsense by design; nothing here judges quality. What is
checked: identity with `argostranslate.translate.translate()` sentence by sentence,
structure, determinism, input dependence, routing, memory use and provenance.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tasks.translate.packages import MissingModelError, find_package, install_argosmodel
from tasks.translate.memory import open_memory
from tasks.models import Segment
from tasks.translate.testmodels import build_argos_package, generate_lines
from tasks.translate.engine import EngineOptions, translate_segments, translate_texts
from tasks.translate.splitting import split_long

ROOT = Path(__file__).parents[2]

EDGE_CASES = [
    "Việt Nam",
    "Ngày 20/2/2025, Bộ trưởng Nguyễn Mạnh Hùng phát biểu tại Hà Nội.",
    "GDP tăng 7,09% trong năm 2024; xuất khẩu đạt 405,5 tỷ USD.",
    "“Hợp tác khoa học” là ưu tiên hàng đầu!",
    "Hello world — an English line inside a Vietnamese model.",
    "Ω ≈ 3.14 ∑ emoji 🙂 and symbols ©®",
    "a",
    "   leading and trailing spaces   ",
    "中国和越南加强合作。",
]


class _WholeText:
    """Argos' sentencizer swapped for one returning the input (MiniSBD/Stanza would
    try to download models; our segments are already sentences)."""

    def split_sentences(self, text: str) -> list[str]:
        return [text]


def argos_translate_all(texts: list[str], src: str, tgt: str) -> list[str]:
    from tasks.translate.packages import argos_modules

    argos_modules()  # bind Argos to the session's packages dir before its translate import
    from argostranslate import translate as atranslate

    atranslate.get_installed_languages.cache_clear()
    atranslate.installed_translates.clear()
    atranslate.get_installed_languages()
    for item in atranslate.installed_translates:
        item.cached_translation.underlying.sentencizer = _WholeText()
    return [atranslate.translate(t, src, tgt) for t in texts]


def _segment(i: int, text: str, lang: str) -> Segment:
    return Segment(id=f"d:{i}:0", paragraph=i, sentence=0, start=0, end=len(text), text=text, lang=lang)


@pytest.mark.parametrize("src", ["vi", "zh"])
def test_identical_to_argos_translate(argos_test_models, src):
    texts = generate_lines(src, 150, seed=4242) + EDGE_CASES
    ours = translate_texts(texts, src, "en", memory=None)
    theirs = argos_translate_all(texts, src, "en")
    assert len(ours) == len(texts)
    mismatches = [(t, o.text, a) for t, o, a in zip(texts, ours, theirs) if o.text != a]
    assert mismatches == []
    # The comparison means something only if outputs vary with the input.
    assert len({o.text for o in ours}) > len(texts) // 2


def test_provenance_and_determinism(argos_test_models):
    texts = generate_lines("vi", 40, seed=7)
    first = translate_texts(texts, "vi", "en", memory=None)
    again = translate_texts(list(reversed(texts)), "vi", "en", memory=None)
    assert [t.text for t in first] == [t.text for t in reversed(again)]
    info = find_package("vi", "en")
    for tr in first:
        assert tr.model == info.model_id == "argos:vi-en@0.0.1-test"
        assert tr.engine.startswith("ctranslate2-") and "beam4" in tr.engine and "lp0.2" in tr.engine
        assert (tr.src, tr.tgt, tr.state, tr.from_memory) == ("vi", "en", "mt", False)
        assert tr.text.strip()


def test_batching_does_not_change_words(argos_test_models):
    texts = generate_lines("zh", 60, seed=11)
    big = translate_texts(texts, "zh", "en", memory=None, options=EngineOptions(max_batch_size=64))
    one = translate_texts(texts, "zh", "en", memory=None, options=EngineOptions(max_batch_size=1))
    assert [t.text for t in big] == [t.text for t in one]


def test_memory_hits_are_not_retranslated(argos_test_models, tmp_path):
    texts = generate_lines("vi", 30, seed=3)
    with open_memory(tmp_path / "tm.sqlite") as tm:
        fresh = translate_texts(texts, "vi", "en", memory=tm)
        assert not any(t.from_memory for t in fresh)
        assert tm.count() == {"mt": len(set(texts))}
        tm.put(texts[0], "A REVIEWED LINE", "vi", "en", "human", state="reviewed")
        again = translate_texts(texts, "vi", "en", memory=tm)
    assert all(t.from_memory for t in again)
    assert again[0].text == "A REVIEWED LINE" and again[0].state == "reviewed"
    assert [t.text for t in again[1:]] == [t.text for t in fresh[1:]]


def test_model_version_change_retranslates(argos_test_models, tmp_path):
    packages = tmp_path / "packages"
    install_argosmodel(argos_test_models["archives"][("vi", "en")], packages)
    texts = generate_lines("vi", 12, seed=5)
    with open_memory(tmp_path / "tm.sqlite") as tm:
        first = translate_texts(texts, "vi", "en", memory=tm, packages=packages)
        assert not any(t.from_memory for t in first)
        assert all(t.from_memory for t in translate_texts(texts, "vi", "en", memory=tm, packages=packages))
        newer = build_argos_package("vi", "en", tmp_path / "v2", version="0.0.2-test")
        install_argosmodel(newer, packages)
        second = translate_texts(texts, "vi", "en", memory=tm, packages=packages)
    assert not any(t.from_memory for t in second)
    assert {t.model for t in second} == {"argos:vi-en@0.0.2-test"}
    # same seed and recipe: same words, but it was translated again under the new id
    assert [t.text for t in second] == [t.text for t in first]


def test_translate_segments_routing(argos_test_models, tmp_path):
    vi = "Việt Nam và Trung Quốc tăng cường hợp tác khoa học."
    hans = "中国和越南加强科技合作。"
    hant = "中國和越南加強科技合作。"
    segs = [
        _segment(0, vi, "vi"),
        _segment(1, "Vietnam and China strengthen cooperation.", "en"),
        _segment(2, hans, "zh-Hans"),
        _segment(3, hant, "zh-Hant"),
        _segment(4, "12345", "und"),
        _segment(5, "Bonjour tout le monde.", "other"),
        _segment(6, vi, "vi"),
    ]
    with open_memory(tmp_path / "tm.sqlite") as tm:
        stats = translate_segments(segs, "en", tm)
        # zh-Hant converts to the zh-Hans sentence translated just before: a memory hit
        assert (stats.fresh, stats.from_memory, stats.copied, stats.untranslated) == (3, 1, 1, 2)
        assert stats.by_pair == {"vi-en": {"fresh": 2, "from_memory": 0},
                                 "zh-Hans-en": {"fresh": 1, "from_memory": 0},
                                 "zh-Hant-en": {"fresh": 0, "from_memory": 1}}
        assert stats.untranslated_reasons == {"lang:und": 1, "lang:other": 1}
        assert segs[1].translation.model == "copy" and segs[1].translation.text == segs[1].text
        assert segs[4].translation is None and segs[5].translation is None
        assert segs[0].translation.text == segs[6].translation.text
        # zh-Hant without a zt package: OpenCC to Simplified first, recorded in the chain
        t = segs[3].translation
        assert t.chain == ["zh-Hant>zh-Hans(opencc-t2s)", "zh-en"]
        assert t.text == segs[2].translation.text  # the Simplified form is the same sentence
        again = [s.model_copy(update={"translation": None}) for s in segs]
        stats2 = translate_segments(again, "en", tm)
    assert (stats2.fresh, stats2.from_memory) == (0, 4)
    assert [s.translation.text if s.translation else None for s in again] == [
        s.translation.text if s.translation else None for s in segs
    ]


def test_zt_package_used_when_installed(argos_test_models, tmp_path):
    packages = tmp_path / "packages"
    install_argosmodel(build_argos_package("zt", "en", tmp_path / "zt"), packages)
    out = translate_texts(["中國和越南加強科技合作。"], "zh-Hant", "en", memory=None, packages=packages)
    assert out[0].model == "argos:zt-en@0.0.1-test" and out[0].chain == []


def test_pivot_other_than_english_chains_through_english(argos_test_models, tmp_path):
    packages = tmp_path / "packages"
    install_argosmodel(argos_test_models["archives"][("zh", "en")], packages)
    install_argosmodel(build_argos_package("en", "vi", tmp_path / "envi"), packages)
    text = "中国和越南加强科技合作。"
    out = translate_texts([text], "zh-Hans", "vi", memory=None, packages=packages)[0]
    assert out.chain == ["zh-en", "en-vi"]
    assert out.model == "argos:zh-en@0.0.1-test+argos:en-vi@0.0.1-test"
    english = translate_texts([text], "zh", "en", memory=None, packages=packages)[0].text
    assert out.text == translate_texts([english], "en", "vi", memory=None, packages=packages)[0].text


def test_missing_pair_names_pair_and_command(argos_test_models, tmp_path):
    segs = [_segment(0, "Việt Nam", "vi"), _segment(1, "中国", "zh-Hans")]
    empty = tmp_path / "none"
    with pytest.raises(MissingModelError) as err:
        translate_segments(segs, "en", None, packages=empty)
    msg = str(err.value)
    assert "vi→en" in msg and "newsbridge models install" in msg
    assert all(s.translation is None for s in segs)  # nothing half-done


def test_long_segments_are_split_never_truncated(argos_test_models):
    clause = "Việt Nam và Trung Quốc tăng cường hợp tác khoa học công nghệ"
    long_text = ", ".join([clause] * 12) + "."
    info = find_package("vi", "en")
    opts = EngineOptions(max_input_tokens=40)
    from tasks.translate.engine import load_model

    model = load_model(info, opts)
    pieces = split_long(long_text, model.encode, 40)
    assert len(pieces) > 1 and "".join(pieces) == long_text
    assert all(len(model.encode(p)) <= 40 for p in pieces)
    assert all(p.rstrip().endswith((",", ".")) for p in pieces)  # cut at clause ends
    out = translate_texts([long_text], "vi", "en", memory=None, options=opts)[0]
    assert f"split:clauses={len(pieces)}" in out.chain
    each = translate_texts(pieces, "vi", "en", memory=None, options=opts)
    assert out.text == " ".join(t.text for t in each)


def test_split_without_punctuation_falls_back_to_spaces_then_chars():
    def enc(s: str) -> list[str]:
        return list(s)

    assert split_long("abc", enc, 5) == ["abc"]
    words = "aaaa bbbb cccc dddd"
    parts = split_long(words, enc, 10)
    assert "".join(parts) == words and all(len(p) <= 10 for p in parts) and len(parts) > 1
    han = "中" * 23
    parts = split_long(han, enc, 10)
    assert "".join(parts) == han and all(len(p) <= 10 for p in parts)


def test_engine_import_is_light():
    code = (
        "import sys, tasks.translate.engine, tasks.translate.memory, tasks.translate.packages;"
        "bad = [m for m in ('prefect', 'argostranslate.translate', 'argostranslate.sbd', 'stanza', 'ctranslate2') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _cli(args, stdin: str, env_extra: dict[str, str] | None = None):
    env = dict(os.environ)
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        input=stdin.encode(),
        cwd=ROOT,
        capture_output=True,
        env=env,
        timeout=120,
    )


def test_cli_translate_lines(argos_test_models, tmp_path):
    lines = ["Việt Nam và Trung Quốc.", "", "Hà Nội ngày 20 tháng 2.", "Việt Nam và Trung Quốc."]
    tm_path = tmp_path / "tm.sqlite"
    proc = _cli(["translate", "--src", "vi", "--tgt", "en", "--memory", str(tm_path)], "\n".join(lines) + "\n")
    assert proc.returncode == 0, proc.stderr.decode()
    out = proc.stdout.decode().split("\n")
    assert out[-1] == "" and len(out[:-1]) == len(lines)
    assert out[1] == "" and out[0] == out[3] and out[0] and out[2]
    expected = translate_texts(lines, "vi", "en", memory=None)
    assert out[:-1] == [t.text if line else "" for t, line in zip(expected, lines)]
    assert "fresh 3, from memory 0, empty 1" in proc.stderr.decode()
    assert "WARNING: TEST model" in proc.stderr.decode()
    again = _cli(["translate", "--src", "vi", "--tgt", "en", "--memory", str(tm_path)], "\n".join(lines))
    assert again.returncode == 0
    assert again.stdout.decode().split("\n")[:-1] == out[:-1]
    assert "fresh 0, from memory 3, empty 1" in again.stderr.decode()


def test_cli_translate_missing_pair(argos_test_models, tmp_path):
    proc = _cli(["translate", "--src", "vi", "--tgt", "en"], "xin chào\n", {"ARGOS_PACKAGES_DIR": str(tmp_path / "empty")})
    assert proc.returncode == 3
    err = proc.stderr.decode()
    assert "vi→en" in err and "newsbridge models install" in err
    assert proc.stdout == b""


def test_non_nfc_input_is_translated_as_given(argos_test_models, tmp_path):
    import unicodedata

    texts = [unicodedata.normalize("NFD", t) for t in generate_lines("vi", 40, seed=77)]
    assert any(unicodedata.normalize("NFC", t) != t for t in texts)
    ours = translate_texts(texts, "vi", "en", memory=None)
    assert [o.text for o in ours] == argos_translate_all(texts, "vi", "en")
    with open_memory(tmp_path / "tm.sqlite") as tm:  # the memory keys on the NFC form
        translate_texts(texts, "vi", "en", memory=tm)
        nfc = [unicodedata.normalize("NFC", t) for t in texts]
        assert all(t.from_memory for t in translate_texts(nfc, "vi", "en", memory=tm))


def test_prefect_task_wrapper_runs_the_same_function(argos_test_models, tmp_path):
    from tasks.translate.engine import _task

    segs = [_segment(0, "Việt Nam và Trung Quốc.", "vi"), _segment(1, "Hello.", "en")]
    out, stats = _task().fn([s.model_copy() for s in segs], "en", str(tmp_path / "tm.sqlite"))
    assert (stats.fresh, stats.copied) == (1, 1)
    direct = translate_texts([segs[0].text], "vi", "en", memory=None)[0]
    assert out[0].translation.text == direct.text and out[1].translation.model == "copy"
