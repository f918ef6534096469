"""XLIFF 1.2 export: valid against the OASIS strict schema, 1.2 state vocabulary, read by translate-toolkit and OmegaT."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

from lxml import etree

from review_support import HOSTILE_SEGMENT, HOSTILE_TITLE, Sent, omegat_project, run_omegat, store_document, store_story_pivot, xliff12_schema
from tasks.review.export import export_documents
from tasks.review.reviews import XLIFF12_NS, read_xliff_units

NS = {"x": XLIFF12_NS}
WHEN = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)

SENTS = [
    Sent("Hà Nội là thủ đô của Việt Nam.", translation="Hanoi is the capital of Vietnam."),
    Sent("Bộ họp báo chiều nay.", translation="The Ministry held a press conference.", state="reviewed", reviewed_at=WHEN),
    Sent("Giá xăng giảm mạnh.", translation="Petrol prices fell sharply.", state="final", reviewed_at=WHEN),
    Sent("Giá vàng tăng.", translation="Gold rose.", state="needs-review", reference="Gold prices went up."),
    Sent("Already in English.", "en", translation="Already in English."),
    Sent("Không có mô hình cho câu này.", "vi"),
    Sent(HOSTILE_SEGMENT, translation="<script>window.__xss=3</script>"),
]


def _export(tmp_path: Path, sents: list[Sent] = SENTS, title: str | None = "Tin tức") -> tuple[dict, Path]:
    out = tmp_path / "output"
    record, _ = store_document(out, "vn-one", sents, title=title)
    (path,) = export_documents("xliff", out, tmp_path / "xliff")
    return record, path


def _parse(path: Path) -> etree._ElementTree:
    return etree.parse(str(path), etree.XMLParser(no_network=True, resolve_entities=False))


def test_xliff_is_valid_xliff12_strict(tmp_path: Path) -> None:
    record, path = _export(tmp_path, title=HOSTILE_TITLE)
    assert path == tmp_path / "xliff" / "vn-one" / f"{record['doc_id']}.xlf"
    tree = _parse(path)
    schema = xliff12_schema()
    assert schema.validate(tree), schema.error_log
    root = tree.getroot()
    assert root.get("version") == "1.2"
    file_el = root.find("x:file", NS)
    assert file_el.get("original") == f"docs/vn-one/{record['doc_id']}/{record['version']}.json"
    assert file_el.get("source-language") == "vi" and file_el.get("target-language") == "en"
    assert file_el.find("x:header/x:tool", NS).get("tool-id") == "newsbridge"
    header_note = file_el.findtext("x:header/x:note", namespaces=NS)
    assert HOSTILE_TITLE in header_note and "https://news.example.vn/vn-one.html" in header_note
    assert record["fetch"]["sha256"] in header_note


def test_schema_validation_is_not_vacuous(tmp_path: Path) -> None:
    """XLIFF 2.x state words are not XLIFF 1.2: a target state="reviewed" must fail the 1.2 schema."""
    _, path = _export(tmp_path)
    tree = _parse(path)
    assert xliff12_schema().validate(tree)
    tree.getroot().find(".//x:target", NS).set("state", "reviewed")
    assert not xliff12_schema().validate(tree)


def test_one_unit_per_segment_with_12_states_and_provenance(tmp_path: Path) -> None:
    record, path = _export(tmp_path)
    units = _parse(path).getroot().findall(".//x:trans-unit", NS)
    assert [u.get("id") for u in units] == [s["id"] for s in record["segments"]]
    by_text = {u.findtext("x:source", namespaces=NS): u for u in units}

    def target(text: str) -> etree._Element | None:
        return by_text[text].find("x:target", NS)

    mt = target(SENTS[0].text)
    assert (mt.get("state"), mt.get("state-qualifier"), mt.text) == ("translated", "leveraged-mt", SENTS[0].translation)
    assert target(SENTS[1].text).get("state") == "signed-off" and by_text[SENTS[1].text].get("approved") == "yes"
    assert target(SENTS[2].text).get("state") == "final"
    needs = by_text[SENTS[3].text]
    assert needs.find("x:target", NS).get("state") == "needs-review-translation"
    assert needs.find("x:alt-trans", NS).get("alttranstype") == "previous-version"
    assert needs.findtext("x:alt-trans/x:target", namespaces=NS) == "Gold prices went up."
    copy = by_text[SENTS[4].text]
    assert copy.get("translate") == "no"
    assert copy.find("x:source", NS).get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert target(SENTS[5].text) is None  # untranslated: no target at all (XLIFF 1.2 "new")
    assert target(HOSTILE_SEGMENT.replace("\x0b", "\ufffd")).text == "<script>window.__xss=3</script>"
    note = by_text[SENTS[0].text].findtext("x:note", namespaces=NS)
    for fact in ("paragraph: 0", "offsets: 0-30", "lang: vi (0.987)", "model: argos:vi-en@test", "state: mt"):
        assert fact in note


def test_translate_toolkit_reads_our_xliff(tmp_path: Path) -> None:
    from translate.storage.xliff import xlifffile

    _, path = _export(tmp_path, SENTS[:4])
    store = xlifffile(path.read_bytes())
    units = [u for u in store.units if not u.isheader()]
    assert [(u.source, u.target) for u in units] == [(s.text, s.translation) for s in SENTS[:4]]
    assert [u.isapproved() for u in units] == [False, True, True, False]


def test_omegat_opens_our_xliff_and_its_output_imports_back(tmp_path: Path) -> None:
    """OmegaT (real, console mode) loads the file and writes a translated XLIFF that is still
    schema-valid 1.2 and that `review import` reads back unit by unit (ids and states kept)."""
    record, path = _export(tmp_path, SENTS[:5])
    project = omegat_project(tmp_path / "project")
    shutil.copy(path, project / "source" / "article.xlf")
    run_omegat(project, "--mode=console-translate")
    written = project / "target" / "article.xlf"
    assert written.is_file()
    assert xliff12_schema().validate(_parse(written)), xliff12_schema().error_log
    units = read_xliff_units(written)
    assert [u.unit_id for u in units] == [s["id"] for s in record["segments"]]
    assert [u.state for u in units] == ["translated", "signed-off", "final", "needs-review-translation", "translated"]


def test_story_human_version_rides_along_as_reference(tmp_path: Path) -> None:
    out = tmp_path / "output"
    vi_doc, en_ids = store_story_pivot(out)
    story = {
        "id": "forum",
        "pivot_source": "en-version",
        "links": [
            {"src": [f"{vi_doc}:0:0"], "tgt": [en_ids[0]], "score": 0.9, "method": "length+anchors"},
            {"src": [f"{vi_doc}:1:0"], "tgt": [], "score": 0.0, "method": "length+anchors"},
        ],
    }
    store_document(
        out, "vn-forum",
        [Sent("Hà Nội đăng cai diễn đàn.", translation="Hanoi hosts the forum."), Sent("Câu thêm.", translation="Extra.")],
        url="https://news.example.vn/vn-forum.html", story=story,
    )
    (path,) = export_documents("xliff", out, tmp_path / "xliff", sources=["vn-forum"])
    tree = _parse(path)
    assert xliff12_schema().validate(tree), xliff12_schema().error_log
    first, second = tree.getroot().findall(".//x:trans-unit", NS)
    ref = first.find("x:alt-trans[@alttranstype='reference']", NS)
    assert ref.findtext("x:target", namespaces=NS) == "Hanoi hosted the forum."
    assert ref.get("match-quality") == "0.90" and "en-version" in ref.get("origin")
    assert first.find("x:target", NS).text == "Hanoi hosts the forum."  # the unit's own target is still the MT
    assert second.find("x:alt-trans", NS) is None  # 1:0 link: no human text
    assert [u.target for u in read_xliff_units(path)] == ["Hanoi hosts the forum.", "Extra."]
