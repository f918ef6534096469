"""TMX 1.4b export: valid against the LISA DTD, complete props, read by translate-toolkit and by OmegaT."""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from lxml import etree

from review_support import HOSTILE_SEGMENT, HOSTILE_TITLE, Sent, omegat_project, run_omegat, store_document, tmx14_dtd
from tasks.review.export import export_documents

TMX_DATE = re.compile(r"^\d{8}T\d{6}Z$")
REVIEWED_AT = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)

VI_SENTS = [
    Sent("Hà Nội là thủ đô của Việt Nam.", translation="Hanoi is the capital of Vietnam."),
    Sent("Bộ Thông tin và Truyền thông họp báo chiều nay.", translation="The Ministry held a press conference.", state="final", reviewed_at=REVIEWED_AT),
    Sent("Giá xăng giảm 2,5% & <tăng> \"mạnh\".", translation="Petrol prices fell 2.5% & <rose> \"sharply\".", state="reviewed", reviewed_at=REVIEWED_AT),
    Sent("This sentence is already English.", "en", translation="This sentence is already English."),
    Sent("Đoạn này không có mô hình.", "vi"),
]


def _parse(path: Path) -> etree._ElementTree:
    return etree.parse(str(path), etree.XMLParser(no_network=True, resolve_entities=False))


def _units(tree: etree._ElementTree) -> dict[str, dict]:
    out = {}
    for tu in tree.iter("tu"):
        segs = {tuv.get("{http://www.w3.org/XML/1998/namespace}lang"): tuv.findtext("seg") for tuv in tu.findall("tuv")}
        out[tu.get("tuid")] = {"tu": tu, "segs": segs, "props": {p.get("type"): p.text for p in tu.findall("prop")}}
    return out


def test_tmx_per_pair_valid_and_complete(tmp_path: Path) -> None:
    out = tmp_path / "output"
    vi, _ = store_document(out, "vn-one", VI_SENTS)
    store_document(out, "vn-hostile", [Sent(HOSTILE_SEGMENT, translation="<b onclick=x>hot</b> \x0c news")], title=HOSTILE_TITLE)
    store_document(
        out,
        "zh-one",
        [Sent("广西科学技术协会举办活动。", "zh-Hans", translation="The Guangxi association held an event.")],
        url="https://news.example.cn/a.html",
    )
    paths = export_documents("tmx", out, tmp_path / "tmx")
    assert sorted(p.name for p in paths) == ["vi-en.tmx", "zh-Hans-en.tmx"]

    dtd = tmx14_dtd()
    for path in paths:
        assert path.read_bytes().startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<!DOCTYPE tmx SYSTEM \"tmx14.dtd\">")
        tree = _parse(path)
        assert dtd.validate(tree), dtd.error_log.filter_from_errors()
        header = tree.getroot().find("header")
        assert header.get("creationtool") == "newsbridge"
        assert header.get("creationtoolversion")
        assert header.get("segtype") == "sentence"
        assert header.get("datatype") == "plaintext"
        assert header.get("adminlang") == "en" and header.get("o-tmf")
        assert tree.getroot().get("version") == "1.4"

    vi_tree = _parse(tmp_path / "tmx" / "vi-en.tmx")
    assert vi_tree.getroot().find("header").get("srclang") == "vi"
    units = _units(vi_tree)
    # three translated vi segments + the hostile one; the English copy and the untranslated one are not pairs
    ids = [s["id"] for s in vi["segments"]]
    assert len(units) == 4 and set(ids[:3]) <= set(units)
    assert ids[3] not in units and ids[4] not in units

    first = units[ids[0]]
    assert first["segs"] == {"vi": VI_SENTS[0].text, "en": VI_SENTS[0].translation}
    props = first["props"]
    assert props["x-source-id"] == "vn-one"
    assert props["x-url"] == "https://news.example.vn/vn-one.html"
    assert props["x-fetched-at"] == "2026-11-24T02:00:05+00:00"
    assert props["x-model"] == "argos:vi-en@test"
    assert props["x-state"] == "mt"
    assert props["x-lang"] == "vi" and props["x-lang-score"] == "0.9870"
    assert props["x-align-method"] == "mt-1:1"
    tu = first["tu"]
    assert TMX_DATE.match(tu.get("creationdate")) and TMX_DATE.match(tu.get("changedate"))
    assert tu.get("creationdate") == tu.get("changedate") == "20261124T020005Z"

    final = units[ids[1]]
    assert final["props"]["x-state"] == "final"
    assert final["tu"].get("changedate") == "20261120T093000Z"  # the review, not the fetch
    assert units[ids[2]]["segs"]["en"] == 'Petrol prices fell 2.5% & <rose> "sharply".'

    hostile = next(u for k, u in units.items() if k not in ids)
    assert hostile["segs"]["vi"] == HOSTILE_SEGMENT.replace("\x0b", "\ufffd")  # XML 1.0 cannot carry U+000B
    assert hostile["segs"]["en"] == "<b onclick=x>hot</b> \ufffd news"

    zh = _units(_parse(tmp_path / "tmx" / "zh-Hans-en.tmx"))
    (only,) = zh.values()
    assert only["segs"] == {"zh-Hans": "广西科学技术协会举办活动。", "en": "The Guangxi association held an event."}


