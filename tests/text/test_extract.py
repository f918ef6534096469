"""Extraction: golden with/without snippets on pages we wrote, metadata, errors, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from tasks.text.extract import (
    EXTRACTOR_SIGNATURE,
    ExtractionError,
    choose_candidate,
    extract_article,
    is_boilerplate_line,
    is_metadata_line,
)

ROOT = Path(__file__).resolve().parents[2]
MENU = ["Home", "World", "Business", "Sport", "Culture", "Travel", "Weather", "Video", "Sign in", "Subscribe"]
PAGES = ROOT / "tests" / "fixtures" / "pages"


def _page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


# (fixture, url, snippets that must survive, snippets that must not)
GOLDEN = [
    (
        "vi_article.html",
        "https://baomau.example/khoa-hoc/x.html",
        [
            "Ngày 20/2/2025, tại TP. Hà Nội, đại diện hai bên đã ký biên bản ghi nhớ",
            "PGS.TS. Nguyễn Văn An cho biết tổng vốn dành cho các dự án chung đạt khoảng 1,5 triệu USD",
            "Ưu tiên trí tuệ nhân tạo và nông nghiệp thông minh",
            "đến năm 2030 hai bên sẽ công bố ít nhất 100 bài báo khoa học chung và đăng ký 20 sáng chế.",
        ],
        [
            "Thời sự",
            "Tin liên quan",
            "Khai mạc Tuần lễ văn hóa",
            "Bình luận",
            "Bài viết rất hay",
            "Cần công khai danh sách",
            "Viết bình luận",
            "Bảo lưu mọi quyền",
            "Chia sẻ",
        ],
    ),
    (
        "zh_portal_gbk.html",
        "http://edu.example.cn/2024/0522/1.html",
        [
            "5月22日，2024职业教育国际交流与合作论坛暨中越职业教育产教联盟成立大会在南宁举行。",
            "论坛以“互通·融合·共享·共赢”为主题",
            "每年为越方培养一百名以上的技术人才。",
            "他希望双方在师资培训、课程标准等方面开展更多合作。",
        ],
        [
            "首页",
            "您现在的位置",
            "分享到",
            "相关新闻",
            "广西高校代表团访问河内",
            "热点排行",
            "高考志愿填报指南发布",
            "关于我们",
            "京ICP备",
            "版权所有",
            "公网安备",
        ],
    ),
    (
        "zh_article_with_feed.html",
        "https://news.example.cn/2025/0220/1.html",
        [
            "2月18日，来自越南的二十名留学生走进广西百色市的一个村庄",
            "“这里的芒果和我家乡的很像。”一名来自河内的学生说",
        ],
        ["首页", "第1条推荐新闻标题", "据报道，近日广西多个市县集中签约", "2025-02-20 10:00 来源", "ICP", "版权所有"],
    ),
    (
        "en_with_zh_footer.html",
        "https://www.example-college.edu.cn/en/news/2.html",
        [
            "On May 22, the 2024 Forum on International Exchange and Cooperation in Vocational Education was held in Nanning.",
            "Mr. Do Nam Trung, Consul General of Vietnam in Nanning",
            "The alliance currently has 71 member units.",
        ],
        [
            "Admission",
            "Location:",
            "Previous:",
            "Spring sports meeting",
            "地址",
            "备案",
            "ICP",
            "Copyright Reserved",
        ],
    ),
]


@pytest.mark.parametrize(("name", "url", "keep", "drop"), GOLDEN, ids=[g[0] for g in GOLDEN])
def test_golden_with_without(name: str, url: str, keep: list[str], drop: list[str]) -> None:
    doc = extract_article(_page(name), url=url, source_id="fixture")
    for snippet in keep:
        assert snippet in doc.text, f"lost: {snippet!r}"
    for snippet in drop:
        assert snippet not in doc.text, f"kept boilerplate: {snippet!r}"
    assert doc.text == "\n\n".join(doc.paragraphs)
    assert all(p and p == p.strip() for p in doc.paragraphs)
    assert unicodedata.is_normalized("NFC", doc.text)


def test_vi_metadata() -> None:
    doc = extract_article(_page("vi_article.html"), url="https://baomau.example/khoa-hoc/x.html", source_id="bm")
    assert doc.title == "Hà Nội và Quảng Tây ký kết hợp tác khoa học công nghệ"
    assert doc.date is not None and doc.date.startswith("2025-02-20")
    assert doc.author == "Trần Thị Mai"
    assert doc.canonical_url == "https://baomau.example/khoa-hoc/ha-noi-quang-tay-hop-tac-2025.html"
    assert doc.page_lang == "vi"
    assert (doc.charset, doc.charset_source) == ("utf-8", "utf-8")
    assert doc.source_id == "bm"
    assert doc.extractor.startswith(EXTRACTOR_SIGNATURE)
    assert "trafilatura/" in doc.extractor and "lxml/" in doc.extractor


def test_gbk_portal_charset_and_title() -> None:
    content = _page("zh_portal_gbk.html")
    with pytest.raises(UnicodeDecodeError):
        content.decode("gb2312")  # the page declares gb2312 but needs GBK (王喆)
    doc = extract_article(content, url="http://edu.example.cn/2024/0522/1.html")
    assert doc.charset in {"gb18030", "gbk"}
    assert doc.title == "南宁举办中越职业教育合作论坛"
    assert doc.date is not None and doc.date.startswith("2024-05-22")
    assert "\ufffd" not in doc.text


def test_nfd_input_becomes_nfc() -> None:
    html = (
        "<html><body><article><h1>Tiêu đề bài</h1>"
        "<p>Người dân Việt Nam đón Tết Nguyên Đán cùng gia đình và bạn bè ở khắp mọi miền đất nước.</p>"
        "<p>Các chợ hoa xuân mở cửa từ sáng sớm tới khuya, đông nghịt người mua sắm và du khách.</p>"
        "</article></body></html>"
    )
    nfd = unicodedata.normalize("NFD", html).encode("utf-8")
    doc = extract_article(nfd, url="")
    assert "Người dân Việt Nam đón Tết" in doc.text
    assert unicodedata.is_normalized("NFC", doc.text)
    assert doc.title is not None and unicodedata.is_normalized("NFC", doc.title)


def test_selector_wins_and_is_recorded() -> None:
    html = (
        "<html><body><div id='menu'><p>Menu item one</p></div>"
        "<div class='story'><p>Only this paragraph is the story we want.</p></div>"
        "<div class='other'><p>A much longer unrelated block of text that a generic extractor might"
        " happily keep because it is long and full of words and sentences. It goes on and on.</p></div>"
        "</body></html>"
    ).encode()
    doc = extract_article(html, url="", selector="div.story")
    assert doc.paragraphs == ["Only this paragraph is the story we want."]
    assert doc.selector == "div.story"
    assert doc.extractor.endswith("|selector:div.story") and doc.extraction_confidence == 1.0


def test_selector_still_drops_widgets_inside_the_chosen_element() -> None:
    # The Vietnamese article element holds a share bar and a keyword list of links.
    doc = extract_article(_page("vi_article.html"), url="", selector="article.article-detail")
    assert doc.paragraphs[0] == "Hà Nội và Quảng Tây ký kết hợp tác khoa học công nghệ"
    assert "PGS.TS. Nguyễn Văn An" in doc.text
    assert "Facebook" not in doc.text and "Zalo" not in doc.text
    assert "Tin liên quan" not in doc.text and "Bình luận" not in doc.text
    assert "16:07" not in doc.text and "Từ khóa" not in doc.text


def test_bad_selector_is_a_clear_error() -> None:
    with pytest.raises(ExtractionError) as err:
        extract_article(_page("vi_article.html"), url="", selector="div[[[")
    assert err.value.reason == "bad_selector"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty_page"),
        (b"   \n ", "empty_page"),
        (b"<html><head><title>x</title></head><body><nav><a href='/'>Home</a></nav></body></html>", "no_main_text"),
    ],
)
def test_no_main_text_raises_with_reason(content: bytes, reason: str) -> None:
    with pytest.raises(ExtractionError) as err:
        extract_article(content, url="http://example.invalid/")
    assert err.value.reason == reason


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("京ICP备12345678号", True),
        ("Copyright Reserved 2024 Example College | 桂ICP备05003597号", True),
        ("备案:45010302000129", True),
        ("Copyright © 2024 Example News. All rights reserved.", True),
        ("京公网安备11010502000001号", True),
        ("本网站版权所有，未经授权禁止转载", True),
        ("The ICP said the new copyright law passed in 2024 protects authors of every kind.", False),
        ("Foreign firms must obtain an ICP license before they can host websites in China.", False),
        ("Copyright holders sued the company in 2023 over the use of their books.", False),
        ("法院认定原告是该作品的版权所有者。", False),
        ("Tin liên quan", True),
        ("© 2025 Báo Mẫu. Bảo lưu mọi quyền.", True),
        ("今年共有71家单位加入联盟。", False),
        ("正在加载...", True),
        ("您此时的心情", True),
        ("新闻表情排行 日/周", True),
        ("读完这篇文章后，您心情如何？", True),
        ("正在加载的货物于今晚启运，预计三天后抵达港口。", False),
        ("您此时的心情决定了您对这件事的判断，专家建议冷静思考。", False),
    ],
)
def test_boilerplate_lines(line: str, expected: bool) -> None:
    assert is_boilerplate_line(line) is expected


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", "extract", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_extract_prints_json() -> None:
    proc = _run_cli(str(PAGES / "zh_portal_gbk.html"), "--url", "http://edu.example.cn/a.html")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) >= {"title", "date", "author", "canonical_url", "charset", "charset_source", "paragraphs", "lang"}
    assert out["title"] == "南宁举办中越职业教育合作论坛"
    assert out["charset_source"] in {"meta", "detector", "http-header"}
    assert any("中越职业教育产教联盟" in p for p in out["paragraphs"])


def test_cli_extract_error_is_json_and_nonzero(tmp_path: Path) -> None:
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    proc = _run_cli(str(empty))
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["error"] == "empty_page"


def test_extract_does_not_import_prefect_or_argos() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from flows.cli.main import app\n"
        f"r = CliRunner().invoke(app, ['extract', {str(PAGES / 'vi_article.html')!r}])\n"
        "assert r.exit_code == 0, r.output\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('prefect', 'argostranslate'))\n"
        "print(','.join(heavy))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


def test_gbk_portal_uses_density_pass_and_byline_author() -> None:
    # A table-layout portal: the char-density pass is chosen for Han text.
    doc = extract_article(_page("zh_portal_gbk.html"), url="http://edu.example.cn/a.html")
    assert "|generic:density" in doc.extractor
    assert doc.author == "王喆"
    assert doc.paragraphs[0].startswith("5月22日，2024职业教育国际交流与合作论坛")


def test_selector_matching_nothing_falls_back_to_generic() -> None:
    doc = extract_article(_page("vi_article.html"), url="", selector="div.no-such-box")
    assert "|generic:" in doc.extractor and doc.extractor.endswith("(selector-empty)")
    assert doc.extraction_confidence is not None
    assert "PGS.TS. Nguyễn Văn An" in doc.text


def _to_cp1258(text: str) -> bytes:
    """Windows-1258 has ư, ơ, â... precomposed but tones only as combining marks."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            tones = "".join(c for c in parts if c in "\u0300\u0301\u0303\u0309\u0323")
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
            out += (base + tones).encode("cp1258")
    return bytes(out)


