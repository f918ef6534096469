"""Link evidence: what an article page says about its other language versions.

Read once, at extraction, from the page's parsed tree, and stored with the document
(`Document.evidence`, `tasks.models.LinkEvidence`), so pairing (tasks/align/pairing.py)
never parses the raw HTML again:

- `canonical`: the page's `<link rel=canonical>`;
- `alternates`: `<link rel=alternate hreflang=xx href>` (x-default left out), language -> URL;
- `switch`: links whose anchor text names a language or a source ("English", "Tiếng
  Việt", "中文", "Nguồn", "原文", ...) or that carry `hreflang`: a language switch;
- `links`: the page's links (at most MAX_LINKS anchors read), except those inside
  `<nav>`, `<header>`, `<footer>`, `<menu>` or `role=navigation`, which link to other
  articles on every page (a language switch there still counts);
- `sources`: URLs written in the text ("Source: https://..."), which name the original.

Every URL is canonical (`tasks.urls.canonical_url`, relative to `<base href>` when the
page has one). Pure; lxml only.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from lxml import etree

from tasks.models import LinkEvidence
from tasks.urls import canonical_url

MAX_LINKS = 5_000  # <a href> read from one page
MAX_LABEL = 80  # characters of an anchor's text looked at
_NAV_TAGS = frozenset({"nav", "header", "footer", "menu"})
# Anchor words of a language switch or a source link (lower-case; matched as substrings).
SWITCH_WORDS = ("english", "tiếng việt", "tiếng anh", "tiếng trung", "中文", "越南语", "越南文", "英文", "英语",
                "vietnamese", "chinese", "bản tiếng", "version", "source", "nguồn", "来源", "原文")
_URL_IN_TEXT_RE = re.compile(r"https?://[^\s<>\"'）)]+")


def _in_nav(a: etree._Element) -> bool:
    return any(
        isinstance(p.tag, str) and (p.tag.lower() in _NAV_TAGS or p.get("role") == "navigation")
        for p in a.iterancestors()
    )


def link_evidence(tree: etree._Element, url: str, paragraphs: list[str]) -> LinkEvidence:
    """The page's link evidence (see the module docstring); `paragraphs`: the extracted text."""
    base = url
    for el in tree.iter("base"):
        if el.get("href"):
            base = urljoin(url, el.get("href", "").strip())
            break
    out = LinkEvidence()
    for el in tree.iter("link"):
        href = canonical_url(el.get("href") or "", base)
        if href is None:
            continue
        rels = {r.lower() for r in (el.get("rel") or "").split()}
        if "canonical" in rels and out.canonical is None:
            out.canonical = href
        if "alternate" in rels:
            lang = (el.get("hreflang") or "").strip().lower()
            if lang and lang != "x-default":
                out.alternates.setdefault(lang, href)
    ordered: list[str] = []  # every link once, in page order
    seen: set[str] = set()
    nav: set[str] = set()  # linked from a menu, header or footer (anywhere on the page)
    switch: set[str] = set()
    anchors = (a for a in tree.iter("a") if a.get("href") is not None)
    for i, a in enumerate(anchors):
        if i >= MAX_LINKS:
            break
        href = canonical_url(a.get("href") or "", base)
        if href is None:
            continue
        if href not in nav and _in_nav(a):
            nav.add(href)
        if href not in switch:
            hreflang = (a.get("hreflang") or "").strip()
            label = " ".join(" ".join(a.itertext()).split()).lower()[:MAX_LABEL] + f" {hreflang} {a.get('lang') or ''}"
            if hreflang or any(w in label for w in SWITCH_WORDS):
                switch.add(href)
                out.switch.append(href)
        if href not in seen:
            seen.add(href)
            ordered.append(href)
    out.links = [u for u in ordered if u not in nav or u in switch]
    for m in _URL_IN_TEXT_RE.finditer("\n".join(paragraphs)):
        u = canonical_url(m.group(0).rstrip(".,;"))
        if u and u not in out.sources:
            out.sources.append(u)
    return out