def test_dtd_validation_is_not_vacuous(tmp_path: Path) -> None:
    """The same file loses validity when a required header attribute is dropped."""
    out = tmp_path / "output"
    store_document(out, "vn-one", VI_SENTS)
    (path,) = export_documents("tmx", out, tmp_path / "tmx")
    tree = _parse(path)
    assert tmx14_dtd().validate(tree)
    del tree.getroot().find("header").attrib["srclang"]
    assert not tmx14_dtd().validate(tree)


def test_translate_toolkit_reads_our_tmx(tmp_path: Path) -> None:
    from translate.storage.tmx import tmxfile

    out = tmp_path / "output"
    store_document(out, "vn-one", VI_SENTS)
    (path,) = export_documents("tmx", out, tmp_path / "tmx")
    store = tmxfile(path.read_bytes(), sourcelanguage="vi", targetlanguage="en")
    pairs = [(u.source, u.target) for u in store.units]
    assert pairs == [(s.text, s.translation) for s in VI_SENTS[:3]]


def test_story_links_become_units_with_method_and_score(tmp_path: Path) -> None:
    out = tmp_path / "output"
    en, _ = store_document(
        out,
        "en-version",
        [Sent("Hanoi hosted the forum.", "en", translation="Hanoi hosted the forum."), Sent("Delegates came from ten countries.", "en", translation="Delegates came from ten countries."), Sent("More later.", "en", translation="More later.")],
        url="https://news.example.com/forum.html",
    )
    en_ids = [s["id"] for s in en["segments"]]
    from tasks.store.files import doc_id_for

    vi_doc = doc_id_for("https://news.example.vn/vn-forum.html")
    story = {
        "id": "forum",
        "pivot_source": "en-version",
        "links": [
            {"src": [f"{vi_doc}:0:0"], "tgt": [en_ids[0]], "score": 0.91, "method": "length+anchors"},
            {"src": [f"{vi_doc}:1:0", f"{vi_doc}:2:0"], "tgt": [en_ids[1]], "score": 0.72, "method": "mt-bridge"},
            {"src": [], "tgt": [en_ids[2]], "score": 0.0, "method": "length+anchors"},
        ],
    }
    store_document(
        out,
        "vn-forum",
        [
            Sent("Hà Nội đăng cai diễn đàn.", translation="Hanoi hosts the forum."),
            Sent("Đại biểu đến từ mười nước.", translation="Delegates from ten countries."),
            Sent("Họ thảo luận.", translation="They discuss."),
        ],
        story=story,
    )
    paths = export_documents("tmx", out, tmp_path / "tmx")
    names = sorted(p.name for p in paths)
    assert names == ["vi-en.story.tmx", "vi-en.tmx"]
    tree = _parse(tmp_path / "tmx" / "vi-en.story.tmx")
    assert tmx14_dtd().validate(tree), tmx14_dtd().error_log
    units = list(_units(tree).values())
    assert len(units) == 2  # the 0:1 link has no source side
    assert units[0]["segs"] == {"vi": "Hà Nội đăng cai diễn đàn.", "en": "Hanoi hosted the forum."}
    assert units[0]["props"]["x-method"] == "length+anchors" and units[0]["props"]["x-score"] == "0.9100"
    assert units[1]["segs"] == {"vi": "Đại biểu đến từ mười nước. Họ thảo luận.", "en": "Delegates came from ten countries."}
    assert units[1]["props"]["x-method"] == "mt-bridge" and units[1]["props"]["x-score"] == "0.7200"
    assert units[1]["props"]["x-pivot-source"] == "en-version"


def test_omegat_fills_targets_from_our_tmx(tmp_path: Path) -> None:
    out = tmp_path / "output"
    sents = VI_SENTS[:3] + [
        Sent("Giá vàng hôm nay tăng nhẹ, theo Ngân hàng Nhà nước.", translation="Gold prices rose slightly today, according to the State Bank."),
        Sent("Người dân chờ đợi thông tin mới.", translation="People are waiting for news."),
    ]
    store_document(out, "vn-one", sents)
    paths = export_documents("tmx", out, tmp_path / "tmx")
    project = omegat_project(tmp_path / "project")
    for path in paths:
        shutil.copy(path, project / "tm" / "auto" / path.name)
    # the original text, one sentence per paragraph
    (project / "source" / "article.txt").write_text("\n\n".join(s.text for s in sents) + "\n", encoding="utf-8")

    proc = run_omegat(project, "--mode=console-translate")
    assert "vi-en.tmx" in proc.stdout + proc.stderr  # OmegaT read our TMX

    written = (project / "target" / "article.txt").read_text(encoding="utf-8")
    got = [p.strip() for p in written.split("\n\n") if p.strip()]
    assert got == [s.translation for s in sents]