def test_windows_1258_vietnamese_comes_out_nfc() -> None:
    body = (
        "<html><head><meta charset='windows-1258'><title>Tin tức</title></head><body><article>"
        "<p>Người dân Việt Nam đón Tết Nguyên Đán cùng gia đình và bạn bè ở khắp mọi miền đất nước.</p>"
        "<p>Các chợ hoa xuân mở cửa từ sáng sớm tới khuya, đông nghịt người mua sắm và du khách.</p>"
        "</article></body></html>"
    )
    content = _to_cp1258(body)
    doc = extract_article(content, url="", headers={"Content-Type": "text/html"})
    assert doc.charset == "windows-1258" or doc.charset == "cp1258"
    assert "Người dân Việt Nam đón Tết Nguyên Đán" in doc.text
    assert unicodedata.is_normalized("NFC", doc.text)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("2024年05月22日 15:30 来源：示例日报 作者：王喆", True),
        ("2005-04-27 14:32更新 来源：千龙新闻网", True),
        ("（责任编辑：李明）", True),
        ("您现在的位置：首页 > 教育 > 正文", True),
        ("Published 4:00 am CST, Wednesday, November 20, 2019", True),
        ("By Jane Smith", True),
        ("Trần Thị Mai · 20/2/2025 16:07", True),
        ("Thứ năm, 20/2/2025, 16:07 (GMT+7)", True),
        ("Từ khóa: hợp tác khoa học Quảng Tây", True),
        ("Ngày 20/2/2025 16:07, hai bên đã ký biên bản ghi nhớ về hợp tác khoa học.", False),
        ("By the end of 2024, the alliance had 71 members.", False),
        ("By the way, he said it was fine.", False),
        ("By Jane Smith and John Doe, Reuters", True),
        ("时间：2005-08-22 19:13:18", True),
        ("时间：5月22日上午9时，地点：南宁国际会展中心", False),
        ("5月22日，论坛在南宁举行。", False),
    ],
)
def test_metadata_lines(line: str, expected: bool) -> None:
    assert is_metadata_line(line) is expected


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [
        # Han text: the density pass, even when trafilatura kept more (a whole forum thread).
        ({"trafilatura": ["第一段内容很长。", "网友回复一。", "网友回复二。"], "density": ["第一段内容很长。"]}, "density"),
        # Latin text, nested and similar: trafilatura.
        ({"trafilatura": ["One two three four five six."], "density": ["One two three four five six.", "Menu"]}, "trafilatura"),
        # Latin text, trafilatura stopped early inside what the density pass kept: density.
        (
            {
                "trafilatura": ["Alpha beta gamma delta epsilon zeta."],
                "density": ["Alpha beta gamma delta epsilon zeta.", "Eta theta iota kappa lambda mu nu xi omicron pi rho."],
                "trafilatura_recall": ["Alpha beta gamma delta epsilon zeta.", "Eta theta iota kappa lambda mu nu xi omicron pi rho."],
            },
            "density",
        ),
        # Han text where the density pass kept only short lines: trafilatura's prose.
        ({"trafilatura": ["这是一段足够长的中文正文，讲述了会议的经过。"], "density": ["首页", "新闻"]}, "trafilatura"),
        # Latin text, trafilatura kept the article plus a long menu the page shows as links: density.
        (
            {
                "trafilatura": MENU + ["Markets fell on Monday after the central bank spoke."],
                "density": ["Markets fell on Monday after the central bank spoke."],
                "widgets": MENU,
            },
            "density",
        ),
        # ... the same short lines without evidence that they are links/widgets (a poem, a
        # list in the article): trafilatura, never a density pass that kept a sliver.
        (
            {
                "trafilatura": MENU + ["Markets fell on Monday after the central bank spoke."],
                "density": ["Markets fell on Monday after the central bank spoke."],
            },
            "trafilatura",
        ),
        # ... but when its extra is sentences, trafilatura (the density pass missed text).
        (
            {
                "trafilatura": ["Markets fell on Monday after the central bank spoke.",
                                "Investors had expected a cut in interest rates this month.",
                                "Analysts said the decision surprised almost everyone in the room."],
                "density": ["Markets fell on Monday after the central bank spoke."],
            },
            "trafilatura",
        ),
        # One side empty: the other.
        ({"trafilatura": [], "density": ["Only this one here."]}, "density"),
        ({"trafilatura": ["Only this one here."], "density": []}, "trafilatura"),
    ],
)
def test_choose_candidate(candidates: dict[str, list[str]], expected: str) -> None:
    assert choose_candidate(candidates)[0] == expected


