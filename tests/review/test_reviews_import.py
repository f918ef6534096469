"""`review import` and re-crawls: reviewed text reaches the memory and the store, survives re-crawls,
and changed segments are flagged with the old review as reference."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from lxml import etree

from review_support import Sent, make_segments, store_document, xliff12_schema
from tasks.translate.memory import open_memory
from tasks.review.export import export_documents
from tasks.review.carry import carry_reviews
from tasks.review.reviews import XLIFF12_NS, ReviewImportError, import_review
from tasks.store.document import parse_document, write_document
from tasks.store.files import doc_id_for, latest_document

ROOT = Path(__file__).resolve().parents[2]
NS = {"x": XLIFF12_NS}
URL = "https://news.example.vn/vn-one.html"

SENTS = [
    Sent("Hà Nội là thủ đô của Việt Nam.", translation="Hanoi is capital of Vietnam."),
    Sent("Bộ họp báo chiều nay.", translation="Ministry press conference this afternoon."),
    Sent("Giá xăng giảm mạnh.", translation="Gasoline price fall strongly."),
    Sent("Người dân vui mừng.", translation="People happy."),
]
FINAL = "Hanoi is the capital of Vietnam."
REVIEWED = "Petrol prices fell sharply."
MODEL = "argos:vi-en@test"


def _latest(out: Path, source_id: str = "vn-one") -> dict:
    rel = latest_document(out, source_id)
    assert rel is not None
    return json.loads((out / rel).read_text(encoding="utf-8"))


def _reviewed_xliff(tmp_path: Path, out: Path) -> Path:
    """Export the XLIFF and edit it as a reviewer would: one final, one signed-off, one edited but left 'translated'."""
    (path,) = export_documents("xliff", out, tmp_path / "xliff")
    tree = etree.parse(str(path))
    units = tree.getroot().findall(".//x:trans-unit", NS)
    edits = {0: (FINAL, "final"), 2: (REVIEWED, "signed-off"), 3: ("People are happy.", "translated")}
    for i, (text, state) in edits.items():
        target = units[i].find("x:target", NS)
        target.text = text
        target.set("state", state)
        target.attrib.pop("state-qualifier", None)
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    assert xliff12_schema().validate(tree)
    return path


def test_import_writes_memory_and_documents_once(tmp_path: Path) -> None:
    out = tmp_path / "output"
    record, rel = store_document(out, "vn-one", SENTS, url=URL)
    xliff = _reviewed_xliff(tmp_path, out)
    ids = [s["id"] for s in record["segments"]]

    with open_memory(out / "tm.sqlite") as memory:
        report = import_review(xliff, out, memory)
        assert sorted(report.applied) == sorted([ids[0], ids[2]])
        assert report.stale == []
        assert report.edited_not_marked == [ids[3]]  # edited, but nobody signed it off
        assert report.not_reviewed == 1
        assert report.documents_rewritten == [rel]
        final = memory.get(SENTS[0].text, "vi", "en", MODEL)
        assert (final.text, final.state) == (FINAL, "final")
        reviewed = memory.get(SENTS[2].text, "vi", "en", "argos:vi-en@another-model")  # human work outlives model changes
        assert (reviewed.text, reviewed.state) == (REVIEWED, "reviewed")
        assert memory.get(SENTS[3].text, "vi", "en", MODEL) is None
        counts = memory.count()

    stored = _latest(out)
    trs = [s["translation"] for s in stored["segments"]]
    assert (trs[0]["text"], trs[0]["state"]) == (FINAL, "final")
    assert (trs[2]["text"], trs[2]["state"]) == (REVIEWED, "reviewed")
    assert trs[0]["reviewed_at"] and datetime.fromisoformat(trs[0]["reviewed_at"]).tzinfo is not None
    assert (trs[1]["state"], trs[3]["state"]) == ("mt", "mt")
    assert trs[3]["text"] == SENTS[3].translation
    # the rest of the record is untouched
    assert {k: v for k, v in stored.items() if k != "segments"} == {k: v for k, v in record.items() if k != "segments"}

    # importing the same file again changes nothing: same bytes on disk, same memory rows and times
    doc_bytes = (out / rel).read_bytes()
    with open_memory(out / "tm.sqlite") as memory:
        before = memory.get(SENTS[0].text, "vi", "en", MODEL)
        again = import_review(xliff, out, memory)
        assert again.applied == [] and sorted(again.unchanged) == sorted([ids[0], ids[2]])
        assert again.memory_written == 0 and again.documents_rewritten == []
        assert memory.count() == counts
        assert memory.get(SENTS[0].text, "vi", "en", MODEL) == before
    assert (out / rel).read_bytes() == doc_bytes


def test_stale_units_are_reported(tmp_path: Path) -> None:
    out = tmp_path / "output"
    store_document(out, "vn-one", SENTS, url=URL)
    xliff = _reviewed_xliff(tmp_path, out)
    # the page changes: sentence 0 reworded, the last two removed
    newer = [Sent("Hà Nội là thủ đô nghìn năm văn hiến.", translation="x"), SENTS[1]]
    store_document(out, "vn-one", newer, url=URL, fetched_at=datetime(2026, 11, 25, 2, tzinfo=timezone.utc))
    with open_memory(out / "tm.sqlite") as memory:
        report = import_review(xliff, out, memory)
    reasons = sorted(s["reason"] for s in report.stale)
    assert reasons == ["segment no longer exists in the latest version", "segment's source text changed since export"]
    assert report.applied == []

    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "review", "import", str(xliff), "--output", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert "stale" in proc.stderr and "no longer exists" in proc.stderr


def test_import_refuses_foreign_and_entity_laden_files(tmp_path: Path) -> None:
    out = tmp_path / "output"
    record, _ = store_document(out, "vn-one", SENTS, url=URL)
    foreign = tmp_path / "foreign.xlf"
    foreign.write_text(
        f'<xliff version="1.2" xmlns="{XLIFF12_NS}"><file original="../../etc/passwd" source-language="vi" datatype="plaintext"><body/></file></xliff>',
        encoding="utf-8",
    )
    with open_memory(out / "tm.sqlite") as memory, pytest.raises(ReviewImportError, match="not a newsbridge document path"):
        import_review(foreign, out, memory)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    seg = record["segments"][0]
    xxe = tmp_path / "xxe.xlf"
    xxe.write_text(
        f'<?xml version="1.0"?><!DOCTYPE xliff [<!ENTITY s SYSTEM "{secret.as_uri()}">]>'
        f'<xliff version="1.2" xmlns="{XLIFF12_NS}"><file original="docs/vn-one/{record["doc_id"]}/{record["version"]}.json" '
        f'source-language="vi" datatype="plaintext"><body><trans-unit id="{seg["id"]}"><source>{seg["text"]}</source>'
        f'<target state="final">&s;</target></trans-unit></body></file></xliff>',
        encoding="utf-8",
    )
    with open_memory(out / "tm.sqlite") as memory:
        import_review(xxe, out, memory)
        entry = memory.get(seg["text"], "vi", "en", MODEL)
    assert entry is None or "TOP-SECRET" not in entry.text
    assert "TOP-SECRET" not in json.dumps(_latest(out))
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "review", "import", str(foreign), "--output", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2 and "not a newsbridge document path" in proc.stderr


def test_reviewer_translation_of_an_untranslated_segment(tmp_path: Path) -> None:
    """A segment no model covered gets the reviewer's target as its first translation (model "human")."""
    out = tmp_path / "output"
    record, _ = store_document(out, "vn-one", [SENTS[0], Sent("Câu không có mô hình.", "vi")], url=URL)
    (path,) = export_documents("xliff", out, tmp_path / "xliff")
    tree = etree.parse(str(path))
    unit = tree.getroot().findall(".//x:trans-unit", NS)[1]
    assert unit.find("x:target", NS) is None
    target = etree.SubElement(unit, f"{{{XLIFF12_NS}}}target", state="final")
    target.text = "A sentence no model covered."
    unit.remove(target)
    unit.insert(1, target)  # schema order: source, target, note
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    assert xliff12_schema().validate(tree)
    with open_memory(out / "tm.sqlite") as memory:
        report = import_review(path, out, memory)
        assert report.applied == [record["segments"][1]["id"]] and report.stale == []
        entry = memory.get("Câu không có mô hình.", "vi", "en", MODEL)
        assert (entry.text, entry.state, entry.model) == ("A sentence no model covered.", "final", "human")
    tr = _latest(out)["segments"][1]["translation"]
    assert (tr["text"], tr["state"], tr["model"], tr["src"], tr["tgt"]) == ("A sentence no model covered.", "final", "human", "vi", "en")
    # the next crawl again finds no model for it: the reviewer's translation is carried over
    _, segments = make_segments(record["doc_id"], [SENTS[0], Sent("Câu không có mô hình.", "vi")])
    assert segments[1].translation is None
    carry_reviews(parse_document(_latest(out)), segments, None)
    assert (segments[1].translation.text, segments[1].translation.state) == ("A sentence no model covered.", "final")


