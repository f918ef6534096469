"""`newsbridge review serve`: the write API (CSRF, versions, states), the reviewer token, the Host
check, the index filters, and one write path with `review import` (memory, document, audit log).
The server runs as a real process on loopback; requests are real HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import httpx
import lxml.html
import pytest

from review_app_support import ROOT, page_meta, review_server
from review_support import HOSTILE_SEGMENT, HOSTILE_TITLE, Sent, store_document
from tasks.translate.memory import open_memory
from tasks.models import Segment
from tasks.review.reviews import AUDIT_LOG, apply_edits, import_review, segment_version
from tasks.store.document import parse_document
from tasks.review.app import (
    IndexFilters,
    ReviewRequestError,
    allowed_hosts,
    host_allowed,
    index_view,
    parse_write,
)
from tasks.store.files import latest_document

SENTS = [
    Sent("Hà Nội là thủ đô của Việt Nam.", translation="Hanoi is capital of Vietnam."),
    Sent("Bộ họp báo chiều nay.", translation="Ministry press conference this afternoon."),
    Sent(HOSTILE_SEGMENT, translation='<img src=x onerror="window.__xss=4">'),
    Sent("Giá xăng giảm mạnh.", translation="Petrol price fall.", state="reviewed"),
]
MODEL = "argos:vi-en@test"


def _latest(out: Path, source_id: str) -> dict:
    rel = latest_document(out, source_id)
    assert rel is not None
    return json.loads((out / rel).read_text(encoding="utf-8"))


def _audit(out: Path) -> list[dict]:
    path = out / AUDIT_LOG
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


@pytest.fixture()
def out(tmp_path: Path) -> Path:
    out = tmp_path / "output"
    store_document(out, "vn-hostile", SENTS, title=HOSTILE_TITLE)
    store_document(out, "vn-plain", SENTS[:2], url="https://news.example.vn/plain.html", title="Tin thường")
    return out


def test_write_api_end_to_end(out: Path) -> None:
    with review_server(out) as base, httpx.Client(base_url=base, timeout=30) as client:
        index = client.get("/")
        assert index.status_code == 200
        links = lxml.html.fromstring(index.text).xpath("//a[@data-source-id]")
        assert {a.get("data-source-id"): a.get("href") for a in links} == {"vn-hostile": "/doc/vn-hostile", "vn-plain": "/doc/vn-plain"}
        assert {a.text_content() for a in links} == {HOSTILE_TITLE, "Tin thường"}  # the hostile title is text

        page = client.get("/doc/vn-hostile")
        assert page.status_code == 200
        assert "script-src 'self'" in page.headers["content-security-policy"]
        meta = page_meta(page.text)
        csrf, rows = meta["csrf"], meta["rows"]
        assert len(csrf) >= 32 and len(rows) == len(SENTS)
        seg_id, version, text = rows[0]
        assert text == SENTS[0].translation
        headers = {"X-CSRF-Token": csrf}
        url = f"/api/segments/{seg_id}"
        edit = {"text": "Hanoi is the capital of Vietnam.", "state": "reviewed", "version": version}

        # refused writes change nothing
        assert client.post(url, json=edit).status_code == 403
        assert client.post(url, json=edit, headers={"X-CSRF-Token": "x" * 43}).status_code == 403
        assert client.post(url, json={**edit, "state": "approved"}, headers=headers).status_code == 400
        assert client.post(url, json={**edit, "state": "mt"}, headers=headers).status_code == 400
        assert client.post(url, json={**edit, "text": " \n "}, headers=headers).status_code == 400
        assert client.post(url, json={**edit, "version": "nope"}, headers=headers).status_code == 400
        assert client.post(url, content=b"{", headers={**headers, "Content-Type": "application/json"}).status_code == 400
        assert client.post("/api/segments/0000000000000000:0:0", json=edit, headers=headers).status_code == 404
        assert client.post(url, json=edit, headers={**headers, "Origin": "http://evil.example"}).status_code == 403
        assert _latest(out, "vn-hostile")["segments"][0]["translation"]["state"] == "mt"
        assert _audit(out) == []

        ok = client.post(url, json=edit, headers=headers)
        assert ok.status_code == 200, ok.text
        saved = ok.json()
        assert (saved["text"], saved["state"], saved["reviewed_by"]) == (edit["text"], "reviewed", "tester")
        assert saved["version"] != version

        # the same stale version again: 409, the saved text is returned and nothing is overwritten
        stale = client.post(url, json={**edit, "text": "Someone else's text."}, headers=headers)
        assert stale.status_code == 409
        assert stale.json()["current"]["text"] == edit["text"] and stale.json()["current"]["version"] == saved["version"]

        # a new version of the document: shown after a reload
        again = page_meta(client.get("/doc/vn-hostile").text)["rows"][0]
        assert again == (seg_id, saved["version"], edit["text"])

        # flag a reviewed segment: its reviewed text becomes the reference
        seg3, ver3, _ = rows[3]
        flagged = client.post(f"/api/segments/{seg3}", json={"text": "Petrol prices fell.", "state": "needs-review", "version": ver3}, headers=headers)
        assert flagged.status_code == 200 and flagged.json()["reference"] == "Petrol price fall."

    stored = _latest(out, "vn-hostile")
    tr = stored["segments"][0]["translation"]
    assert (tr["text"], tr["state"], tr["reviewed_by"]) == (edit["text"], "reviewed", "tester")
    assert datetime.fromisoformat(tr["reviewed_at"]).tzinfo is not None
    assert segment_version(parse_document(stored), parse_document(stored).segments[0]) == saved["version"]
    with open_memory(out / "tm.sqlite") as memory:
        entry = memory.get(SENTS[0].text, "vi", "en", MODEL)
        assert (entry.text, entry.state, entry.reviewer) == (edit["text"], "reviewed", "tester")
        assert memory.get(SENTS[3].text, "vi", "en", MODEL) is None  # a flag is not a memory state
    audit = _audit(out)
    assert [(a["segment_id"], a["old"], a["new"], a["via"], a["reviewer"]) for a in audit] == [
        (seg_id, {"text": SENTS[0].translation, "state": "mt"}, {"text": edit["text"], "state": "reviewed"}, "browser", "tester"),
        (seg3, {"text": "Petrol price fall.", "state": "reviewed"}, {"text": "Petrol prices fell.", "state": "needs-review"}, "browser", "tester"),
    ]


def test_review_import_uses_the_same_write_path(out: Path, tmp_path: Path) -> None:
    """`review import` writes the audit log too, and a browser save after it sees the import's version."""
    from lxml import etree

    from tasks.review.export import export_documents

    (xlf,) = export_documents("xliff", out, tmp_path / "xliff", ["vn-plain"])
    tree = etree.parse(str(xlf))
    ns = {"x": "urn:oasis:names:tc:xliff:document:1.2"}
    unit = tree.getroot().findall(".//x:trans-unit", ns)[1]
    target = unit.find("x:target", ns)
    target.text, target.attrib["state"] = "The Ministry held a press conference.", "final"
    tree.write(str(xlf), xml_declaration=True, encoding="UTF-8")
    plain = parse_document(_latest(out, "vn-plain"))
    stale_version = segment_version(plain, plain.segments[1])
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "review", "import", str(xlf), "--output", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env={**__import__("os").environ, "NEWSBRIDGE_REVIEWER": "cat-user"},
    )
    assert proc.returncode == 0, proc.stderr
    assert [(a["via"], a["reviewer"], a["new"]["state"]) for a in _audit(out)] == [("xliff-import", "cat-user", "final")]
    # the browser's version from before the import is stale now
    from tasks.review.reviews import ReviewConflict, SegmentEdit

    with open_memory(out / "tm.sqlite") as memory, pytest.raises(ReviewConflict) as conflict:
        apply_edits(out, "vn-plain", unit.get("id").split(":")[0], [SegmentEdit(unit.get("id"), "x", "reviewed", version=stale_version)], memory, via="browser")
    assert conflict.value.current["text"] == "The Ministry held a press conference."
    assert len(_audit(out)) == 1
    # importing the same file again writes nothing, audit included
    with open_memory(out / "tm.sqlite") as memory:
        report = import_review(xlf, out, memory)
    assert report.applied == [] and len(_audit(out)) == 1


