"""Segmentation tables per language, offsets into Document.text, clause splits for MT."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from tasks.models import Document
from tasks.text.segment import segment_document, split_sentences, split_sentences_marked


def _sentences(text: str, lang: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text, lang)]


ZH = [
    ("今天天气很好。我们去公园吧！", ["今天天气很好。", "我们去公园吧！"]),
    ("你去吗？我不去。", ["你去吗？", "我不去。"]),
    ("他说：“我们走吧。”然后离开了。", ["他说：“我们走吧。”", "然后离开了。"]),
    ("「你好。」她笑了。", ["「你好。」", "她笑了。"]),
    ("『真的嗎？』他問。", ["『真的嗎？』", "他問。"]),
    ("会议取得成功（详见附件。）下一步将继续合作。", ["会议取得成功（详见附件。）", "下一步将继续合作。"]),
    ("一是加强合作；二是扩大交流。", ["一是加强合作；", "二是扩大交流。"]),
    ("他沉默了……过了很久才开口。", ["他沉默了……", "过了很久才开口。"]),
    ("增长了1.5%，达到3.2亿元。", ["增长了1.5%，达到3.2亿元。"]),
    ("2025年2月20日，双方签署协议。", ["2025年2月20日，双方签署协议。"]),
    ("没有句号的标题", ["没有句号的标题"]),
    ("真的吗?!是的!", ["真的吗?!", "是的!"]),
]

VI = [
    ("TP. Hồ Chí Minh có hơn 9 triệu dân. Hà Nội là thủ đô.", ["TP. Hồ Chí Minh có hơn 9 triệu dân.", "Hà Nội là thủ đô."]),
    ("PGS.TS. Nguyễn Văn An phát biểu. Ông cảm ơn các đại biểu.", ["PGS.TS. Nguyễn Văn An phát biểu.", "Ông cảm ơn các đại biểu."]),
    ("GS.TSKH. Trần Văn B và ThS. Lê C tham dự. Buổi lễ kết thúc.", ["GS.TSKH. Trần Văn B và ThS. Lê C tham dự.", "Buổi lễ kết thúc."]),
    ("Tăng trưởng đạt 1,5%. Lạm phát là 3.2%.", ["Tăng trưởng đạt 1,5%.", "Lạm phát là 3.2%."]),
    ("Ngày 20/2/2025 hai bên ký kết. Lễ ký diễn ra tại Hà Nội.", ["Ngày 20/2/2025 hai bên ký kết.", "Lễ ký diễn ra tại Hà Nội."]),
    ("Ông nói: “Chúng tôi sẵn sàng.” Bà Mai đồng ý.", ["Ông nói: “Chúng tôi sẵn sàng.”", "Bà Mai đồng ý."]),
    ("Thật sao? Đúng vậy! Tốt lắm.", ["Thật sao?", "Đúng vậy!", "Tốt lắm."]),
    ("Anh ấy im lặng… rồi bỏ đi. Đợi đã… Tôi hiểu.", ["Anh ấy im lặng… rồi bỏ đi.", "Đợi đã…", "Tôi hiểu."]),
    ("Trụ sở ở Q. 1, TP. HCM. Điện thoại liên hệ.", ["Trụ sở ở Q. 1, TP. HCM.", "Điện thoại liên hệ."]),
    ("Dự án (khởi công năm 2024.) Năm nay hoàn thành.", ["Dự án (khởi công năm 2024.)", "Năm nay hoàn thành."]),
    ("Theo Điều 5. Khoản 2 quy định rõ.", ["Theo Điều 5.", "Khoản 2 quy định rõ."]),
]

EN = [
    ("Mr. Smith went to Washington. He met Dr. Jones.", ["Mr. Smith went to Washington.", "He met Dr. Jones."]),
    ("He lives in the U.S. He likes it.", ["He lives in the U.S.", "He likes it."]),
    ("The U.S. Army arrived. It was 5 p.m. sharp.", ["The U.S. Army arrived.", "It was 5 p.m. sharp."]),
    ("J. K. Rowling wrote it. It sold well.", ["J. K. Rowling wrote it.", "It sold well."]),
    ("Prices rose 1.5 percent. Wages rose 2.", ["Prices rose 1.5 percent.", "Wages rose 2."]),
    ('She said, "We will win." Then she left.', ['She said, "We will win."', "Then she left."]),
    ("“Is it true?” he asked. Nobody answered.", ["“Is it true?” he asked.", "Nobody answered."]),
    ("Yahoo! is a company. See No. 5 on the list.", ["Yahoo! is a company.", "See No. 5 on the list."]),
    ("(This was expected.) Markets fell.", ["(This was expected.)", "Markets fell."]),
    ("Apples, pears, etc. are fruit. Wait... What?", ["Apples, pears, etc. are fruit.", "Wait...", "What?"]),
    ("On 20/2/2025 they signed. Talks ended.", ["On 20/2/2025 they signed.", "Talks ended."]),
    ("Acme Inc. and Foo Corp. merged. Shares rose.", ["Acme Inc. and Foo Corp. merged.", "Shares rose."]),
    ("", []),
    ("   ", []),
]


@pytest.mark.parametrize(("text", "expected"), ZH)
def test_chinese_table(text: str, expected: list[str]) -> None:
    assert _sentences(text, "zh") == expected


@pytest.mark.parametrize(("text", "expected"), VI)
def test_vietnamese_table(text: str, expected: list[str]) -> None:
    assert _sentences(text, "vi") == expected


@pytest.mark.parametrize(("text", "expected"), EN)
def test_english_table(text: str, expected: list[str]) -> None:
    assert _sentences(text, "en") == expected


def test_script_decides_rules_per_paragraph() -> None:
    # A Chinese footer on an English page is cut with Chinese rules.
    assert _sentences("地址：南宁市。电话：123。", "en") == ["地址：南宁市。", "电话：123。"]


def _doc(paragraphs: list[str]) -> Document:
    return Document(source_id="t", url="", paragraphs=paragraphs, text="\n\n".join(paragraphs))


def test_segment_document_offsets_and_ids() -> None:
    doc = _doc(["Tiêu đề bài viết", "Câu một. Câu hai!", "第一句。第二句？"])
    segs = segment_document(doc, "d1", lang_hint="vi")
    assert [s.id for s in segs] == ["d1:0:0", "d1:1:0", "d1:1:1", "d1:2:0", "d1:2:1"]
    assert [s.text for s in segs] == ["Tiêu đề bài viết", "Câu một.", "Câu hai!", "第一句。", "第二句？"]
    for s in segs:
        assert doc.text[s.start : s.end] == s.text
        assert s.split is None


def test_long_sentence_split_at_clauses_for_mt() -> None:
    clause = "các bên thống nhất tăng cường hợp tác trong lĩnh vực khoa học và công nghệ"
    long_sentence = ", ".join([clause] * 12) + "."
    doc = _doc(["Mở đầu ngắn.", long_sentence])
    segs = segment_document(doc, "d", max_chars=200)
    pieces = [s for s in segs if s.paragraph == 1]
    assert len(pieces) > 1
    assert all(s.split == "clause" for s in pieces)
    assert all(len(s.text) <= 200 for s in pieces)
    assert all(s.text.endswith((",", ".")) for s in pieces)
    assert " ".join(s.text for s in pieces) == long_sentence
    assert segs[0].split is None
    for s in segs:
        assert doc.text[s.start : s.end] == s.text


def test_long_chinese_sentence_split_at_commas() -> None:
    sentence = "，".join(["双方同意在人工智能领域加强合作"] * 30) + "。"
    spans = split_sentences_marked(sentence, "zh", max_chars=100)
    assert len(spans) > 1 and all(clause for _, _, clause in spans)
    assert "".join(sentence[s:e] for s, e, _ in spans) == sentence


_texts = st.lists(
    st.text(alphabet=st.sampled_from(list("abc ABC.,!?;…。！？“”\"()1 Tô ơ中文\n")), max_size=60),
    min_size=1,
    max_size=5,
)


@settings(max_examples=200, deadline=None)
@given(_texts)
def test_offsets_always_exact(paragraphs: list[str]) -> None:
    paras = [p.strip() for p in paragraphs if p.strip()]
    doc = _doc(paras)
    for s in segment_document(doc, "h", max_chars=20):
        assert doc.text[s.start : s.end] == s.text
        assert s.text == s.text.strip() and s.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1. Ditch the diet. Eat well.", ["1. Ditch the diet.", "Eat well."]),
        ("IV. Kết luận. Hai bên đồng ý.", ["IV. Kết luận.", "Hai bên đồng ý."]),
        ("Viera d. Rockledge 3-1. Melbourne d. Cocoa 8-0.", ["Viera d. Rockledge 3-1.", "Melbourne d. Cocoa 8-0."]),
    ],
)
def test_list_markers_and_one_letter_abbreviations(text: str, expected: list[str]) -> None:
    assert _sentences(text, "en") == expected
