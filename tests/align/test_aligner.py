"""The evidence aligner on comparable versions: no evidence, no link; calibrated export; bad input."""

from __future__ import annotations

from align_support import EN, VI, ZH

from tasks.align.calibration import align_model
from tasks.align.evidence import anchor_overlap, is_link_line
from tasks.align.lexicon import Glosser, learn_lexicon
from tasks.align.sentences import align_sentences_detailed

# English lines about something else, as long as the story's own lines.
UNRELATED = [
    "Heavy snow closed mountain passes across the northern province overnight.",
    "The orchestra's new season opens with a programme of rarely heard symphonies.",
    "A rare species of orchid has been found growing wild near the coast.",
]


def _linked(result) -> list[tuple[list[int], list[int]]]:
    return [(link.src, link.tgt) for link in result.links if link.src and link.tgt]


def _exported(result) -> list[tuple[list[int], list[int]]]:
    return [(link.src, link.tgt) for link in result.links if link.export]


def test_sentences_sharing_no_evidence_stay_unlinked() -> None:
    # nothing in common: no number, name, quote or dictionary word -> no link at all
    result = align_sentences_detailed(["Trời mưa to.", "Ông ấy cười."], ["The cat sleeps on the mat today.", "Markets fell sharply."], "vi", "en")
    assert _linked(result) == []
    assert [link.score for link in result.links] == [0.0] * 4
    # a stray shared word ("new") may make a kept link, never an exported one
    result = align_sentences_detailed(VI[:3], UNRELATED, "vi", "en")
    assert _exported(result) == []
    assert all(link.score < align_model("vi", "en").export_threshold for link in result.links)


def test_a_drop_next_to_an_addition_is_not_linked_to_it() -> None:
    for lang, other in (("vi", VI), ("zh", ZH)):
        tgt = EN[:4] + [UNRELATED[0]] + EN[5:]  # English drops sentence 4 and adds a line there
        result = align_sentences_detailed(other, tgt, lang, "en")
        linked = _linked(result)
        assert ([4], [4]) not in linked
        assert all(s == t for s, t in linked), linked
        assert ([3], [3]) in linked and ([5], [5]) in linked


def test_a_moved_paragraph_is_linked_where_it_went_or_left_unlinked() -> None:
    order = [7, 8, 0, 1, 2, 3, 4, 5, 6, 9]  # sentences 7-8 moved to the top
    tgt = [EN[k] for k in order]
    for lang, other in (("vi", VI), ("zh", ZH)):
        result = align_sentences_detailed(other, tgt, lang, "en")
        right = {(k, pos) for pos, k in enumerate(order)}
        for s, t in _linked(result):
            assert len(s) == len(t) == 1 and (s[0], t[0]) in right, (s, t)
        assert len(_exported(result)) >= 8
        moved = [link for link in result.links if link.src == [7]]
        assert moved and moved[0].tgt in ([0], [])


def test_a_merge_needs_evidence_on_both_halves() -> None:
    # English line 3 holds sentence 3 plus an unrelated clause: no 1:2 / 2:1 takes it in
    tgt = EN[:3] + [EN[3] + " " + UNRELATED[1]] + EN[4:]
    result = align_sentences_detailed(VI, tgt, "vi", "en")
    assert all(len(s) == 1 for s, _ in _linked(result))
    assert ([3, 4], [3]) not in _linked(result)


def test_links_carry_probability_export_and_features() -> None:
    result = align_sentences_detailed(ZH, EN, "zh", "en")
    links = [link for link in result.links if link.src and link.tgt]
    assert len(links) == len(EN)
    for link in links:
        assert 0.0 <= link.score <= 1.0
        assert link.export == (link.score >= align_model("zh", "en").export_threshold)
        assert {"bead_logit", "margin", "lex_f1", "len_z", "anc"} <= set(link.features)
    assert all(link.export for link in links)


def test_models_are_read_from_data_per_pair() -> None:
    assert align_model("vi", "en").pair == "vi-en"
    assert align_model("en", "zh-Hant").pair == "zh-en"
    assert align_model("fr", "en").pair == "default"
    assert 0.0 < align_model("vi", "en").export_threshold < 1.0


# --------------------------------------------------------------------------- lexicons


def test_an_extra_lexicon_joins_the_dictionary() -> None:
    src = ["Con quokka đang ngủ trên cây.", "Hội đồng sẽ công bố toàn bộ kế hoạch trên trang web của mình."]
    tgt = ["The quokka sleeps in a tree.", "The council will publish the full plan on its website."]
    plain = Glosser("vi").glosses(src[0])
    extra = {"quokka": {"quokka": 0.9}, "ngủ": {"sleeps": 0.6, "sleep": 0.3}}
    richer = Glosser("vi", extra).glosses(src[0])
    assert len(richer) > len(plain) and frozenset({"quokk"}) in richer
    before = align_sentences_detailed(src, tgt, "vi", "en").links[0]
    after = align_sentences_detailed(src, tgt, "vi", "en", extra_lexicon=extra).links[0]
    assert after.features["lex_f1"] > before.features["lex_f1"]
    assert after.score >= before.score