def test_reviewer_token_is_checked_on_every_request(out: Path) -> None:
    token = "t0ken-" + "x" * 30
    with review_server(out, env={"NEWSBRIDGE_REVIEW_TOKEN": token}) as base:
        with httpx.Client(base_url=base, timeout=30) as anon:
            assert anon.get("/").status_code == 401
            assert anon.get("/doc/vn-plain").status_code == 401
            assert anon.get("/static/review.js").status_code == 401
            assert anon.get("/?token=wrong").status_code == 401
        with httpx.Client(base_url=base, timeout=30, follow_redirects=False) as browser:
            first = browser.get("/?state=mt&token=" + token)
            assert first.status_code == 303 and first.headers["location"] == "/?state=mt"
            assert "httponly" in first.headers["set-cookie"].lower() and "samesite=strict" in first.headers["set-cookie"].lower()
            page = browser.get("/doc/vn-plain")
            assert page.status_code == 200
            meta = page_meta(page.text)
            seg, version, _ = meta["rows"][0]
            resp = browser.post(f"/api/segments/{seg}", json={"text": "Hanoi.", "state": "final", "version": version}, headers={"X-CSRF-Token": meta["csrf"]})
            assert resp.status_code == 200
        with httpx.Client(base_url=base, timeout=30) as api:
            assert api.get("/", headers={"Authorization": f"Bearer {token}"}).status_code == 200
            assert api.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_binding_beyond_loopback_needs_a_token(out: Path) -> None:
    cmd = [sys.executable, "-m", "flows.cli", "review", "serve", "--output", str(out), "--host", "0.0.0.0", "--port", "0"]
    env = {k: v for k, v in __import__("os").environ.items() if k != "NEWSBRIDGE_REVIEW_TOKEN"}
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 2 and "NEWSBRIDGE_REVIEW_TOKEN" in proc.stderr
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60, env={**env, "NEWSBRIDGE_REVIEW_TOKEN": "short"})
    assert proc.returncode == 2 and "too short" in proc.stderr