# --------------------------------------------------------------------------- re-crawl


def _recrawl(sents: list[Sent]) -> list:
    """Segments as the translate stage hands them over: fresh MT, nothing reviewed."""
    _, segments = make_segments(doc_id_for(URL), [Sent(s.text, s.lang, s.translation, "mt", s.paragraph) for s in sents])
    return segments


def test_import_then_recrawl_round_trip(tmp_path: Path) -> None:
    """Review → import → forced re-crawl of the same page keeps the reviews; a changed page flags them."""
    out = tmp_path / "output"
    store_document(out, "vn-one", SENTS, url=URL)
    xliff = _reviewed_xliff(tmp_path, out)
    with open_memory(out / "tm.sqlite") as memory:
        import_review(xliff, out, memory)

        # --force: same content, fresh MT for every segment
        previous = _latest(out)
        segments = _recrawl(SENTS)
        stats = carry_reviews(parse_document(previous), segments, memory)
        assert [s.translation.text for s in segments] == [FINAL, SENTS[1].translation, REVIEWED, SENTS[3].translation]
        assert [s.translation.state for s in segments] == ["final", "mt", "reviewed", "mt"]
        assert segments[0].translation.reviewed_at is not None
        assert stats.from_memory == 2

        # the page changes: sentence 2 reworded, a new paragraph inserted first (positions shift)
        changed = [Sent("Tin mới nhất.", translation="Latest news."), SENTS[0], SENTS[1], Sent("Giá xăng giảm rất mạnh.", translation="Gasoline price fall very strongly."), SENTS[3]]
        segments = _recrawl(changed)
        carry_reviews(parse_document(previous), segments, memory)
    states = [(s.translation.state, s.translation.text, s.translation.reference) for s in segments]
    assert states[0] == ("mt", "Latest news.", None)
    assert states[1] == ("final", FINAL, None)  # unchanged sentence, moved: review kept
    assert states[2] == ("mt", SENTS[1].translation, None)
    assert states[3] == ("needs-review", "Gasoline price fall very strongly.", REVIEWED)  # changed: flagged
    assert states[4] == ("mt", SENTS[3].translation, None)

    # stored and exported: the flag reaches the reviewer as needs-review-translation + previous version
    store_document(out, "vn-one", changed, url=URL, fetched_at=datetime(2026, 11, 25, 2, tzinfo=timezone.utc))
    rel = latest_document(out, "vn-one")
    record = json.loads((out / rel).read_text(encoding="utf-8"))
    for seg, new in zip(record["segments"], segments):
        seg["translation"] = new.translation.model_dump(mode="json")
    write_document(out, parse_document(record))
    (path,) = export_documents("xliff", out, tmp_path / "xliff2")
    unit = etree.parse(str(path)).getroot().findall(".//x:trans-unit", NS)[3]
    assert unit.find("x:target", NS).get("state") == "needs-review-translation"
    assert unit.findtext("x:alt-trans/x:target", namespaces=NS) == REVIEWED

    # a further re-crawl of the unchanged (flagged) page keeps the flag and the reference
    segments = _recrawl(changed)
    with open_memory(out / "tm.sqlite") as memory:
        carry_reviews(parse_document(record), segments, memory)
    assert (segments[3].translation.state, segments[3].translation.reference) == ("needs-review", REVIEWED)
    assert segments[1].translation.state == "final"


