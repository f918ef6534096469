"""The entry point: `extract_article(content, url=...)` decodes and parses a page once,
builds the candidates (the source's selector; trafilatura's pass and the density pass,
after boilerplate and edge trimming), lets the chooser pick, and returns the Document
with its metadata. `extract_candidates` gives every candidate, for the bench.
"""

from __future__ import annotations

import copy
import unicodedata
from importlib.metadata import PackageNotFoundError, version

from lxml import html as lxml_html

from tasks.models import Document
from tasks.text.links import link_evidence
from tasks.text.extract.boilerplate import _drop_boilerplate
from tasks.text.extract.chooser import DEFAULT_RULE, choose_candidate
from tasks.text.extract.density import _blocks, _density_candidate, _keepable
from tasks.text.extract.metadata import (
    _byline_author,
    _canonical,
    _date,
    _dateline_date,
    _page_lang,
    _title,
)
from tasks.text.extract.parse import (
    ExtractionError,
    _decode,
    _dense_script,
    _parse,
    _reads_like_prose,
    _reads_like_sentence,
    _strip_comments,
    _tokens,
    block_texts,
    normalize_text,
)
from tasks.text.extract.trimming import (
    _boxes,
    _drop_widget_edges,
    _headlines,
    _trim,
    _unlist,
    _widget_texts,
)
from tasks.text.vote import (
    disputed,
    justext_paragraphs,
    readability_paragraphs,
)

EXTRACTOR_NAME = "newsbridge-extract"  # "newsbridge-clean" in records written before 2026-12-08
EXTRACTOR_VERSION = "0.8"


def _pkg_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


EXTRACTOR_SIGNATURE = (
    f"{EXTRACTOR_NAME}/{EXTRACTOR_VERSION}"
    f"+trafilatura/{_pkg_version('trafilatura')}"
    f"+htmldate/{_pkg_version('htmldate')}"
    f"+lxml/{_pkg_version('lxml')}"
)


# --------------------------------------------------------------------------- candidates


