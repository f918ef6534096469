"""Unsure story links: left out of the memory, the story TMX and the XLIFF references; shown as
"unsure" on the review page and in the review app, where a translator confirms or rejects them
(memory, stored document, audit log). The review app runs as a real process; requests are real HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import lxml.etree
import lxml.html
import pytest

from review_app_support import review_server
from review_support import Sent, store_document, store_story_pivot
from tasks.review.link_review import LinkDecisionError, decide_link, remember_story_links
from tasks.review.link_state import HUMAN_VERSION_MODEL, link_exported, link_status
from tasks.review.page import document_rows
from tasks.review.reviews import AUDIT_LOG, ReviewConflict, StoredDocument, story_partner
from tasks.review.tmx import story_units
from tasks.review.xliff import build_xliff
from tasks.store.document import StoryLink, parse_document
from tasks.store.files import latest_document
from tasks.translate.memory import open_memory

VI = [
    Sent("Hà Nội đăng cai diễn đàn.", translation="Hanoi hosts forum.", paragraph=0),
    Sent("Mười nước tham dự.", translation="Ten countries attend.", paragraph=1),
    Sent("Trời mưa.", translation="It rains.", paragraph=1),
]


def _store(out: Path) -> tuple[str, list[str]]:
    vi_doc, en_ids = store_story_pivot(out)
    story = {
        "id": "forum",
        "pivot_source": "en-version",
        "links": [
            {"src": [f"{vi_doc}:0:0"], "tgt": [en_ids[0]], "score": 0.99, "method": "evidence", "export": True},
            {"src": [f"{vi_doc}:1:0"], "tgt": [en_ids[1]], "score": 0.61, "method": "evidence", "export": False},
            {"src": [f"{vi_doc}:1:1"], "tgt": [], "score": 0.0, "method": "evidence", "export": False},
        ],
    }
    store_document(out, "vn-forum", VI, story=story)
    return vi_doc, en_ids


def _latest(out: Path, source_id: str) -> tuple[str, dict]:
    rel = latest_document(out, source_id)
    assert rel is not None
    return rel, json.loads((out / rel).read_text(encoding="utf-8"))


def _doc(out: Path) -> tuple[StoredDocument, StoredDocument | None]:
    rel, record = _latest(out, "vn-forum")
    doc = parse_document(record, rel)
    return doc, story_partner(out, doc)


def _link(**fields: object) -> StoryLink:
    return StoryLink.model_validate({"src": ["a:0:0"], "tgt": ["b:0:0"], "score": 0.5, "method": "evidence", **fields})


def test_link_state_rules() -> None:
    assert link_status(_link(export=True)) == "exported"
    assert link_status(_link(export=False)) == "unsure"
    assert link_status(_link()) == "exported"  # stored before the flag existed
    assert link_status(_link(export=False, review={"decision": "confirm"})) == "confirmed"
    assert link_status(_link(export=True, review={"decision": "reject"})) == "rejected"
    assert not link_exported(_link(export=True, review={"decision": "reject"}))


def test_only_exported_links_reach_tmx_xliff_and_the_memory(tmp_path: Path) -> None:
    out = tmp_path / "output"
    vi_doc, _ = _store(out)
    doc, partner = _doc(out)
    units = story_units(doc, partner)
    assert [(u.source, u.target) for u in units] == [(VI[0].text, "Hanoi hosted the forum.")]
    assert ("x-link", "exported") in units[0].props

    tree = lxml.etree.fromstring(build_xliff(doc, partner=partner))
    ns = {"x": "urn:oasis:names:tc:xliff:document:1.2"}
    refs = {tu.get("id"): tu.xpath("string(x:alt-trans[@alttranstype='reference']/x:target)", namespaces=ns)
            for tu in tree.xpath("//x:trans-unit", namespaces=ns)}
    assert refs == {f"{vi_doc}:0:0": "Hanoi hosted the forum.", f"{vi_doc}:1:0": "", f"{vi_doc}:1:1": ""}

    with open_memory(out / "tm.sqlite") as memory:
        report = remember_story_links(out, memory)
        assert (report.documents, report.links, report.written) == (1, 1, 1)
        entry = memory.get(VI[0].text, "vi", "en", HUMAN_VERSION_MODEL)
        assert (entry.text, entry.state, entry.model) == ("Hanoi hosted the forum.", "reviewed", HUMAN_VERSION_MODEL)
        assert memory.get(VI[1].text, "vi", "en", HUMAN_VERSION_MODEL) is None  # unsure: not in the memory
        assert remember_story_links(out, memory).written == 0  # a second night writes nothing new


def test_review_page_shows_unsure_links(tmp_path: Path) -> None:
    out = tmp_path / "output"
    _store(out)
    doc, partner = _doc(out)
    columns, rows = document_rows(doc, partner)
    assert len(columns) == 3
    assert [r.link for r in rows] == ["exported", "unsure", "unsure"]
    assert [r.cells[1].badge for r in rows] == ["human", "unsure", "unsure"]
    assert "unsure" in (rows[1].cells[1].info or "")


def test_decisions_write_memory_document_and_audit(tmp_path: Path) -> None:
    out = tmp_path / "output"
    _store(out)
    rel, record = _latest(out, "vn-forum")
    with open_memory(out / "tm.sqlite") as memory:
        with pytest.raises(LinkDecisionError):
            decide_link(out, "vn-forum", 0, "reject", None, memory, via="test")  # exported already: not decidable
        with pytest.raises(LinkDecisionError):
            decide_link(out, "vn-forum", 2, "confirm", None, memory, via="test")  # nothing to link to
        with pytest.raises(LinkDecisionError):
            decide_link(out, "vn-forum", 7, "confirm", None, memory, via="test")
        with pytest.raises(ReviewConflict):
            decide_link(out, "vn-forum", 1, "confirm", "0" * 16, memory, via="test")  # stale version
        view = decide_link(out, "vn-forum", 1, "confirm", None, memory, via="test", reviewer="lan")
        assert (view["status"], view["decided_by"]) == ("confirmed", "lan")
        entry = memory.get(VI[1].text, "vi", "en", HUMAN_VERSION_MODEL)
        assert (entry.text, entry.state, entry.reviewer) == ("Ten countries came.", "reviewed", "lan")
        view2 = decide_link(out, "vn-forum", 2, "reject", None, memory, via="test", reviewer="lan")
        assert view2["status"] == "rejected"
    _, stored = _latest(out, "vn-forum")
    links = stored["story"]["links"]
    assert links[1]["export"] is True and links[1]["review"]["decision"] == "confirm"
    assert links[2]["export"] is False and links[2]["review"]["decision"] == "reject"
    doc, partner = _doc(out)
    assert len(story_units(doc, partner)) == 2  # the confirmed link is exported from then on
    audit = [json.loads(line) for line in (out / AUDIT_LOG).read_text(encoding="utf-8").splitlines()]
    assert [(a["link"], a["old"], a["new"]["link"], a["reviewer"]) for a in audit] == [
        (1, {"link": "unsure"}, "confirmed", "lan"), (2, {"link": "unsure"}, "rejected", "lan"),
    ]


def test_review_app_confirms_and_rejects_links(tmp_path: Path) -> None:
    out = tmp_path / "output"
    _store(out)
    with review_server(out) as base, httpx.Client(base_url=base, timeout=30) as client:
        page = client.get("/doc/vn-forum")
        assert page.status_code == 200
        tree = lxml.html.fromstring(page.text)
        csrf = tree.xpath("string(//meta[@name='csrf-token']/@content)")
        boxes = {int(b.get("data-link")): b for b in tree.xpath("//*[@data-link-version]")}
        assert sorted(boxes) == [1, 2] and all(b.get("data-link-status") == "unsure" for b in boxes.values())
        assert tree.xpath("//*[@id='unsure-links']") and "unsure" in tree.xpath("string(//*[@id='l1'])")
        headers = {"X-CSRF-Token": csrf}
        body = {"decision": "confirm", "version": boxes[1].get("data-link-version")}
        assert client.post("/api/links/vn-forum/1", json=body).status_code == 403  # no CSRF token
        assert client.post("/api/links/vn-forum/1", json={**body, "decision": "maybe"}, headers=headers).status_code == 400
        assert client.post("/api/links/vn-forum/9", json=body, headers=headers).status_code == 404
        ok = client.post("/api/links/vn-forum/1", json=body, headers=headers)
        assert ok.status_code == 200, ok.text
        assert (ok.json()["status"], ok.json()["decided_by"]) == ("confirmed", "tester")
        again = client.post("/api/links/vn-forum/1", json={**body, "decision": "reject"}, headers=headers)
        assert again.status_code == 409  # stale version: nothing written
        rejected = client.post("/api/links/vn-forum/2", json={"decision": "reject", "version": boxes[2].get("data-link-version")},
                               headers=headers)
        assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
        reloaded = lxml.html.fromstring(client.get("/doc/vn-forum").text)
        assert reloaded.xpath("string(//*[@id='l1']/@data-state)") and not reloaded.xpath("//*[@id='unsure-links']")
    _, stored = _latest(out, "vn-forum")
    assert [link.get("export") for link in stored["story"]["links"]] == [True, True, False]
    with open_memory(out / "tm.sqlite") as memory:
        entry = memory.get(VI[1].text, "vi", "en", HUMAN_VERSION_MODEL)
        assert (entry.text, entry.reviewer) == ("Ten countries came.", "tester")
