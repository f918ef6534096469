"""Language detection: script evidence + seeded, restricted langdetect; CLI contract."""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from tasks.text.detect import DETECTOR_SIGNATURE, Detection, detect_lines, detect_segments, detect_text, page_language
from tasks.models import Segment

ROOT = Path(__file__).parents[2]

CASES = [
    # (text, expected lang) — sentences written for this suite
    ("Hôm nay Thủ tướng đã chủ trì cuộc họp với các bộ ngành về giá xăng dầu.", "vi"),
    ("Giá vàng tăng mạnh", "vi"),
    ("Đà Nẵng mưa to", "vi"),
    ("THỦ TƯỚNG CHỈ ĐẠO KHẨN CẤP VỀ BÃO SỐ 3", "vi"),
    # a Chinese name in Han characters inside a Vietnamese sentence
    ("Ông Tập Cận Bình (习近平) đã có cuộc gặp với lãnh đạo Việt Nam tại Bắc Kinh.", "vi"),
    # Vietnamese names inside an English sentence
    ("Prime Minister Phạm Minh Chính met investors in Hà Nội on Tuesday.", "en"),
    ("The central bank said inflation would stay below four percent this year.", "en"),
    ("Markets rallied.", "en"),
    ("国务院总理主持召开常务会议，研究部署稳经济一揽子政策。", "zh-Hans"),
    ("行政院長今天在立法院報告，說明經濟發展與國家安全的關係。", "zh-Hant"),
    # an English brand inside a Chinese sentence
    ("苹果公司今天发布了新款iPhone手机，售价与去年持平。", "zh-Hans"),
    ("蘋果公司今天發表了新款iPhone手機。", "zh-Hant"),
    # a Chinese term inside an English sentence
    ("The word 和平 means peace and appears on many banners in the city.", "en"),
    ("東京都は今日、新しい計画を発表しました。", "ja"),
    ("서울에서 오늘 회의가 열렸습니다.", "ko"),
    ("วันนี้อากาศดีมาก", "th"),
    ("Сегодня в Москве прошло заседание правительства.", "ru"),
    ("Уряд України ухвалив нове рішення щодо економіки.", "uk"),
    ("Madame la ministre a précisé que les négociations reprendront à Genève la semaine prochaine avec les représentants français.", "fr"),
    ("Die Bundesregierung möchte die Förderung für Wärmepumpen in diesem Jahr deutlich erhöhen.", "de"),
    # names are runs of capitals: they vote once, softly
    ("Nguyễn Phú Trọng, Tô Lâm, Võ Văn Thưởng attended.", "en"),
    ("Donald Trump và Joe Biden tranh luận", "vi"),
    ("Bánh mì and phở are staples.", "en"),
    # brands and glosses inside Chinese sentences
    ("iPhone 15 Pro Max发布", "zh-Hans"),
    ("BBC 蘇格蘭的 Alasdair Lamont 在 Tony Macaroni Arena 報導", "zh-Hant"),
    ("這是必須的 (Il faut bien le faire)。", "zh-Hant"),
    ("Xi Jinping (习近平) visited Hanoi.", "en"),
    # Traditional usage the character tables alone do not show (於), and quotation marks
    ("他於今年離開", "zh-Hant"),
    ("他於去年", "zh-Hant"),
    ("「她哭了」", "zh-Hant"),
    ("“她哭了”", "zh-Hans"),
    # Simplified usage only phrases show: both Taiwan and Hong Kong write 工黨, 每週
    ("工党主席", "zh-Hans"),
    ("每周都去", "zh-Hans"),
    # Chinese grammar around lowercase Latin terms: the Latin words name things
    ("設定 git pull/status 的上游", "zh-Hant"),
    ("無法 reset --hard", "zh-Hant"),
    ("可验证的属性：pkgname, archname, trigname, version.", "zh-Hans"),
    ("I love 中国 food and music.", "en"),
    ("Please type 中文 here.", "en"),
    # very short English: no Vietnamese mark anywhere leans English
    ("I try.", "en"),
    ("So long.", "en"),
    ("Tom quit.", "en"),
    ("Hmm.", "en"),
    # ...unless every plain word reads as a Vietnamese syllable typed without marks
    ("Hom nay troi dep qua, chung toi di choi cong vien.", "vi"),
    ("Gia vang hom nay tang manh tren thi truong the gioi.", "vi"),
    ("Mary has a long hat.", "en"),
    # ...while one mark is enough for Vietnamese
    ("Tom đi.", "vi"),
    ("Mary ơi!", "vi"),
    # a transliterated name is one name: its lowercase pieces are not English words
    ("Tiếng Xi-ri", "vi"),
    ("Thủ tướng I-xra-en", "vi"),
    ("A well-known man", "en"),
    # a bare name outside brackets: the words inside decide
    ("Del (Ô phím số)", "vi"),
    # words a page ran together still carry Vietnamese-only letters
    ("thuộctin sởthay", "vi"),
    ("12/11/2024 — 15:30", "und"),
    ("https://vnexpress.net/gia-vang-1234.html", "und"),
    ("+84 24 3825 1234, info@example.vn", "und"),
    ("… — !!!", "und"),
    ("", "und"),
]