def test_learn_lexicon_finds_word_translations() -> None:
    pairs = [
        ("con mèo ngủ", "the cat sleeps"),
        ("con mèo ăn", "the cat eats"),
        ("con chó ngủ", "the dog sleeps"),
        ("con chó ăn", "the dog eats"),
        ("con mèo chạy", "the cat runs"),
        ("con chó chạy", "the dog runs"),
    ]
    lex = learn_lexicon(pairs, "vi")
    assert max(lex["mèo"], key=lex["mèo"].__getitem__) == "cat"
    assert max(lex["chó"], key=lex["chó"].__getitem__) == "dog"


def test_the_memory_reviewed_pairs_are_evidence() -> None:
    src = ["Tôi không từ bỏ gì cả.", "Xin chào."]
    tgt = ["I didn't give up anything.", "Hello there, everyone."]
    result = align_sentences_detailed(src, tgt, "vi", "en", reviewed={src[0]: tgt[0]})
    first = next(link for link in result.links if link.src == [0])
    assert first.tgt == [0] and first.features.get("memory") == 1.0 and first.export


# --------------------------------------------------------------------------- bad input


def test_empty_versions_give_no_link_and_a_reason() -> None:
    result = align_sentences_detailed([], EN, "vi", "en")
    assert _linked(result) == [] and "empty version" in result.notes[0]
    result = align_sentences_detailed(VI, ["", "  "], "vi", "en")
    assert _linked(result) == [] and "empty version" in result.notes[0]


def test_two_versions_in_one_language_give_no_link_and_a_reason() -> None:
    result = align_sentences_detailed(EN, EN, "en", "en-GB")
    assert _linked(result) == [] and "both versions are in en" in result.notes[0]


def test_a_list_of_links_gives_no_link_and_a_reason() -> None:
    links = [f"https://example.org/news/{k}/story-{k}.html" for k in range(len(EN))]
    assert is_link_line(links[0]) and not is_link_line(EN[0])
    result = align_sentences_detailed(VI, links, "vi", "en")
    assert _linked(result) == [] and "list of links" in result.notes[0]
    # a single link line inside prose is left unlinked, the rest aligns
    mixed = EN[:5] + ["Read more: https://example.org/a/b.html"] + EN[5:]
    result = align_sentences_detailed(VI, mixed, "vi", "en")
    assert all(5 not in t for _, t in _linked(result)) and len(_exported(result)) >= 8


def test_a_version_twenty_times_longer_links_only_its_counterparts() -> None:
    filler = [f"Paragraph {k} of an unrelated archive page about the weather in spring." for k in range(200)]
    tgt = filler[:100] + EN[:3] + filler[100:]
    result = align_sentences_detailed(VI[:3], tgt, "vi", "en")
    assert all(s == [t[0] - 100] for s, t in _linked(result)), _linked(result)
    assert any("x the sentences" in note for note in result.notes)


def test_five_thousand_sentences_are_aligned_with_a_bounded_search() -> None:
    src = [VI[k % len(VI)] for k in range(5000)]
    tgt = [EN[k % len(EN)] for k in range(5000)]
    result = align_sentences_detailed(src, tgt, "vi", "en")
    assert [i for link in result.links for i in link.src] == list(range(5000)) or sorted(i for link in result.links for i in link.src) == list(range(5000))
    assert any("capped" in note for note in result.notes)
    linked = _linked(result)
    assert len(linked) > 4000 and sum(1 for s, t in linked if s == t) > 0.9 * len(linked)


def test_anchor_overlap_counts_shared_and_one_sided_anchors() -> None:
    from collections import Counter

    matched, num_miss, name_miss, punct = anchor_overlap(Counter({"n:30": 1, "w:nato": 1, "p:%": 1}), Counter({"n:30": 1, "n:5": 1, "p:%": 1}), {})
    assert (matched, num_miss, name_miss, punct) == (1.0, 1.0, 1.0, 0.25)


def test_cli_prints_the_reason_for_no_links(tmp_path) -> None:
    import json
    import subprocess
    import sys
    from pathlib import Path

    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("\n".join(EN) + "\n", encoding="utf-8")
    b.write_text("\n".join(EN) + "\n", encoding="utf-8")
    root = Path(__file__).parents[2]
    proc = subprocess.run([sys.executable, "-m", "flows.cli", "align", str(a), str(b), "--src", "en", "--tgt", "en"], cwd=root, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    links = json.loads(proc.stdout)
    assert links and not any(link["export"] for link in links)
    assert "both versions are in en" in proc.stderr
