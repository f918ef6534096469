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
from tasks.models import TEST_MODEL_VERSION
from tasks.review.link_state import link_status
from tasks.review.reviews import StoredDocument

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


def _link_info(link: dict[str, Any], status: str) -> str:
    info = f"{link.get('method')} · score {float(link.get('score') or 0):.2f}"
    review = link.get("review") or {}
    if status in ("confirmed", "rejected"):
        info += f" · {status}" + (f" by {review['by']}" if review.get("by") else "")
    elif status == "unsure":
        info += " · unsure: not in the memory or exports until confirmed"
    return info


def _lang_info(segs: list[dict[str, Any]]) -> str:
    return " · ".join(f"{s.get('lang', 'und')} {float(s.get('lang_score') or 0):.2f}" for s in segs)


def _translation_cell(segs: list[dict[str, Any]], label: str) -> tuple[Cell, str]:
    trs = [s.get("translation") for s in segs]
    present = [t for t in trs if t]
    if not present:
        return Cell(label, "", badge="untranslated", info="no model for this language"), "untranslated"
    states = [t.get("state") or "mt" for t in present]
    # the row shows the least-settled state of its segments
    order = ["needs-review", "mt", "copy", "reviewed", "final"]
    state = min(states, key=lambda s: order.index(s) if s in order else 0)
    refs = [t["reference"] for t in present if t.get("reference")]
    info = " · ".join(sorted({t.get("model", "") for t in present if t.get("model")}))
    return (
        Cell(label, " ".join(t.get("text", "") for t in present), lang=present[0].get("tgt"), badge=state, info=info or None, reference=" ".join(refs) or None),
        state,
    )