def test_cli_lang_declared_or_detected() -> None:
    out = json.loads(_run_cli(str(PAGES / "vi_article.html")).stdout)
    assert (out["lang"], out["lang_source"]) == ("vi", "html")
    out = json.loads(_run_cli(str(PAGES / "zh_portal_gbk.html")).stdout)
    assert out["lang"].startswith("zh") and out["lang_source"] == "detected"


def test_deeply_nested_page_keeps_its_text() -> None:
    # Unclosed <font>/<div> nesting ~1800 deep: past libxml2's default depth (255) and
    # Python's recursion limit; the text must still come out.
    paras = "".join(f"<p>第{i}段：这是一个嵌套很深的旧式门户页面，正文依然需要被完整地提取出来。</p>" for i in range(3))
    html = "<html><body>" + "<div><font>" * 900 + paras + "</font></div>" * 900 + "</body></html>"
    doc = extract_article(html.encode("utf-8"), url="")
    assert [p[:3] for p in doc.paragraphs] == ["第0段", "第1段", "第2段"]


def test_html_comments_are_dropped_but_their_tails_kept() -> None:
    html = (
        "<html><body><article><p>Hai bên thống nhất<!-- ad slot --> tăng cường hợp tác trong lĩnh vực"
        " khoa học và công nghệ, đặc biệt là trí tuệ nhân tạo.</p></article></body></html>"
    )
    doc = extract_article(html.encode("utf-8"), url="")
    assert "Hai bên thống nhất tăng cường hợp tác" in doc.text
    assert "ad slot" not in doc.text


def test_title_becomes_paragraph_zero_once():
    from tasks.text.extract import with_title_paragraph
    from tasks.models import Document

    doc = Document(source_id="s", url="http://x", title="Tiêu đề", paragraphs=["Câu một."], text="Câu một.")
    titled = with_title_paragraph(doc)
    assert titled.paragraphs == ["Tiêu đề", "Câu một."] and titled.text == "Tiêu đề\n\nCâu một."
    assert with_title_paragraph(titled).paragraphs == titled.paragraphs  # not twice
    assert with_title_paragraph(doc.model_copy(update={"title": None})).paragraphs == ["Câu một."]
