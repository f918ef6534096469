"""Stored documents for the review/export tests, written through the real store.

Documents are built from the carrier model (Document, Segment, Translation,
FetchResult) and stored with `stored_document` + `write_document` (tasks/store/document.py),
exactly as the nightly flow stores them; the raw snapshot is stored content-addressed too.
The helpers return the record as its JSON value (what a reader of the file sees).
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from flows.demo import serve_loopback
from tasks.store import files as store
from tasks.store.document import StoryBlock, stored_document, write_document
from tasks.models import AlignedPair, Document, FetchResult, Provenance, Segment, Translation

SCHEMAS = Path(__file__).resolve().parent / "schemas"

HOSTILE_TITLE = '<script>alert(1)</script><img src=x onerror="window.__xss=1">'
HOSTILE_SEGMENT = '<img src=x onerror="window.__xss=1"> Tin <b>nóng</b> & "mới" ]]> \x0b<svg onload=window.__xss=2>'


@dataclass
class Sent:
    """One sentence of a test document: text, language, translation and its state."""

    text: str
    lang: str = "vi"
    translation: str | None = None
    state: str = "mt"
    paragraph: int | None = None  # default: one sentence per paragraph
    reference: str | None = None
    reviewed_at: datetime | None = None


def make_segments(doc_id: str, sents: list[Sent], pivot: str = "en") -> tuple[list[str], list[Segment]]:
    """Paragraph texts and segments (offsets into the paragraphs joined by blank lines)."""
    paragraphs: list[list[str]] = []
    placed: list[tuple[int, int]] = []
    for n, s in enumerate(sents):
        p = s.paragraph if s.paragraph is not None else n
        while len(paragraphs) <= p:
            paragraphs.append([])
        placed.append((p, len(paragraphs[p])))
        paragraphs[p].append(s.text)
    para_texts = [" ".join(p) for p in paragraphs]
    para_start = []
    pos = 0
    for t in para_texts:
        para_start.append(pos)
        pos += len(t) + 2
    segments = []
    for s, (p, k) in zip(sents, placed):
        start = para_start[p] + sum(len(x) + 1 for x in paragraphs[p][:k])
        tr = None
        if s.translation is not None:
            copy = s.lang == pivot
            tr = Translation(
                text=s.translation,
                src=s.lang,
                tgt=pivot,
                model="copy" if copy else f"argos:{s.lang}-{pivot}@test",
                engine="copy" if copy else "ctranslate2-test|beam2",
                state="copy" if copy else s.state,  # type: ignore[arg-type]
                reference=s.reference,
                reviewed_at=s.reviewed_at,
            )
        segments.append(
            Segment(
                id=f"{doc_id}:{p}:{k}",
                paragraph=p,
                sentence=k,
                start=start,
                end=start + len(s.text),
                text=s.text,
                lang=s.lang,
                lang_score=0.987,
                lang_evidence=["langdetect", "script"],
                translation=tr,
            )
        )
    return para_texts, segments


def store_document(
    output_dir: Path,
    source_id: str,
    sents: list[Sent],
    *,
    url: str | None = None,
    title: str | None = "Hà Nội hôm nay",
    fetched_at: datetime | None = None,
    story: dict[str, Any] | None = None,
    lang: str | None = None,
    pivot: str = "en",
) -> tuple[dict[str, Any], str]:
    """Build and store one document version from sentences; returns (record, path relative to output_dir)."""
    url = url or f"https://news.example.vn/{source_id}.html"
    paragraphs, segments = make_segments(store.doc_id_for(url), sents, pivot)
    return store_segments(
        output_dir, source_id, paragraphs, segments, url=url, title=title, fetched_at=fetched_at, story=story,
        lang=lang or (sents[0].lang if sents else "und"), models=[f"argos:vi-{pivot}@test"],
    )


def store_story_pivot(output_dir: Path) -> tuple[str, list[str]]:
    """Store the English version "en-version" of a two-sentence story; returns
    (doc id of its Vietnamese version "vn-forum", the English segment ids) for story links."""
    en, _ = store_document(
        output_dir,
        "en-version",
        [Sent("Hanoi hosted the forum.", "en", translation="Hanoi hosted the forum."), Sent("Ten countries came.", "en", translation="Ten countries came.")],
        url="https://news.example.com/forum.html",
    )
    return store.doc_id_for("https://news.example.vn/vn-forum.html"), [s["id"] for s in en["segments"]]


def store_segments(
    output_dir: Path,
    source_id: str,
    paragraphs: list[str],
    segments: list[Segment],
    *,
    url: str,
    title: str | None = "Hà Nội hôm nay",
    fetched_at: datetime | None = None,
    story: dict[str, Any] | None = None,
    lang: str = "vi",
    models: list[str] | None = None,
) -> tuple[dict[str, Any], str]:
    """Store segments (ids "<doc_id>:<p>:<s>", offsets into the paragraphs joined by blank lines) as the flow does."""
    doc_id = store.doc_id_for(url)
    text = "\n\n".join(paragraphs)
    raw = f"<html><head><title>{title}</title></head><body>{''.join(f'<p>{p}</p>' for p in paragraphs)}</body></html>".encode()
    raw_rel = store.store_raw(output_dir, raw)
    fetch = FetchResult(
        source_id=source_id,
        url=url,
        final_url=url,
        status=200,
        fetched_at=fetched_at or datetime(2026, 11, 24, 2, 0, 5, tzinfo=timezone.utc),
        outcome="fetched",
        sha256=hashlib.sha256(raw).hexdigest(),
        content_type="text/html; charset=utf-8",
        raw_path=raw_rel,
        robots="allowed",
    )
    doc = Document(
        source_id=source_id,
        url=url,
        title=title,
        lang=lang,
        charset="utf-8",
        charset_source="declared",
        paragraphs=paragraphs,
        text=text,
        extractor="test-extractor/1",
        segments=segments,
    )
    for seg in segments:
        assert seg.id.startswith(doc_id + ":") and text[seg.start : seg.end] == seg.text
    alignment = [
        AlignedPair(src=[s.id], tgt=[f"{s.id}#mt:{s.translation.tgt}"], score=1.0, method="mt-1:1")
        for s in segments
        if s.translation is not None
    ]
    record = stored_document(
        doc,
        fetch,
        doc_id=doc_id,
        alignment=alignment,
        provenance=Provenance(newsbridge="0.1.0", extractor="test-extractor/1", detector="test-detector/1", models=models or []),
        story=StoryBlock.model_validate(story) if story is not None else None,
    )
    rel = write_document(output_dir, record)
    return record.to_json(), rel


def xliff12_schema() -> Any:
    """The OASIS XLIFF 1.2 strict schema, its xml.xsd import resolved to the local copy (no network)."""
    from lxml import etree

    class LocalXmlXsd(etree.Resolver):
        def resolve(self, system_url, public_id, context):  # type: ignore[no-untyped-def]
            if system_url.endswith("xml.xsd"):
                return self.resolve_filename(str(SCHEMAS / "xml.xsd"), context)
            return None

    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(LocalXmlXsd())
    doc = etree.parse(str(SCHEMAS / "xliff-core-1.2-strict.xsd"), parser)
    return etree.XMLSchema(doc)


def tmx14_dtd() -> Any:
    from lxml import etree

    return etree.DTD(str(SCHEMAS / "tmx14.dtd"))


# --------------------------------------------------------------------------- headless Chromium over CDP

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
]


def chromium_binary() -> str:
    """Chromium; its absence FAILS the test (CI installs Debian package `chromium`)."""
    import shutil

    import pytest

    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("Chromium is not installed: `apt-get install -y chromium` (Debian package); .ci/run installs it")


class Chromium:
    """Real headless Chromium driven over the Chrome DevTools Protocol (websocket, loopback).

    `open(url)` navigates the page and waits for the load event; `evaluate(js)` returns
    the value of an expression in the page. Every wait is bounded.
    """

    def __init__(self, binary: str, profile: Path, timeout: float = 60.0) -> None:
        self.binary, self.profile, self.timeout = binary, profile, timeout
        self.proc: Any = None
        self.ws: Any = None
        self._id = 0
        self.events: list[dict[str, Any]] = []

    def __enter__(self) -> "Chromium":
        import json
        import subprocess
        import time
        import urllib.request

        from websockets.sync.client import connect

        self.profile.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [self.binary, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout
        while not (port_file.exists() and port_file.read_text().strip()):
            if self.proc.poll() is not None:
                raise RuntimeError(f"chromium exited with {self.proc.returncode}: {self.proc.stderr.read().decode(errors='replace')[-2000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError("chromium did not open its DevTools port")
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        ws_url = None
        while ws_url is None:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
                pages = [t for t in json.load(resp) if t.get("type") == "page"]
            if pages:
                ws_url = pages[0]["webSocketDebuggerUrl"]
            elif time.monotonic() > deadline:
                raise TimeoutError("chromium has no page target")
            else:
                time.sleep(0.05)
        self.ws = connect(ws_url, max_size=None, open_timeout=self.timeout)
        self.call("Page.enable")
        self.call("Runtime.enable")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.ws is not None:
            self.ws.close()
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except Exception:
                self.proc.kill()
                self.proc.wait(timeout=20)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one CDP command and return its result (events before the reply are collected)."""
        import json

        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=self.timeout))
            if msg.get("id") == self._id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def open(self, url: str) -> None:
        import json

        self.events = []
        self.call("Page.navigate", url=url)
        if any(e.get("method") == "Page.loadEventFired" for e in self.events):
            return
        while True:
            msg = json.loads(self.ws.recv(timeout=self.timeout))
            if msg.get("method") == "Page.loadEventFired":
                return

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page error: {result['exceptionDetails']}")
        return result["result"].get("value")