@pytest.mark.parametrize("text,expected", CASES)
def test_detect_text_table(text: str, expected: str) -> None:
    det = detect_text(text)
    assert isinstance(det, Detection)
    assert det.lang == expected, (text, det)
    assert det.evidence, "every decision records its evidence"
    assert 0.0 <= det.score <= 1.0
    if expected == "und":
        assert det.score == 0.0
    else:
        assert det.score > 0.5


def test_simplified_usage_needs_both_regions_to_agree() -> None:
    # 工党: Taiwan and Hong Kong both write 工黨 — evidence of Simplified usage.
    assert any(e.startswith("zh-phrases:simp=") for e in detect_text("工党今天休息").evidence)
    # 台: Hong Kong keeps it, so a line of such characters stays without a variant.
    assert "zh-variant:neutral" in detect_text("台北今天下雨").evidence


def test_nfd_vietnamese_is_vietnamese() -> None:
    text = unicodedata.normalize("NFD", "Người dân đổ xô đi mua vàng trong ngày vía Thần Tài.")
    assert text != unicodedata.normalize("NFC", text)
    assert detect_text(text).lang == "vi"


def test_fullwidth_latin_is_latin() -> None:
    assert detect_text("ＴＨＥ ＰＲＥＳＩＤＥＮＴ ＳＡＩＤ ＴＨＡＴ ＴＨＥ ＴＡＬＫＳ ＷＯＵＬＤ ＣＯＮＴＩＮＵＥ").lang == "en"


def test_statistical_path_is_deterministic() -> None:
    # No Vietnamese marks and vi-shaped syllables: langdetect decides; seeded, so stable.
    text = "Ha Noi sang nay co mua to"
    first = detect_text(text)
    assert any(e.startswith("langdetect[en,vi]") for e in first.evidence)
    for _ in range(5):
        again = detect_text(text)
        assert (again.lang, again.score) == (first.lang, first.score)


def test_signature_names_the_detector() -> None:
    assert DETECTOR_SIGNATURE.startswith("newsbridge-detect/")
    assert "langdetect/" in DETECTOR_SIGNATURE and "seed=" in DETECTOR_SIGNATURE


def _segments(rows: list[tuple[int, str]]) -> list[Segment]:
    out, pos, sentence, last_para = [], 0, 0, None
    for para, text in rows:
        sentence = sentence + 1 if para == last_para else 0
        last_para = para
        out.append(Segment(id=f"d:{para}:{sentence}", paragraph=para, sentence=sentence,
                           start=pos, end=pos + len(text), text=text))
        pos += len(text) + 1
    return out