def test_host_header_is_checked(out: Path) -> None:
    """A DNS-rebinding page reaches the server under a foreign Host name: refused."""
    with review_server(out) as base, httpx.Client(base_url=base, timeout=30) as client:
        assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
        port = base.rsplit(":", 1)[1].strip("/")
        assert client.get("/", headers={"Host": f"localhost:{port}"}).status_code == 200
    assert host_allowed("127.0.0.1:8080", allowed_hosts("127.0.0.1", 8080))
    assert not host_allowed("127.0.0.1:8081", allowed_hosts("127.0.0.1", 8080))
    assert not host_allowed(None, allowed_hosts("127.0.0.1", 8080))
    assert allowed_hosts("::1", 9000) >= {"[::1]:9000", "localhost:9000"}
    assert host_allowed("reviews.example:8765", allowed_hosts("0.0.0.0", 8765))  # the token guards such a bind


@pytest.mark.parametrize(
    "payload, error",
    [
        ([], "JSON object"),
        ({"text": "x", "state": "reviewed"}, "version"),
        ({"text": "x", "state": "final", "version": "0123456789abcdef", "extra": 1}, "unknown field"),
        ({"text": 5, "state": "final", "version": "0123456789abcdef"}, "string"),
        ({"text": "\x00\x07", "state": "final", "version": "0123456789abcdef"}, "empty"),
        ({"text": "x" * 20_001, "state": "final", "version": "0123456789abcdef"}, "longer"),
        ({"text": "x", "state": "final", "version": "0123456789abcdef", "reviewer": "<b>"}, "reviewer"),
    ],
)
def test_bad_write_bodies(payload: object, error: str) -> None:
    with pytest.raises(ReviewRequestError) as exc:
        parse_write(payload, "me")
    assert exc.value.status == 400 and error in str(exc.value)


