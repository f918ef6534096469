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