def test_und_inherits_from_paragraph_then_page() -> None:
    segs = _segments([
        (0, "Giá xăng dầu trong nước được điều chỉnh tăng từ 15 giờ chiều nay."),
        (0, "12.500 đồng"),  # has a Vietnamese word: stays vi on its own
        (0, "2024"),
        (1, "https://example.vn/tin-tuc"),
        (2, "Người dân đổ xô đi mua xăng trước giờ điều chỉnh giá."),
    ])
    out = detect_segments(segs)
    assert [s.lang for s in out] == ["vi", "vi", "vi", "vi", "vi"]
    assert "inherited:paragraph=vi" in out[2].lang_evidence
    assert "inherited:page=vi" in out[3].lang_evidence
    assert out[2].lang_score < out[0].lang_score
    # inputs untouched, ids kept
    assert segs[2].lang == "und" and [s.id for s in out] == [s.id for s in segs]


def test_und_without_any_context_uses_hint_or_stays_und() -> None:
    segs = _segments([(0, "2024"), (1, "…")])
    assert [s.lang for s in detect_segments(segs)] == ["und", "und"]
    assert [s.lang for s in detect_segments(segs, hint="en")] == ["en", "en"]
    assert [s.lang for s in detect_segments(segs, hint="auto")] == ["und", "und"]


def test_weak_short_segment_leans_on_neighbours() -> None:
    # "Tin moi" (Vietnamese typed without marks) is too thin to judge alone; in a
    # Vietnamese paragraph it is Vietnamese, in an English one English.
    short = "Tin moi"
    alone = detect_text(short)
    assert alone.weak
    vi_segs = _segments([
        (0, "Chủ tịch nước đã tiếp đoàn đại biểu cựu chiến binh tiêu biểu."),
        (0, short),
        (0, "Buổi gặp mặt diễn ra trong không khí ấm cúng."),
    ])
    out = detect_segments(vi_segs)
    assert out[1].lang == "vi"
    assert "lean:paragraph=vi" in out[1].lang_evidence or alone.lang == "vi"
    en_segs = _segments([
        (0, "The president received a delegation of veterans on Monday."),
        (0, short),
        (0, "The meeting ended in the afternoon."),
    ])
    assert detect_segments(en_segs)[1].lang == "en"
    # A confident English word is not pulled into Vietnamese.
    word = _segments([(0, "Giá vàng hôm nay tăng mạnh trên thị trường thế giới."), (0, "Markets rallied strongly.")])
    assert detect_segments(word)[1].lang == "en"


def test_confident_segment_keeps_its_language_among_other_neighbours() -> None:
    # An English quote in a Vietnamese article stays English.
    segs = _segments([
        (0, "Phát biểu tại hội nghị, ông cho biết Việt Nam sẵn sàng hợp tác."),
        (0, "We are ready to work with all partners in the region to keep supply chains open."),
        (0, "Hội nghị kết thúc vào chiều cùng ngày."),
    ])
    assert [s.lang for s in detect_segments(segs)] == ["vi", "en", "vi"]


def test_neutral_han_segment_takes_page_variant() -> None:
    # Every character of 日本人 is written the same in both scripts.
    neutral = "日本人"
    det = detect_text(neutral)
    assert det.lang.startswith("zh") and "zh-variant:neutral" in det.evidence
    segs = _segments([(0, "臺灣的總統今天發表談話，強調國家安全與經濟發展。"), (1, neutral)])
    out = detect_segments(segs)
    assert [s.lang for s in out] == ["zh-Hant", "zh-Hant"]


def test_page_language_is_majority_by_characters() -> None:
    segs = detect_segments(_segments([
        (0, "Thị trường chứng khoán hôm nay giảm điểm mạnh do áp lực bán ra."),
        (1, "Stocks fell."),
    ]))
    assert page_language(segs) == "vi"
    assert page_language([]) is None


def test_neutral_chinese_line_takes_script_of_nearby_chinese_lines() -> None:
    trad = ["臺灣的總統今天發表談話。", "他有很多英雄。", "Hôm nay trời đẹp."]
    simp = ["国务院今天召开会议。", "他有很多英雄。"]
    assert [lang for lang, _ in detect_lines(trad)] == ["zh-Hant", "zh-Hant", "vi"]
    assert [lang for lang, _ in detect_lines(simp)] == ["zh-Hans", "zh-Hans"]
    assert detect_lines(["他有很多英雄。"])[0][0] == "zh-Hans"  # alone: the more common script