def document_rows(record: dict[str, Any], partner: dict[str, Any] | None) -> tuple[list[str], list[Row]]:
    """Column titles and rows: per segment, or per story link (three columns) when the story's human version is stored."""
    segments = record.get("segments") or []
    story = record.get("story") or {}
    links = story.get("links") or []
    rows: list[Row] = []
    last_para: int | None = None
    if links and partner is not None:
        mine = {s["id"]: s for s in segments}
        theirs = {s["id"]: s for s in partner.get("segments") or []}
        pivot_lang = (partner.get("document") or {}).get("lang") or "?"
        columns = ["original", f"human version ({story.get('pivot_source')}, {pivot_lang})", "machine translation"]
        for n, link in enumerate(links):
            src = [mine[i] for i in link.get("src") or [] if i in mine]
            tgt = [theirs[i] for i in link.get("tgt") or [] if i in theirs]
            para = src[0]["paragraph"] if src else last_para
            mt_cell, state = _translation_cell(src, columns[2]) if src else (Cell(columns[2], ""), "human")
            status = link_status(link)
            rows.append(
                Row(
                    anchor=f"l{n}",
                    state=state,
                    new_paragraph=para != last_para,
                    link=status,
                    cells=[
                        Cell(columns[0], " ".join(s.get("text", "") for s in src), lang=src[0].get("lang") if src else None, info=_lang_info(src) or None),
                        Cell(
                            columns[1],
                            " ".join(s.get("text", "") for s in tgt),
                            lang=tgt[0].get("lang") if tgt else None,
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
                new_paragraph=seg.get("paragraph") != last_para,
                cells=[Cell(columns[0], seg.get("text", ""), lang=seg.get("lang"), info=_lang_info([seg])), tr_cell],
            )
        )
        last_para = seg.get("paragraph")
    return columns, rows


def page_path(to_dir: Path, doc: StoredDocument) -> Path:
    """`<to>/<source-id>/<doc-id>.html` (ids are validated path components)."""
    from tasks.store.files import safe_join

    return safe_join(to_dir, doc.source_id, f"{doc.record['doc_id']}.html")


def _rel_href(target: Path, page: Path) -> str:
    from urllib.parse import quote

    return quote(os.path.relpath(target, page.parent).replace(os.sep, "/"))


def _state_counts(record: dict[str, Any]) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for seg in record.get("segments") or []:
        state = (seg.get("translation") or {}).get("state") or "untranslated"
        counts[state] = counts.get(state, 0) + 1
    return sorted(counts.items())


def test_models_of(record: dict[str, Any]) -> list[str]:
    """Model ids of the tiny test models that translated segments of this record."""
    models = {
        (s.get("translation") or {}).get("model") or "" for s in record.get("segments") or []
    }
    return sorted(m for m in models if m.endswith("@" + TEST_MODEL_VERSION))


def render_document(doc: StoredDocument, page: Path, output_dir: Path, index: Path, partner: dict[str, Any] | None = None) -> str:
    """The HTML of one document's review page, to be written at `page`."""
    from tasks.store.files import UnsafePathError, safe_join

    record = doc.record
    document = record.get("document") or {}
    fetch = record.get("fetch") or {}
    columns, rows = document_rows(record, partner)
    raw_href = None
    raw = fetch.get("raw_path")
    if isinstance(raw, str):
        try:
            raw_file = safe_join(output_dir, *raw.split("/"))
            if raw_file.is_file():
                raw_href = _rel_href(raw_file, page)
        except UnsafePathError:
            raw_href = None
    segments = record.get("segments") or []
    url = fetch.get("final_url") or record.get("url")
    tgt = next((s["translation"]["tgt"] for s in segments if s.get("translation")), "?")
    story = record.get("story") or {}
    story_note = None
    if story.get("links"):
        story_note = f"story with {story.get('pivot_source')}" + ("" if partner else " (human version not stored)")
        unsure = sum(1 for link in story["links"] if isinstance(link, dict) and link_status(link) == "unsure")
        if partner and unsure:
            story_note += f" · {unsure} unsure link{'s' if unsure != 1 else ''} (confirm or reject in the review app)"
    return _env().get_template(f"{TEMPLATES}/document.html").render(
        csp=CSP,
        style=_style(),
        title=document.get("title") or record.get("url") or doc.rel,
        source_id=record.get("source_id"),
        src_lang=document.get("lang") or "und",
        tgt_lang=tgt,
        fetched_at=fetch.get("fetched_at"),
        url=url,
        url_href=web_href(url),
        raw_href=raw_href,
        index_href=_rel_href(index, page),
        version=record.get("version"),
        counts=", ".join(f"{state} {n}" for state, n in _state_counts(record)),
        story_note=story_note,
        test_models=test_models_of(record),
        columns=columns,
        rows=rows,
        version_tool=__version__,
    )


def render_index(entries: list[dict[str, Any]]) -> str:
    return _env().get_template(f"{TEMPLATES}/index.html").render(
        csp=CSP, style=_style(), docs=entries, version_tool=__version__
    )


def export_html(
    docs: list[StoredDocument], to_dir: Path, output_dir: Path, partners: dict[str, dict[str, Any] | None] | None = None
) -> list[Path]:
    """Write `<to>/index.html` and one page per document; returns the paths (index first)."""
    from tasks.store.files import write_atomic

    partners = partners or {}
    index = to_dir / "index.html"
    written: list[Path] = []
    entries = []
    for doc in docs:
        page = page_path(to_dir, doc)
        html = render_document(doc, page, output_dir, index, partners.get(doc.rel))
        write_atomic(page, html.encode("utf-8"))
        written.append(page)
        document = doc.record.get("document") or {}
        entries.append(
            {
                "href": _rel_href(page, index),
                "title": document.get("title") or doc.record.get("url") or doc.rel,
                "source_id": doc.source_id,
                "lang": document.get("lang") or "und",
                "fetched_at": (doc.record.get("fetch") or {}).get("fetched_at"),
                "states": _state_counts(doc.record),
            }
        )
    write_atomic(index, render_index(entries).encode("utf-8"))
    return [index, *written]
