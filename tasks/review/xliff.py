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

from pathlib import Path
from typing import Any

from tasks import __version__
from tasks.langs import written_without_spaces
from tasks.review.link_state import exported_links, link_status
from tasks.review.reviews import XLIFF12_NS, XLIFF12_STATE, XML_NS, StoredDocument, xml_text

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


def _human_versions(record: dict[str, Any], partner: dict[str, Any] | None) -> dict[str, tuple[str, dict[str, Any]]]:
    """segment id -> (the story's human-version text linked to it, the link); exported links only."""
    story = record.get("story") or {}
    if partner is None or not exported_links(story.get("links")):
        return {}
    theirs = {s["id"]: s for s in partner.get("segments") or []}
    lang = (partner.get("document") or {}).get("lang") or ""
    sep = "" if written_without_spaces(lang) else " "
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for link in exported_links(story["links"]):
        text = sep.join(theirs[i].get("text", "") for i in link.get("tgt") or [] if i in theirs)
        if text:
            for sid in link.get("src") or []:
                out[sid] = (text, link)
    return out


def build_xliff(doc: StoredDocument, pivot: str | None = None, partner: dict[str, Any] | None = None) -> bytes:
    """The XLIFF 1.2 document for one stored document version.

    With `partner` (the latest record of the story's human version), each segment of an
    exported link also carries the human translation as `<alt-trans alttranstype="reference">`
    (unsure and rejected links carry none: tasks/review/link_state.py).
    """
    from lxml import etree

    record = doc.record
    document = record.get("document") or {}
    fetch = record.get("fetch") or {}
    prov = record.get("provenance") or {}
    segments = record.get("segments") or []
    tgt_lang = pivot or next((s["translation"]["tgt"] for s in segments if s.get("translation")), None) or "en"
    src_lang = document.get("lang") or next((s.get("lang") for s in segments if s.get("lang")), None) or "und"

    root = etree.Element(_X + "xliff", {"version": "1.2"}, nsmap={None: XLIFF12_NS})
    file_el = etree.SubElement(
        root,
        _X + "file",
        {
            "original": doc.rel,
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
                ("title", document.get("title")),
                ("source", record.get("source_id")),
                ("url", record.get("url")),
                ("final url", fetch.get("final_url")),
                ("fetched at", fetch.get("fetched_at")),
                ("http status", fetch.get("status")),
                ("sha256", fetch.get("sha256")),
                ("raw snapshot", fetch.get("raw_path")),
                ("charset", f"{fetch.get('charset')} ({fetch.get('charset_source')})" if fetch.get("charset") else None),
                ("extractor", document.get("extractor")),
                ("selector", document.get("selector")),
                ("detector", prov.get("detector")),
                ("models", ", ".join(prov.get("models") or [])),
                ("engine", prov.get("engine")),
                ("run", prov.get("run_id")),
                ("newsbridge", prov.get("newsbridge")),
            ]
        ),
    )
    body = etree.SubElement(file_el, _X + "body")
    human = _human_versions(record, partner)
    story_source = (record.get("story") or {}).get("pivot_source")
    for seg in segments:
        tr = seg.get("translation")
        tu = etree.SubElement(body, _X + "trans-unit", {"id": xml_text(seg["id"])})
        source = etree.SubElement(tu, _X + "source")
        if seg.get("lang") and seg["lang"] != src_lang:
            source.set(_XML_LANG, seg["lang"])
        source.text = xml_text(seg.get("text"))
        if tr:
            state, qualifier = XLIFF12_STATE.get(tr.get("state") or "mt", XLIFF12_STATE["mt"])
            if tr.get("state") == "copy" or tr.get("src") == tr.get("tgt"):
                tu.set("translate", "no")
            if tr.get("state") in ("reviewed", "final"):
                tu.set("approved", "yes")
            target = etree.SubElement(tu, _X + "target", {"state": state})
            if qualifier:
                target.set("state-qualifier", qualifier)
            if tr.get("tgt") and tr["tgt"] != tgt_lang:
                target.set(_XML_LANG, tr["tgt"])
            target.text = xml_text(tr.get("text"))
            if tr.get("state") == "needs-review" and tr.get("reference"):
                alt = etree.SubElement(tu, _X + "alt-trans", {"alttranstype": "previous-version", "origin": "newsbridge-review"})
                etree.SubElement(alt, _X + "source").text = xml_text(seg.get("text"))
                etree.SubElement(alt, _X + "target").text = xml_text(tr["reference"])
        if seg["id"] in human:
            text, link = human[seg["id"]]
            alt = etree.SubElement(
                tu,
                _X + "alt-trans",
                {
                    "alttranstype": "reference",
                    "origin": xml_text(f"human version: {story_source} ({link.get('method')}, {link_status(link)})"),
                    "match-quality": f"{float(link.get('score') or 0):.2f}",
                },
            )
            etree.SubElement(alt, _X + "target").text = xml_text(text)
        _note(
            tu,
            _kv(
                [
                    ("paragraph", seg.get("paragraph")),
                    ("sentence", seg.get("sentence")),
                    ("offsets", f"{seg.get('start')}-{seg.get('end')}"),
                    ("lang", f"{seg.get('lang')} ({float(seg.get('lang_score') or 0):.3f})"),
                    ("evidence", ", ".join(seg.get("lang_evidence") or [])),
                    ("model", (tr or {}).get("model")),
                    ("engine", (tr or {}).get("engine")),
                    ("chain", " > ".join((tr or {}).get("chain") or [])),
                    ("from memory", (tr or {}).get("from_memory")),
                    ("state", (tr or {}).get("state") or "untranslated"),
                    ("reviewed at", (tr or {}).get("reviewed_at")),
                ]
            ),
        )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def xliff_path(to_dir: Path, doc: StoredDocument) -> Path:
    """`<to>/<source-id>/<doc-id>.xlf` (ids are validated path components)."""
    from tasks.store.files import safe_join

    return safe_join(to_dir, doc.source_id, f"{doc.record['doc_id']}.xlf")


def export_xliff(docs: list[StoredDocument], to_dir: Path, partners: dict[str, dict[str, Any] | None] | None = None) -> list[Path]:
    """Write one XLIFF 1.2 file per document into to_dir."""
    from tasks.store.files import write_atomic

    partners = partners or {}
    written = []
    for doc in docs:
        path = xliff_path(to_dir, doc)
        write_atomic(path, build_xliff(doc, partner=partners.get(doc.rel)))
        written.append(path)
    return written