def test_neutral_line_in_a_mixed_stretch_takes_the_input_majority() -> None:
    # Two Traditional lines around it: a document's run, the neutral line follows it even
    # though the input as a whole is mostly Simplified (those lines are out of the window).
    run = ["國務院今天開會。", "他有很多英雄。", "臺灣的總統發表談話。"] + ["Hôm nay trời đẹp."] * 5 \
        + ["国务院今天召开会议。"] * 3
    assert detect_lines(run)[1][0] == "zh-Hant"
    # Traditional and Simplified lines disagree around it: no local script, so the
    # input's majority (Simplified here) decides, not whichever line happens to be nearest.
    mixed = ["國務院今天開會。", "他有很多英雄。", "国务院今天召开会议。", "国务院今天召开会议。"]
    assert detect_lines(mixed)[1][0] == "zh-Hans"
    mixed_trad_majority = ["国务院今天召开会议。", "他有很多英雄。", "國務院今天開會。", "國務院今天開會。"]
    assert detect_lines(mixed_trad_majority)[1][0] == "zh-Hant"


@pytest.mark.parametrize("hint,expected", [
    ("vi", "vi"), ("vi-VN", "vi"), ("zh", "zh-Hans"), ("zh-CN", "zh-Hans"), ("zh-TW", "zh-Hant"),
    ("zh-Hant-HK", "zh-Hant"), ("zh_hk", "zh-Hant"), ("en-US", "en"), ("auto", "und"), ("", "und"),
])
def test_hint_fallback_understands_page_language_tags(hint: str, expected: str) -> None:
    assert detect_segments(_segments([(0, "2024")]), hint=hint)[0].lang == expected


def test_detect_lines_keeps_count_and_order() -> None:
    lines = ["Xin chào các bạn", "", "中华人民共和国", "   ", "Hello there, how are you today?"]
    res = detect_lines(lines)
    assert [lang for lang, _ in res] == ["vi", "und", "zh-Hans", "und", "en"]
    assert res[1] == ("und", 0.0)


def _run_cli(stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "flows.cli", "detect"], input=stdin, cwd=ROOT,
                          capture_output=True, timeout=120, check=False)


def test_cli_one_line_out_per_line_in() -> None:
    text = "Xin chào các bạn\n\n中華民國的學生\r\nThe talks will resume next week.\n2024\n"
    proc = _run_cli(text.encode("utf-8"))
    assert proc.returncode == 0, proc.stderr.decode()
    out = proc.stdout.decode("utf-8").split("\n")
    assert out[-1] == ""
    rows = [line.split("\t") for line in out[:-1]]
    assert [r[0] for r in rows] == ["vi", "und", "zh-Hant", "en", "und"]
    assert all(len(r) == 2 and 0.0 <= float(r[1]) <= 1.0 for r in rows)


def test_cli_last_line_without_newline_and_bad_bytes() -> None:
    proc = _run_cli("Hôm nay trời mưa\n".encode() + b"\xff\xfe broken\n" + "最后一行".encode())
    assert proc.returncode == 0, proc.stderr.decode()
    langs = [line.split("\t")[0] for line in proc.stdout.decode().splitlines()]
    assert len(langs) == 3 and langs[0] == "vi" and langs[2] == "zh-Hans"


def test_cli_empty_input_gives_empty_output() -> None:
    proc = _run_cli(b"")
    assert proc.returncode == 0 and proc.stdout == b""


def test_detect_command_does_not_import_prefect_or_argos() -> None:
    code = (
        "import sys, io\n"
        "sys.stdin = io.TextIOWrapper(io.BytesIO('Xin chào\\n'.encode()))\n"
        "from flows.cli.main import app\n"
        "try:\n"
        "    app(['detect'], standalone_mode=False)\n"
        "finally:\n"
        "    bad = sorted(m for m in sys.modules if m.split('.')[0] in ('prefect', 'argostranslate'))\n"
        "    print('HEAVY', bad, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode().startswith("vi\t")
    assert "HEAVY []" in proc.stderr.decode(), proc.stderr.decode()
