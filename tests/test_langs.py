"""tasks/langs.py: one base language, one Han class, one "no spaces" rule for every stage."""

from __future__ import annotations

from tasks.langs import HAN_RE, base_lang, written_without_spaces


def test_base_lang() -> None:
    assert [base_lang(x) for x in ("zh-Hant", "zh-Hans", "en-GB", "en_US", "VI", "", None)] == ["zh", "zh", "en", "en", "vi", "und", "und"]


def test_han_class_covers_the_ideographs_and_nothing_else() -> None:
    assert all(HAN_RE.match(c) for c in "中文漢字\u3400\uf900\U00020000")
    assert not any(HAN_RE.match(c) for c in "aÀ。，かカ한")


def test_written_without_spaces() -> None:
    assert written_without_spaces("zh-Hant") and written_without_spaces("ja")
    assert not written_without_spaces("vi") and not written_without_spaces(None)


def test_one_abbreviation_list_for_segmentation_and_alignment() -> None:
    from tasks.align.evidence import count_sentences
    from tasks.langs import abbreviations
    from tasks.text.segment import split_sentences

    abbr = abbreviations()
    assert {"Mr", "U.S", "PGS.TS", "etc"} <= abbr.always and {"No", "Điều"} <= abbr.before_number
    assert "etc" in abbr.any_case and "Mr" not in abbr.any_case
    # the segmenter and the aligner's sentence count agree on the same text
    text = "Ông gặp PGS.TS. Nguyễn Văn A. tại Hà Nội. Mr. Smith came too."
    assert count_sentences(text, "vi") == len(split_sentences(text, "vi")) == 2
