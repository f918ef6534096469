"""Static side-by-side review pages: one HTML page per document and an index.

Source on the left, translation on the right (and the story's human version in between
when the document belongs to a story), one row per aligned pair, with language, score
and a state badge per row, and links to the original URL and the raw snapshot.

Safety: every piece of page text goes through Jinja2 autoescaping; the pages contain
no script at all, and a Content-Security-Policy (`default-src 'none'`) forbids scripts
as a second line of defence; hrefs built from crawled data are emitted only when
they are absolute http(s) URLs. No network: CSS is inline, no fonts or images.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tasks import __version__
from tasks.models import TEST_MODEL_VERSION, Segment
from tasks.review.link_state import link_status
from tasks.review.reviews import StoredDocument
from tasks.store.document import StoryLink

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'"

# The pages' HTML and CSS live in tasks/templates/review_page/ (document.html, index.html,
# their shared _head.html with the Content-Security-Policy and referrer rules, style.css).
TEMPLATES = "review_page"


def web_href(url: Any) -> str | None:
    """The URL when it is an absolute http(s) URL with a host; None otherwise (javascript:, data:, ...)."""
    if not isinstance(url, str) or any(ch in url for ch in "\x00\r\n\t") or url != url.strip():
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


@lru_cache(maxsize=1)
def _env() -> Any:
    """The Jinja2 environment over tasks/templates/ (made on first use, once per process)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(
        loader=PackageLoader("tasks", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@lru_cache(maxsize=1)
def _style() -> str:
    """The pages' inline CSS (inline: the pages make no network request)."""
    return resources.files("tasks").joinpath("templates", TEMPLATES, "style.css").read_text(encoding="utf-8")


@dataclass
class Cell:
    label: str
    text: str
    lang: str | None = None
    badge: str | None = None
    info: str | None = None
    reference: str | None = None


@dataclass
class Row:
    anchor: str
    state: str
    new_paragraph: bool
    cells: list[Cell] = field(default_factory=list)
    link: str | None = None  # story rows: the link's state (exported, confirmed, unsure, rejected)


# A story link's state -> the badge of its human-version cell ("unsure": the aligner did not
# export it and no translator has confirmed it; it is in no memory, TMX or XLIFF reference).
LINK_BADGE = {"exported": "human", "confirmed": "human", "unsure": "unsure", "rejected": "rejected"}


def _link_info(link: StoryLink, status: str) -> str:
    info = f"{link.method} · score {float(link.score or 0):.2f}"
    by = link.review.by if link.review is not None else None
    if status in ("confirmed", "rejected"):
        info += f" · {status}" + (f" by {by}" if by else "")
    elif status == "unsure":
        info += " · unsure: not in the memory or exports until confirmed"
    return info


def _lang_info(segs: list[Segment]) -> str:
    return " · ".join(f"{s.lang or 'und'} {float(s.lang_score or 0):.2f}" for s in segs)


def _translation_cell(segs: list[Segment], label: str) -> tuple[Cell, str]:
    present = [s.translation for s in segs if s.translation is not None]
    if not present:
        return Cell(label, "", badge="untranslated", info="no model for this language"), "untranslated"
    states = [t.state or "mt" for t in present]
    # the row shows the least-settled state of its segments
    order = ["needs-review", "mt", "copy", "reviewed", "final"]
    state = min(states, key=lambda s: order.index(s) if s in order else 0)
    refs = [t.reference for t in present if t.reference]
    info = " · ".join(sorted({t.model for t in present if t.model}))
    return (
        Cell(label, " ".join(t.text for t in present), lang=present[0].tgt, badge=state, info=info or None, reference=" ".join(refs) or None),
        state,
    )


def document_rows(record: StoredDocument, partner: StoredDocument | None) -> tuple[list[str], list[Row]]:
    """Column titles and rows: per segment, or per story link (three columns) when the story's human version is stored."""
    segments = record.segments
    story = record.story
    links = story.links if story is not None else []
    rows: list[Row] = []
    last_para: int | None = None
    if story is not None and links and partner is not None:
        mine = {s.id: s for s in segments}
        theirs = {s.id: s for s in partner.segments}
        pivot_lang = partner.document.lang or "?"
        columns = ["original", f"human version ({story.pivot_source}, {pivot_lang})", "machine translation"]
        for n, link in enumerate(links):
            src = [mine[i] for i in link.src if i in mine]
            tgt = [theirs[i] for i in link.tgt if i in theirs]
            para = src[0].paragraph if src else last_para
            mt_cell, state = _translation_cell(src, columns[2]) if src else (Cell(columns[2], ""), "human")
            status = link_status(link)
            rows.append(
                Row(
                    anchor=f"l{n}",
                    state=state,
                    new_paragraph=para != last_para,
                    link=status,
                    cells=[
                        Cell(columns[0], " ".join(s.text for s in src), lang=src[0].lang if src else None, info=_lang_info(src) or None),
                        Cell(
                            columns[1],
                            " ".join(s.text for s in tgt),
                            lang=tgt[0].lang if tgt else None,
                            badge=LINK_BADGE[status],
                            info=_link_info(link, status),
                        ),
                        mt_cell,
                    ],
                )
            )
            last_para = para
        return columns, rows
    columns = ["source", "translation"]
    for n, seg in enumerate(segments):
        tr_cell, state = _translation_cell([seg], columns[1])
        rows.append(
            Row(
                anchor=f"s{n}",
                state=state,
                new_paragraph=seg.paragraph != last_para,
                cells=[Cell(columns[0], seg.text, lang=seg.lang, info=_lang_info([seg])), tr_cell],
            )
        )
        last_para = seg.paragraph
    return columns, rows


def page_path(to_dir: Path, doc: StoredDocument) -> Path:
    """`<to>/<source-id>/<doc-id>.html` (ids are validated path components)."""
    from tasks.store.files import safe_join

    return safe_join(to_dir, doc.source_id, f"{doc.doc_id}.html")


def _rel_href(target: Path, page: Path) -> str:
    from urllib.parse import quote

    return quote(os.path.relpath(target, page.parent).replace(os.sep, "/"))


def _state_counts(record: StoredDocument) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for seg in record.segments:
        state = seg.translation.state if seg.translation is not None else "untranslated"
        counts[state] = counts.get(state, 0) + 1
    return sorted(counts.items())


def test_models_of(record: StoredDocument) -> list[str]:
    """Model ids of the tiny test models that translated segments of this record."""
    models = {s.translation.model for s in record.segments if s.translation is not None}
    return sorted(m for m in models if m.endswith("@" + TEST_MODEL_VERSION))


def render_document(doc: StoredDocument, page: Path, output_dir: Path, index: Path, partner: StoredDocument | None = None) -> str:
    """The HTML of one document's review page, to be written at `page`."""
    from tasks.store.files import UnsafePathError, safe_join

    document = doc.document
    columns, rows = document_rows(doc, partner)
    raw_href = None
    raw = doc.fetch.raw_path
    if isinstance(raw, str):
        try:
            raw_file = safe_join(output_dir, *raw.split("/"))
            if raw_file.is_file():
                raw_href = _rel_href(raw_file, page)
        except UnsafePathError:
            raw_href = None
    url = doc.page_url
    tgt = next((s.translation.tgt for s in doc.segments if s.translation), "?")
    story = doc.story
    story_note = None
    if story is not None and story.links:
        story_note = f"story with {story.pivot_source}" + ("" if partner else " (human version not stored)")
        unsure = sum(1 for link in story.links if link_status(link) == "unsure")
        if partner and unsure:
            story_note += f" · {unsure} unsure link{'s' if unsure != 1 else ''} (confirm or reject in the review app)"
    return _env().get_template(f"{TEMPLATES}/document.html").render(
        csp=CSP,
        style=_style(),
        title=document.title or doc.url or doc.rel,
        source_id=doc.source_id,
        src_lang=document.lang or "und",
        tgt_lang=tgt,
        fetched_at=doc.fetch.fetched_at,
        url=url,
        url_href=web_href(url),
        raw_href=raw_href,
        index_href=_rel_href(index, page),
        version=doc.version,
        counts=", ".join(f"{state} {n}" for state, n in _state_counts(doc)),
        story_note=story_note,
        test_models=test_models_of(doc),
        columns=columns,
        rows=rows,
        version_tool=__version__,
    )


def render_index(entries: list[dict[str, Any]]) -> str:
    return _env().get_template(f"{TEMPLATES}/index.html").render(
        csp=CSP, style=_style(), docs=entries, version_tool=__version__
    )


def export_html(
    docs: list[StoredDocument], to_dir: Path, output_dir: Path, partners: dict[str, StoredDocument | None] | None = None
) -> list[Path]:
    """Write `<to>/index.html` and one page per document; returns the paths (index first)."""
    written, entries = export_html_pages(docs, to_dir, output_dir, partners)
    return [render_index_file(to_dir, entries), *written]


def render_index_file(to_dir: Path, entries: list[dict[str, Any]]) -> Path:
    """Write `<to>/index.html` listing `entries` (from `export_html_pages`)."""
    from tasks.store.files import write_atomic

    index = to_dir / "index.html"
    write_atomic(index, render_index(entries).encode("utf-8"))
    return index


def export_html_pages(
    docs: list[StoredDocument], to_dir: Path, output_dir: Path, partners: dict[str, StoredDocument | None] | None = None
) -> tuple[list[Path], list[dict[str, Any]]]:
    """Write one page per document; returns the pages and their index entries (JSON-ready)."""
    from tasks.store.files import write_atomic

    partners = partners or {}
    index = to_dir / "index.html"
    written: list[Path] = []
    entries = []
    for doc in docs:
        page = page_path(to_dir, doc)
        html = render_document(doc, page, output_dir, index, partners.get(doc.rel or ""))
        write_atomic(page, html.encode("utf-8"))
        written.append(page)
        entries.append(
            {
                "href": _rel_href(page, index),
                "title": doc.document.title or doc.url or doc.rel,
                "source_id": doc.source_id,
                "lang": doc.document.lang or "und",
                "fetched_at": doc.fetch.fetched_at,
                "states": _state_counts(doc),
            }
        )
    return written, entries
