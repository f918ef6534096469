"""TMX 1.4b export: one file per language pair, one `tu` per aligned pair, with provenance props.

Two kinds of file:
- `<src>-<tgt>.tmx`: each translated segment (an `mt-1:1` pair: source segment ↔ its
  machine or reviewed translation), props carrying source id, URL, fetched-at, model,
  TM state, language and score, alignment method and score.
- `<src>-<tgt>.story.tmx`: for documents that belong to a story, one `tu` per exported
  story link (this version's segments ↔ the human version's segments), props for method,
  score and link state (`exported` or `confirmed`; unsure and rejected links are left out).

Written with lxml against the LISA TMX 1.4b DTD (`<!DOCTYPE tmx SYSTEM "tmx14.dtd">`);
the tests validate every file against that DTD and read it with OmegaT.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from tasks import __version__
from tasks.langs import written_without_spaces
from tasks.models import AlignedPair
from tasks.review.link_state import exported_links, link_status
from tasks.review.reviews import StoredDocument, xml_text

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
DOCTYPE = '<!DOCTYPE tmx SYSTEM "tmx14.dtd">'
# Scripts written without spaces between words: joined segments get no separator.


def tmx_date(value: datetime | None) -> str | None:
    """TMX date format: YYYYMMDDThhmmssZ in UTC."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


@dataclass
class TmxUnit:
    tuid: str
    src_lang: str
    tgt_lang: str
    source: str
    target: str
    created: datetime | None
    changed: datetime | None
    props: list[tuple[str, str]] = field(default_factory=list)