def test_carry_reviews_without_memory_uses_previous_record(tmp_path: Path) -> None:
    out = tmp_path / "output"
    when = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)
    sents = [
        Sent("Một.", translation="One (reviewed).", state="reviewed", reviewed_at=when),
        Sent("Hai.", translation="Two (final).", state="final", reviewed_at=when),
        Sent("Ba.", translation="Three."),
    ]
    previous, _ = store_document(out, "vn-one", sents, url=URL)
    # same texts: reviews kept with their time; a reworded sentence at the same place: flagged
    segments = _recrawl([sents[0], Sent("Hai hai.", translation="Two two."), sents[2]])
    stats = carry_reviews(parse_document(previous), segments, None)
    assert (segments[0].translation.text, segments[0].translation.state, segments[0].translation.reviewed_at) == ("One (reviewed).", "reviewed", when)
    assert (segments[1].translation.state, segments[1].translation.reference, segments[1].translation.text) == ("needs-review", "Two (final).", "Two two.")
    assert segments[2].translation.state == "mt"
    assert (stats.kept, stats.needs_review) == (1, 1)

    # nothing before: nothing to carry
    fresh = _recrawl(sents)
    assert carry_reviews(None, fresh, None).kept == 0
    assert [s.translation.state for s in fresh] == ["mt", "mt", "mt"]

    # a completely different sentence in the place of a reviewed one is still a change of that segment
    segments = _recrawl([Sent("Hoàn toàn khác.", translation="Entirely different."), sents[1], sents[2]])
    carry_reviews(parse_document(previous), segments, None)
    assert (segments[0].translation.state, segments[0].translation.reference) == ("needs-review", "One (reviewed).")
    assert segments[1].translation.state == "final"