def test_write_body_is_normalised() -> None:
    text, state, version, who = parse_write({"text": " Ha\u0300 No\u0302\u0323i\r\n ", "state": "final", "version": "0123456789abcdef"}, "me")
    assert (text, state, version, who) == ("Hà Nội", "final", "0123456789abcdef", "me")


def test_index_filters(tmp_path: Path) -> None:
    out = tmp_path / "output"
    store_document(out, "vn-mt", SENTS[:2], url="https://a.example/1", fetched_at=datetime(2026, 11, 20, tzinfo=timezone.utc))
    store_document(out, "vn-done", [Sent("Một.", translation="One.", state="final")], url="https://a.example/2")
    store_document(out, "vn-flag", [Sent("Hai.", translation="Two.", state="needs-review")], url="https://a.example/3")
    store_document(out, "zh-one", [Sent("北京。", "zh", translation="Beijing.")], url="https://a.example/4", lang="zh")

    def ids(**query: str) -> list[str]:
        return [e["source_id"] for e in index_view(out, IndexFilters.from_query(query))["entries"]]

    assert ids() == ["vn-done", "vn-flag", "vn-mt", "zh-one"]
    assert ids(state="needs-review") == ["vn-flag"]
    assert ids(state="mt") == ["vn-mt", "zh-one"]  # MT only: nothing reviewed or flagged yet
    assert ids(state="reviewed") == ["vn-done"]
    assert ids(lang="zh") == ["zh-one"]
    assert ids(source="VN-") == ["vn-done", "vn-flag", "vn-mt"]
    assert ids(since="2026-11-21") == ["vn-done", "vn-flag", "zh-one"]
    view = index_view(out, IndexFilters.from_query({"since": "yesterday", "state": "bogus"}))
    assert len(view["entries"]) == 4 and len(view["problems"]) == 2
    assert view["totals"] == {"final": 1, "mt": 3, "needs-review": 1}


def test_memory_made_before_the_reviewer_column_gains_it(tmp_path: Path) -> None:
    """A tm.sqlite from an older newsbridge (no reviewer column) opens, keeps its rows and records reviewers."""
    import sqlite3

    path = tmp_path / "tm.sqlite"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE tm (source_hash TEXT NOT NULL, src TEXT NOT NULL, tgt TEXT NOT NULL, model TEXT NOT NULL,"
        " source_text TEXT NOT NULL, text TEXT NOT NULL, state TEXT NOT NULL, created TEXT NOT NULL,"
        " updated TEXT NOT NULL, PRIMARY KEY (source_hash, src, tgt, model));"
    )
    db.close()
    with open_memory(path) as memory:
        memory.put("Một.", "One.", "vi", "en", MODEL)
        memory.put("Hai.", "Two.", "vi", "en", MODEL, "final", reviewer="lan")
        assert memory.get("Một.", "vi", "en", MODEL).reviewer is None
        assert memory.get("Hai.", "vi", "en", MODEL).reviewer == "lan"
        memory.put("Hai.", "Two (mt).", "vi", "en", MODEL)  # never downgrades, reviewer kept
        assert (memory.get("Hai.", "vi", "en", MODEL).text, memory.get("Hai.", "vi", "en", MODEL).reviewer) == ("Two.", "lan")
    with open_memory(path) as memory:  # reopening does not add the column twice
        assert memory.count() == {"mt": 1, "final": 1}