def _prop_value(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def translation_units(doc: StoredDocument) -> list[TmxUnit]:
    """One unit per translated segment of a document (copies and untranslated skipped)."""
    fetched_at = doc.fetched_at
    pair_of: dict[str, AlignedPair] = {}
    for pair in doc.alignment:
        for sid in pair.src:
            pair_of[sid] = pair
    units: list[TmxUnit] = []
    for seg in doc.segments:
        tr = seg.translation
        if tr is None or tr.state == "copy" or not tr.text or tr.src == tr.tgt:
            continue
        pair = pair_of.get(seg.id)
        props = [
            ("x-source-id", doc.source_id),
            ("x-doc-id", doc.doc_id),
            ("x-version", doc.version),
            ("x-segment", seg.id),
            ("x-url", doc.page_url),
            ("x-fetched-at", doc.fetch.fetched_at),
            ("x-model", tr.model),
            ("x-engine", tr.engine),
            ("x-state", tr.state),
            ("x-from-memory", tr.from_memory),
            ("x-reviewed-at", _json_time(tr.reviewed_at)),
            ("x-reference", tr.reference),
            ("x-lang", seg.lang),
            ("x-lang-score", seg.lang_score),
            ("x-align-method", pair.method if pair else None),
            ("x-align-score", pair.score if pair else None),
        ]
        units.append(
            TmxUnit(
                tuid=seg.id,
                src_lang=tr.src,
                tgt_lang=tr.tgt,
                source=seg.text,
                target=tr.text,
                created=fetched_at,
                changed=tr.reviewed_at or fetched_at,
                props=[(k, v) for k, v in ((k, _prop_value(v)) for k, v in props) if v is not None],
            )
        )
    return units


def _json_time(value: datetime | None) -> str | None:
    """A datetime as the stored record writes it (JSON)."""
    return None if value is None else TypeAdapter(datetime).dump_python(value, mode="json")


def _join(texts: list[str], lang: str) -> str:
    sep = "" if written_without_spaces(lang) else " "
    return sep.join(t for t in texts if t)


def story_units(doc: StoredDocument, partner: StoredDocument | None) -> list[TmxUnit]:
    """One unit per exported story link with text on both sides (1:0 and 0:1 links carry no pair).

    Unsure links (not exported by the aligner, not confirmed by a translator) and rejected
    ones are left out (tasks/review/link_state.py)."""
    story = doc.story
    links = exported_links(story.links if story is not None else None)
    if story is None or not links or partner is None:
        return []
    mine = {s.id: s for s in doc.segments}
    theirs = {s.id: s for s in partner.segments}
    created = max(filter(None, [doc.fetched_at, partner.fetched_at]), default=None)
    units: list[TmxUnit] = []
    for link in links:
        src_segs = [mine[i] for i in link.src if i in mine]
        tgt_segs = [theirs[i] for i in link.tgt if i in theirs]
        if not src_segs or not tgt_segs:
            continue
        src_lang = src_segs[0].lang or doc.document.lang or "und"
        tgt_lang = tgt_segs[0].lang or partner.document.lang or "und"
        props = [
            ("x-source-id", doc.source_id),
            ("x-pivot-source", story.pivot_source),
            ("x-url", doc.page_url),
            ("x-pivot-url", partner.page_url),
            ("x-fetched-at", doc.fetch.fetched_at),
            ("x-segments", " ".join(s.id for s in src_segs)),
            ("x-pivot-segments", " ".join(s.id for s in tgt_segs)),
            ("x-method", link.method),
            ("x-score", link.score),
            ("x-link", link_status(link)),
            ("x-confirmed-by", link.review.by if link.review is not None else None),
            ("x-state", "human"),
        ]
        units.append(
            TmxUnit(
                tuid=f"{src_segs[0].id}>{tgt_segs[0].id}",
                src_lang=src_lang,
                tgt_lang=tgt_lang,
                source=_join([s.text for s in src_segs], src_lang),
                target=_join([s.text for s in tgt_segs], tgt_lang),
                created=created,
                changed=created,
                props=[(k, v) for k, v in ((k, _prop_value(v)) for k, v in props) if v is not None],
            )
        )
    return units


def build_tmx(units: list[TmxUnit], src_lang: str, created: datetime | None = None) -> bytes:
    """A TMX 1.4b document (UTF-8, with the DTD's DOCTYPE) for units of one language pair."""
    from lxml import etree

    root = etree.Element("tmx", version="1.4")
    header = etree.SubElement(
        root,
        "header",
        creationtool="newsbridge",
        creationtoolversion=__version__,
        segtype="sentence",
        **{"o-tmf": "newsbridge-json", "adminlang": "en", "srclang": src_lang, "datatype": "plaintext"},
    )
    stamp = tmx_date(created)
    if stamp:
        header.set("creationdate", stamp)
    body = etree.SubElement(root, "body")
    for unit in units:
        tu = etree.SubElement(body, "tu", tuid=xml_text(unit.tuid), srclang=unit.src_lang)
        if unit.created:
            tu.set("creationdate", tmx_date(unit.created) or "")
        if unit.changed:
            tu.set("changedate", tmx_date(unit.changed) or "")
        for key, value in unit.props:
            prop = etree.SubElement(tu, "prop", type=key)
            prop.text = xml_text(value)
        for lang, text in ((unit.src_lang, unit.source), (unit.tgt_lang, unit.target)):
            tuv = etree.SubElement(tu, "tuv", {XML_LANG: lang})
            etree.SubElement(tuv, "seg").text = xml_text(text)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True, doctype=DOCTYPE)


def export_tmx(docs: list[StoredDocument], to_dir: Path, partners: dict[str, StoredDocument | None] | None = None) -> list[Path]:
    """Write `<src>-<tgt>.tmx` (translations) and `<src>-<tgt>.story.tmx` (story links) into to_dir."""
    from tasks.store.files import write_atomic

    partners = partners or {}
    groups: dict[tuple[str, str, str], list[TmxUnit]] = {}
    for doc in docs:
        for unit in translation_units(doc):
            groups.setdefault(("", unit.src_lang, unit.tgt_lang), []).append(unit)
        for unit in story_units(doc, partners.get(doc.rel or "")):
            groups.setdefault((".story", unit.src_lang, unit.tgt_lang), []).append(unit)
    written: list[Path] = []
    now = datetime.now(timezone.utc)
    for (kind, src, tgt), units in sorted(groups.items()):
        path = to_dir / tmx_name(kind, src, tgt)
        write_atomic(path, build_tmx(units, src, created=now))
        written.append(path)
    return written


def tmx_name(kind: str, src: str, tgt: str) -> str:
    """`vi-en.tmx` (kind "") or `vi-en.story.tmx` (kind ".story")."""
    return f"{_safe_lang(src)}-{_safe_lang(tgt)}{kind}.tmx"


def _safe_lang(lang: str) -> str:
    """Language codes become file names: keep letters, digits and '-' only."""
    cleaned = "".join(ch for ch in lang if ch.isascii() and (ch.isalnum() or ch == "-"))
    return cleaned or "und"
