"""XLIFF 1.2 export: one file per document, one `trans-unit` per segment.

XLIFF 1.2 (OASIS, strict schema) rather than 2.x because it is what OmegaT's own
filter, Okapi's XLIFF filter, Trados and memoQ all open. States use the 1.2 vocabulary
(`tasks.review.reviews.XLIFF12_STATE`): MT is `translated` + `state-qualifier="leveraged-mt"`,
reviewed is `signed-off`, final is `final`, a changed segment whose old review must be
checked is `needs-review-translation` with the old reviewed text in an `alt-trans`;
segments with no translation have no `target` (the 1.2 way of saying "new");
segments already in the target language are `translate="no"`.

`<file original>` is the stored document's path (docs/<source-id>/<doc-id>/<version>.json)
and each `trans-unit id` is the segment id: that is how `newsbridge review import`
finds its way back.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from tasks import __version__
from tasks.langs import written_without_spaces
from tasks.review.link_state import exported_links, link_status
from tasks.review.reviews import XLIFF12_NS, XLIFF12_STATE, XML_NS, StoredDocument, xml_text
from tasks.store.document import StoryLink

_X = f"{{{XLIFF12_NS}}}"
_XML_LANG = f"{{{XML_NS}}}lang"


def _note(parent: Any, text: str, annotates: str | None = None) -> None:
    from lxml import etree

    note = etree.SubElement(parent, _X + "note", {"from": "newsbridge"})
    if annotates:
        note.set("annotates", annotates)
    note.text = xml_text(text)


def _kv(pairs: list[tuple[str, Any]]) -> str:
    return "; ".join(f"{k}: {v}" for k, v in pairs if v not in (None, "", []))


def _human_versions(doc: StoredDocument, partner: StoredDocument | None) -> dict[str, tuple[str, StoryLink]]:
    """segment id -> (the story's human-version text linked to it, the link); exported links only."""
    links = exported_links(doc.story.links if doc.story is not None else None)
    if partner is None or not links:
        return {}
    theirs = {s.id: s for s in partner.segments}
    lang = partner.document.lang or ""
    sep = "" if written_without_spaces(lang) else " "
    out: dict[str, tuple[str, StoryLink]] = {}
    for link in links:
        text = sep.join(theirs[i].text for i in link.tgt if i in theirs)
        if text:
            for sid in link.src:
                out[sid] = (text, link)
    return out


def _time(value: Any) -> Any:
    """A datetime as the stored record writes it (JSON); anything else as is."""
    return TypeAdapter(datetime).dump_python(value, mode="json") if isinstance(value, datetime) else value


def build_xliff(doc: StoredDocument, pivot: str | None = None, partner: StoredDocument | None = None) -> bytes:
    """The XLIFF 1.2 document for one stored document version.

    With `partner` (the latest record of the story's human version), each segment of an
    exported link also carries the human translation as `<alt-trans alttranstype="reference">`
    (unsure and rejected links carry none: tasks/review/link_state.py).
    """
    from lxml import etree

    document, fetch, prov, segments = doc.document, doc.fetch, doc.provenance, doc.segments
    tgt_lang = pivot or next((s.translation.tgt for s in segments if s.translation), None) or "en"
    src_lang = document.lang or next((s.lang for s in segments if s.lang), None) or "und"

    root = etree.Element(_X + "xliff", {"version": "1.2"}, nsmap={None: XLIFF12_NS})
    file_el = etree.SubElement(
        root,
        _X + "file",
        {
            "original": doc.rel or "",
            "source-language": src_lang,
            "target-language": tgt_lang,
            "datatype": "plaintext",
            "tool-id": "newsbridge",
        },
    )
    header = etree.SubElement(file_el, _X + "header")
    etree.SubElement(
        header, _X + "tool", {"tool-id": "newsbridge", "tool-name": "newsbridge", "tool-version": __version__}
    )
    _note(
        header,
        _kv(
            [
                ("title", document.title),
                ("source", doc.source_id),
                ("url", doc.url),
                ("final url", fetch.final_url),
                ("fetched at", fetch.fetched_at),
                ("http status", fetch.status),
                ("sha256", fetch.sha256),
                ("raw snapshot", fetch.raw_path),
                ("charset", f"{fetch.charset} ({fetch.charset_source})" if fetch.charset else None),
                ("extractor", document.extractor),
                ("selector", document.selector),
                ("detector", prov.detector),
                ("models", ", ".join(prov.models)),
                ("engine", prov.engine),
                ("run", prov.run_id),
                ("newsbridge", prov.newsbridge),
            ]
        ),
    )
    body = etree.SubElement(file_el, _X + "body")
    human = _human_versions(doc, partner)
    story_source = doc.story.pivot_source if doc.story is not None else None
    for seg in segments:
        tr = seg.translation
        tu = etree.SubElement(body, _X + "trans-unit", {"id": xml_text(seg.id)})
        source = etree.SubElement(tu, _X + "source")
        if seg.lang and seg.lang != src_lang:
            source.set(_XML_LANG, seg.lang)
        source.text = xml_text(seg.text)
        if tr:
            state, qualifier = XLIFF12_STATE.get(tr.state or "mt", XLIFF12_STATE["mt"])
            if tr.state == "copy" or tr.src == tr.tgt:
                tu.set("translate", "no")
            if tr.state in ("reviewed", "final"):
                tu.set("approved", "yes")
            target = etree.SubElement(tu, _X + "target", {"state": state})
            if qualifier:
                target.set("state-qualifier", qualifier)
            if tr.tgt and tr.tgt != tgt_lang:
                target.set(_XML_LANG, tr.tgt)
            target.text = xml_text(tr.text)
            if tr.state == "needs-review" and tr.reference:
                alt = etree.SubElement(tu, _X + "alt-trans", {"alttranstype": "previous-version", "origin": "newsbridge-review"})
                etree.SubElement(alt, _X + "source").text = xml_text(seg.text)
                etree.SubElement(alt, _X + "target").text = xml_text(tr.reference)
        if seg.id in human:
            text, link = human[seg.id]
            alt = etree.SubElement(
                tu,
                _X + "alt-trans",
                {
                    "alttranstype": "reference",
                    "origin": xml_text(f"human version: {story_source} ({link.method}, {link_status(link)})"),
                    "match-quality": f"{float(link.score or 0):.2f}",
                },
            )
            etree.SubElement(alt, _X + "target").text = xml_text(text)
        _note(
            tu,
            _kv(
                [
                    ("paragraph", seg.paragraph),
                    ("sentence", seg.sentence),
                    ("offsets", f"{seg.start}-{seg.end}"),
                    ("lang", f"{seg.lang} ({float(seg.lang_score or 0):.3f})"),
                    ("evidence", ", ".join(seg.lang_evidence)),
                    ("model", tr.model if tr else None),
                    ("engine", tr.engine if tr else None),
                    ("chain", " > ".join(tr.chain) if tr else None),
                    ("from memory", tr.from_memory if tr else None),
                    ("state", tr.state if tr else "untranslated"),
                    ("reviewed at", _time(tr.reviewed_at) if tr else None),
                ]
            ),
        )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def xliff_path(to_dir: Path, doc: StoredDocument) -> Path:
    """`<to>/<source-id>/<doc-id>.xlf` (ids are validated path components)."""
    from tasks.store.files import safe_join

    return safe_join(to_dir, doc.source_id, f"{doc.doc_id}.xlf")


def export_xliff(docs: list[StoredDocument], to_dir: Path, partners: dict[str, StoredDocument | None] | None = None) -> list[Path]:
    """Write one XLIFF 1.2 file per document into to_dir."""
    from tasks.store.files import write_atomic

    partners = partners or {}
    written = []
    for doc in docs:
        path = xliff_path(to_dir, doc)
        write_atomic(path, build_xliff(doc, partner=partners.get(doc.rel or "")))
        written.append(path)
    return written