def _trafilatura_candidate(
    tree: lxml_html.HtmlElement, url: str, options: dict[str, bool] | None = None
) -> tuple[list[str], object | None]:
    """trafilatura's generic pass: (paragraphs, its Document with metadata).

    `options` override trafilatura's (favor_precision, favor_recall, include_tables): the
    bench measures them as alternative anchors; the defaults won (docs/extraction.md).
    """
    from trafilatura import bare_extraction

    try:
        doc = bare_extraction(
            copy.deepcopy(tree),
            url=url or None,
            include_comments=False,
            with_metadata=True,
            **{"include_tables": True, **(options or {})},
            # Our own htmldate call does the extensive search; trafilatura's stays cheap.
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except Exception:  # noqa: BLE001 - a failing candidate is just not a candidate
        return [], None
    if doc is None or getattr(doc, "body", None) is None:
        return [], doc
    paras = [normalize_text(p) for p in (doc.text or "").split("\n")]
    return [p for p in paras if p], doc


def _selector_candidate(tree: lxml_html.HtmlElement, selector: str) -> list[str]:
    """Text blocks of the elements matching the source's CSS selector, in page order."""
    try:
        elements = tree.cssselect(selector)
    except Exception as exc:  # noqa: BLE001 - cssselect raises several parse errors
        raise ExtractionError("bad_selector", f"{selector!r}: {exc}") from exc
    # Inside the chosen element, widgets (share bars, "related" boxes, link lists) still go.
    paras: list[str] = []
    for el in elements:
        paras.extend(b.text for b in _blocks(el) if _keepable(b))
    return paras


def _generic(
    tree: lxml_html.HtmlElement, url: str, options: dict[str, bool] | None = None
) -> tuple[dict[str, list[str]], object | None]:
    """Both generic candidates after boilerplate lines and edge trimming, and trafilatura's Document.

    "widgets" lists trafilatura's paragraphs that the page shows only in widgets (evidence
    for `choose_candidate`).
    """
    traf, traf_doc = _trafilatura_candidate(tree, url, options)
    blocks = _blocks(tree, url)
    widgets = _widget_texts(blocks)
    traf = _drop_widget_edges(_drop_boilerplate(traf, keep_credits=True), widgets, blocks)
    dens = _drop_boilerplate(_density_candidate(tree, blocks))
    # Headlines go only from Latin-script text: Chinese pages set the title as the first
    # line of the text as often as not.
    dense = _dense_script(traf, dens)
    heads = frozenset() if dense else _headlines(tree, getattr(traf_doc, "title", None))
    boxes = _boxes(blocks)
    traf, dens = (_trim(c, heads, blocks, boxes) for c in (traf, dens))
    cands = {"trafilatura": traf, "density": dens, "widgets": [p for p in dict.fromkeys(traf + dens) if _unlist(p) in widgets]}
    n_t, n_d = sum(_tokens(traf).values()), sum(_tokens(dens).values())
    if not dense and traf and dens and disputed(traf, dens, lambda p: _reads_like_sentence(p) and _unlist(p) not in widgets):
        # Where the two disagree, readability and jusText vote (tasks.text.vote; run only here).
        cands["readability"] = readability_paragraphs(tree, block_texts)
        cands["justext"] = [t for t in map(normalize_text, justext_paragraphs(tree)) if t]
    if n_t < 0.75 * n_d:
        # A second opinion for "trafilatura stopped early": its recall mode (run only here).
        cands["trafilatura_recall"] = _drop_boilerplate(_trafilatura_candidate(tree, url, {"favor_recall": True})[0])
    return cands, traf_doc


def extract_candidates(
    content: bytes, *, url: str = "", headers: dict[str, str] | None = None, trafilatura_options: dict[str, bool] | None = None
) -> dict[str, list[str]]:
    """Every generic candidate's paragraphs (after boilerplate lines), for diagnostics and bench."""
    text, _, _ = _decode(content, headers)
    tree = _parse(unicodedata.normalize("NFC", text))
    _strip_comments(tree)
    return _generic(tree, url, trafilatura_options)[0]


def is_low_confidence(confidence: float | None) -> bool:
    """True when a Document's `extraction_confidence` is under DEFAULT_RULE.low_confidence."""
    return confidence is not None and confidence < DEFAULT_RULE.low_confidence


def extract_article(
    content: bytes,
    *,
    url: str,
    source_id: str = "",
    headers: dict[str, str] | None = None,
    selector: str | None = None,
) -> Document:
    """Decode, parse and extract one page into a Document (NFC; text = paragraphs joined by blank lines)."""
    if not content or not content.strip():
        raise ExtractionError("empty_page", "no bytes")
    text, charset, charset_source = _decode(content, headers)
    text = unicodedata.normalize("NFC", text)
    tree = _parse(text)
    # htmldate without its extensive search (which can spend ~10 s in dateparser on one
    # page), on the tree with its comments; later a dateline in the page's own words.
    html_date = _date(tree, url)
    _strip_comments(tree)

    paras: list[str] = []
    if selector:
        # The operator's selector for this outlet: trusted as is (confidence 1).
        paras = _drop_boilerplate(_selector_candidate(tree, selector))
        method, confidence = f"selector:{selector}", 1.0
    candidates, traf_doc = _generic(tree, url)
    if not paras:
        choice = choose_candidate(candidates)
        paras, confidence = choice.paragraphs, choice.confidence
        method = f"generic:{choice.name}" + ("(selector-empty)" if selector else "")
    if not paras:
        raise ExtractionError("no_main_text", "no paragraph survived extraction")
    if not any(_reads_like_prose(p) for p in paras):
        raise ExtractionError("no_main_text", f"only short lines found (e.g. {paras[0][:40]!r})")

    traf_title = getattr(traf_doc, "title", None) if traf_doc is not None else None
    author = getattr(traf_doc, "author", None) if traf_doc is not None else None
    date = html_date or _dateline_date(tree)
    if not date and traf_doc is not None:
        date = getattr(traf_doc, "date", None)

    title = _title(tree, traf_title)

    return Document(
        source_id=source_id,
        url=url,
        title=title,
        date=date,
        author=normalize_text(author) if author else _byline_author(tree),
        canonical_url=_canonical(tree, url),
        page_lang=_page_lang(tree),
        charset=charset,
        charset_source=charset_source,
        paragraphs=paras,
        text="\n\n".join(paras),
        extractor=f"{EXTRACTOR_SIGNATURE}|{method}",
        extraction_confidence=round(confidence, 2),
        selector=selector,
        evidence=link_evidence(tree, url, paras),
    )


def with_title_paragraph(doc: Document) -> Document:
    """The document with its title as paragraph 0 when the extracted text does not start with it.

    Translators review the headline too, so the pipeline translates it as a segment;
    `extract_article` itself leaves it out of the paragraphs (gold texts of extraction
    benchmarks omit titles, and `newsbridge extract` reports it as `title`).
    """
    title = normalize_text(doc.title or "")
    if not title or (doc.paragraphs and normalize_text(doc.paragraphs[0]) == title):
        return doc
    paragraphs = [title, *doc.paragraphs]
    return doc.model_copy(update={"paragraphs": paragraphs, "text": "\n\n".join(paragraphs)})