def test_story_row_joining_two_segments_has_one_editable_block_each(tmp_path: Path) -> None:
    """A story link with two source sentences is one row; each sentence keeps its own id, version and target."""
    from review_support import store_story_pivot
    from tasks.review.app import document_view, render

    out = tmp_path / "output"
    vi_doc, en_ids = store_story_pivot(out)
    story = {
        "id": "forum",
        "pivot_source": "en-version",
        "links": [
            {"src": [f"{vi_doc}:0:0", f"{vi_doc}:0:1"], "tgt": [en_ids[0]], "score": 0.8, "method": "length+anchors"},
            {"src": [f"{vi_doc}:1:0"], "tgt": [en_ids[1]], "score": 0.9, "method": "length+anchors"},
        ],
    }
    store_document(
        out,
        "vn-forum",
        [
            Sent("Hà Nội đăng cai.", translation="Hanoi hosts.", paragraph=0),
            Sent("Diễn đàn mở.", translation="Forum opens.", paragraph=0),
            Sent("Mười nước tham dự.", translation="Ten countries attend.", paragraph=1),
        ],
        story=story,
    )
    view = document_view(out, "vn-forum")
    assert view is not None and view["pivot_source"] == "en-version" and len(view["columns"]) == 3
    html = render("document.html", csrf="c" * 43, csp="x", reviewer=None, **view)
    tree = lxml.html.fromstring(html)
    rows = tree.xpath("//div[contains(@class,'rows')]/div[contains(@class,'row') and not(contains(@class,'head'))]")
    assert len(rows) == 2
    assert rows[0].get("data-segment-id") is None  # two sentences: one block each inside the row
    blocks = rows[0].xpath(".//*[@data-segment-id]")
    assert [b.get("data-segment-id") for b in blocks] == [f"{vi_doc}:0:0", f"{vi_doc}:0:1"]
    assert [b.xpath("string(.//*[@data-target])") for b in blocks] == ["Hanoi hosts.", "Forum opens."]
    assert all(len(b.get("data-version")) == 16 for b in blocks)
    assert rows[1].get("data-segment-id") == f"{vi_doc}:1:0"
    assert "Hanoi hosted the forum." in rows[0].text_content()  # the human version column
    index = index_view(out, IndexFilters())
    pairs = {e["source_id"]: e["pairs"] for e in index["entries"]}
    assert pairs == {"en-version": ["vn-forum"], "vn-forum": ["en-version"]}


def test_a_reviewer_translates_a_segment_no_model_covered(tmp_path: Path) -> None:
    """The browser path of `review import`'s first-translation case: model `human`, into the memory."""
    from tasks.review.reviews import segment_view
    from tasks.review.app import write_segment

    out = tmp_path / "output"
    record, _ = store_document(out, "vn-gap", [Sent("Có mô hình.", translation="Has a model."), Sent("Không có mô hình."), Sent("???", "und")])
    seg, odd = record["segments"][1], record["segments"][2]
    with open_memory(out / "tm.sqlite") as memory:
        view = write_segment(out, seg["id"], {"text": "No model here.", "state": "final", "version": segment_view(parse_document(record), Segment.model_validate(seg))["version"]}, memory, reviewer="lan", pivot="en")
        assert (view["text"], view["state"], view["reviewed_by"]) == ("No model here.", "final", "lan")
        entry = memory.get("Không có mô hình.", "vi", "en", "human")
        assert (entry.text, entry.state, entry.reviewer) == ("No model here.", "final", "lan")
        with pytest.raises(ReviewRequestError) as exc:
            write_segment(out, odd["id"], {"text": "What?", "state": "final", "version": segment_view(parse_document(record), Segment.model_validate(odd))["version"]}, memory, reviewer="lan", pivot="en")
        assert exc.value.status == 400 and "unknown language" in str(exc.value)
    stored = _latest(out, "vn-gap")["segments"][1]["translation"]
    assert (stored["model"], stored["src"], stored["tgt"], stored["text"]) == ("human", "vi", "en", "No model here.")