# --------------------------------------------------------------------------- OmegaT (real, console mode)

OMEGAT_PROJECT = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<omegat>
  <project version="1.0">
    <source_dir>__DEFAULT__</source_dir>
    <target_dir>__DEFAULT__</target_dir>
    <tm_dir>__DEFAULT__</tm_dir>
    <glossary_dir>__DEFAULT__</glossary_dir>
    <glossary_file>__DEFAULT__</glossary_file>
    <dictionary_dir>__DEFAULT__</dictionary_dir>
    <source_lang>{src}</source_lang>
    <target_lang>{tgt}</target_lang>
    <source_tok>org.omegat.tokenizer.DefaultTokenizer</source_tok>
    <target_tok>org.omegat.tokenizer.LuceneEnglishTokenizer</target_tok>
    <sentence_seg>true</sentence_seg>
    <support_default_translations>true</support_default_translations>
    <remove_tags>false</remove_tags>
  </project>
</omegat>
"""


def omegat_binary() -> str:
    """The omegat command; its absence FAILS the test (CI installs Debian package `omegat`)."""
    import shutil

    import pytest

    found = shutil.which("omegat")
    if found is None:
        pytest.fail("OmegaT is not installed: `apt-get install -y omegat` (Debian package, needs Java); .ci/run installs it")
    return found


def omegat_project(root: Path, src: str = "vi", tgt: str = "en") -> Path:
    for sub in ("source", "target", "tm/auto", "omegat", "glossary", "dictionary"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "omegat.project").write_text(OMEGAT_PROJECT.format(src=src, tgt=tgt), encoding="utf-8")
    return root


def run_omegat(project: Path, *args: str) -> Any:
    """Run OmegaT on a project; asserts it exited 0."""
    import os
    import subprocess

    env = {
        **os.environ,
        "HOME": str(project.parent / "omegat-home"),
        "JAVA_TOOL_OPTIONS": "-Djava.awt.headless=true -Dfile.encoding=UTF-8",
    }
    proc = subprocess.run(
        [omegat_binary(), str(project), *args, "--no-team", f"--config-dir={project.parent / 'omegat-config'}", "--disable-project-locking"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


# A page whose title and text try to inject script (review e2e tests).
HOSTILE_PAGE_TITLE = "<script>alert(1)</script> Tin nóng"


HOSTILE_PAGE = """<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8">
<title>&lt;script&gt;alert(1)&lt;/script&gt; Tin nóng</title></head>
<body><main><article>
<h1>&lt;script&gt;alert(1)&lt;/script&gt; Tin nóng</h1>
<p>Ngày 20/2/2025, tại Hà Nội, đoàn công tác đã làm việc với các doanh nghiệp về chuyển đổi số và đổi mới sáng tạo trong năm nay.</p>
<p>&lt;img src=x onerror="window.__xss=1"&gt; Các chuyên gia cho biết thị trường công nghệ đang tăng trưởng mạnh mẽ trong khu vực.</p>
<p>Người dân có thể xem thêm tại &lt;a href="javascript:window.__xss=2"&gt;đây&lt;/a&gt; và theo dõi các bản tin tiếp theo của chúng tôi.</p>
<p>Kết thúc buổi làm việc, hai bên thống nhất sẽ ký kết biên bản ghi nhớ hợp tác trong năm nay tại Hà Nội.</p>
</article></main></body></html>
""".encode()


@contextmanager
def serve(pages: dict[str, bytes]) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = pages.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8" if body is not None else "text/plain")
            body = body if body is not None else b"not found"
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    with serve_loopback(Handler) as base:
        yield base