def test_carry_reviews_on_a_rewritten_long_page(tmp_path: Path) -> None:
    """Every sentence of a long reviewed page reworded: each new segment is flagged with the
    review of the sentence it replaced (pairing looks only near each segment's place)."""
    out = tmp_path / "output"
    n = 300
    old = [Sent(f"Câu số {i} nói về chủ đề {i * 7}.", translation=f"Reviewed {i}.", state="reviewed") for i in range(n)]
    previous, _ = store_document(out, "vn-one", old, url=URL)
    segments = _recrawl([Sent(f"Câu số {i} nói về chủ đề {i * 7} hôm nay.", translation=f"MT {i}.") for i in range(n)])
    stats = carry_reviews(parse_document(previous), segments, None)
    assert stats.needs_review == n
    assert [s.translation.reference for s in segments] == [f"Reviewed {i}." for i in range(n)]
    assert [s.translation.text for s in segments] == [f"MT {i}." for i in range(n)]


# --------------------------------------------------------------------------- CLI


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_export_cli_selects_sources_and_dates(tmp_path: Path) -> None:
    out = tmp_path / "output"
    store_document(out, "vn-one", SENTS, url=URL, fetched_at=datetime(2026, 11, 20, 2, tzinfo=timezone.utc))
    store_document(out, "vn-two", SENTS[:2], url="https://news.example.vn/two.html", fetched_at=datetime(2026, 11, 24, 2, tzinfo=timezone.utc))

    proc = _cli("export", "--format", "xliff", "--output", str(out), "--to", str(tmp_path / "x"), "--only", "vn-two")
    assert proc.returncode == 0, proc.stderr
    assert [Path(p).parent.name for p in proc.stdout.split()] == ["vn-two"]

    proc = _cli("export", "--format", "html", "--output", str(out), "--to", str(tmp_path / "h"), "--since", "2026-11-21")
    assert proc.returncode == 0, proc.stderr
    assert sorted(Path(p).parent.name for p in proc.stdout.split()) == ["h", "vn-two"]

    proc = _cli("export", "--format", "tmx", "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [str(out / "export" / "tmx" / "vi-en.tmx")]

    proc = _cli("export", "--format", "tmx", "--output", str(out), "--only", "nope")
    assert proc.returncode == 2 and "nope" in proc.stderr
    proc = _cli("export", "--format", "tmx", "--output", str(out), "--since", "yesterday")
    assert proc.returncode == 2 and "--since" in proc.stderr
    proc = _cli("export", "--format", "pdf", "--output", str(out))
    assert proc.returncode == 2

    # a damaged stored file is skipped with a warning; the rest is exported
    (out / latest_document(out, "vn-one")).write_text("{ not json", encoding="utf-8")
    proc = _cli("export", "--format", "xliff", "--output", str(out), "--to", str(tmp_path / "x2"))
    assert proc.returncode == 0, proc.stderr
    assert [Path(p).parent.name for p in proc.stdout.split()] == ["vn-two"]
    assert "warning: docs/vn-one/" in proc.stderr and "unreadable" in proc.stderr


def test_reviews_survive_recrawls_through_the_real_translate_stage(argos_test_models, tmp_path: Path) -> None:
    """Real tiny Argos models + real memory: translate → store → export → review → import →
    forced re-crawl (translate again, carry_reviews, store): the reviews come back from the
    translate stage itself (same memory keys, zh-Hant through OpenCC), a changed sentence is flagged."""
    from review_support import store_segments
    from tasks.models import Segment
    from tasks.translate.engine import translate_segments

    url = "https://news.example.vn/multi.html"
    doc = doc_id_for(url)
    texts = [
        ("Việt Nam và Trung Quốc tăng cường hợp tác khoa học.", "vi"),
        ("中国和越南加强科技合作。", "zh-Hans"),
        ("廣西舉辦職業教育活動。", "zh-Hant"),
        ("Vietnam and China strengthen cooperation.", "en"),
        ("Giá xăng giảm mạnh trong tuần này.", "vi"),
    ]

    def crawl(items: list[tuple[str, str]]) -> tuple[list[str], list[Segment]]:
        paragraphs = [t for t, _ in items]
        segments, pos = [], 0
        for p, (t, lang) in enumerate(items):
            segments.append(Segment(id=f"{doc}:{p}:0", paragraph=p, sentence=0, start=pos, end=pos + len(t), text=t, lang=lang, lang_score=0.99))
            pos += len(t) + 2
        return paragraphs, segments

    out = tmp_path / "output"
    with open_memory(out / "tm.sqlite") as memory:
        paragraphs, segments = crawl(texts)
        translate_segments(segments, "en", memory)
        assert segments[2].translation.chain[0].startswith("zh-Hant>zh-Hans(opencc")
        mt = [s.translation.text for s in segments]
        store_segments(out, "vn-multi", paragraphs, segments, url=url)

        (path,) = export_documents("xliff", out, tmp_path / "xliff")
        tree = etree.parse(str(path))
        units = tree.getroot().findall(".//x:trans-unit", NS)
        for i, text in ((0, "REVIEWED VI"), (2, "REVIEWED HANT"), (4, "REVIEWED PETROL")):
            target = units[i].find("x:target", NS)
            target.text, target.attrib["state"] = text, "final"
            target.attrib.pop("state-qualifier", None)
        tree.write(str(path), xml_declaration=True, encoding="UTF-8")
        assert len(import_review(path, out, memory).applied) == 3

        # forced re-crawl of the same page: the translate stage itself returns the reviews
        previous = _latest(out, "vn-multi")
        paragraphs, segments = crawl(texts)
        translate_segments(segments, "en", memory)
        assert [(s.translation.text, s.translation.state) for s in segments] == [
            ("REVIEWED VI", "final"), (mt[1], "mt"), ("REVIEWED HANT", "final"), (texts[3][0], "copy"), ("REVIEWED PETROL", "final"),
        ]
        carry_reviews(parse_document(previous), segments, memory)
        store_segments(out, "vn-multi", paragraphs, segments, url=url)
        stored = _latest(out, "vn-multi")
        assert [s["translation"]["text"] for s in stored["segments"]] == ["REVIEWED VI", mt[1], "REVIEWED HANT", texts[3][0], "REVIEWED PETROL"]

        # the page changes: the petrol sentence is reworded; the rest is unchanged
        changed = texts[:4] + [("Giá xăng giảm rất mạnh trong tuần này.", "vi")]
        previous = stored
        paragraphs, segments = crawl(changed)
        translate_segments(segments, "en", memory)
        assert segments[4].translation.state == "mt"
        carry_reviews(parse_document(previous), segments, memory)
    assert (segments[4].translation.state, segments[4].translation.reference) == ("needs-review", "REVIEWED PETROL")
    assert (segments[0].translation.text, segments[0].translation.state) == ("REVIEWED VI", "final")


def test_review_import_cli(tmp_path: Path) -> None:
    out = tmp_path / "output"
    store_document(out, "vn-one", SENTS, url=URL)
    xliff = _reviewed_xliff(tmp_path, out)
    proc = _cli("review", "import", str(xliff), "--output", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert (report["applied"], report["unchanged"], report["stale"], report["memory_written"]) == (2, 0, [], 2)
    assert report["documents_rewritten"] == [latest_document(out, "vn-one")]
    again = _cli("review", "import", str(xliff), "--output", str(out))
    assert again.returncode == 0 and again.stdout.startswith("applied 0 · already imported 2 · stale 0")
    with open_memory(out / "tm.sqlite") as memory:  # the CLI used OUTPUT/tm.sqlite
        assert memory.get(SENTS[0].text, "vi", "en", MODEL).state == "final"
