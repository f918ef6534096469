"""A page's metadata: title, date (htmldate, then a dateline in the page's own words),
author (trafilatura, then a byline), canonical URL and declared language.
"""

from __future__ import annotations

import copy
import re
from urllib.parse import urljoin

from lxml import html as lxml_html

from tasks.text.extract.parse import block_texts, normalize_text

# --------------------------------------------------------------------------- metadata


def _meta(tree: lxml_html.HtmlElement, *names: str) -> str | None:
    for name in names:
        for attr in ("property", "name", "itemprop"):
            for el in tree.xpath(f"//meta[@{attr}=$n]", n=name):
                value = normalize_text(el.get("content") or "")
                if value:
                    return value
    return None


def _page_lang(tree: lxml_html.HtmlElement) -> str | None:
    lang = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    if not lang:
        for el in tree.xpath("//meta[translate(@http-equiv,'CONTENT-LANGUAGE','content-language')='content-language']"):
            lang = el.get("content")
            if lang:
                break
    if not lang:
        lang = _meta(tree, "og:locale", "language", "dc.language")
    return lang.strip().replace("_", "-") if lang and lang.strip() else None


def _canonical(tree: lxml_html.HtmlElement, url: str) -> str | None:
    for el in tree.xpath("//link[@href]"):
        if "canonical" in (el.get("rel") or "").lower().split():
            href = el.get("href", "").strip()
            if href:
                return urljoin(url, href)
    og = _meta(tree, "og:url")
    return urljoin(url, og) if og else None


def _title(tree: lxml_html.HtmlElement, fallback: str | None) -> str | None:
    title = _meta(tree, "og:title", "twitter:title", "headline")
    if not title:
        for h1 in tree.xpath("//h1"):
            title = normalize_text(h1.text_content())
            if title:
                break
    if not title and fallback:
        title = normalize_text(fallback)
    if not title:
        t = tree.find(".//title")
        title = normalize_text(t.text_content()) if t is not None else None
    return title or None


_FIELD_WORDS = "时间|来源|日期|发布|编辑|责任|更新|点击|阅读|出处|摄影|通讯员"
_CJK_NAME = rf"(?!{_FIELD_WORDS})[\u4e00-\u9fff][\u4e00-\u9fff·•]{{1,5}}"
_CJK_NAMES = rf"{_CJK_NAME}(?:[ 、，,]+{_CJK_NAME}){{0,5}}"
_BYLINE_RES = [
    re.compile(rf"(?:作者|执笔人|执笔|撰稿|撰文)\s*[:：/／]\s*({_CJK_NAMES}|[A-Za-z][\w.&-]{{1,30}})"),
    re.compile(rf"(?:^|\s)文\s*[/／]\s*({_CJK_NAMES})"),
    # "本报记者 X 发自北京", "新京报记者 彭冲 山东冠县报道" (a bare "记者调查" is a menu item).
    re.compile(rf"(?:报|社|网|台)记者\s*({_CJK_NAMES}?)(?=\s*(?:发自|报道|摄|通讯员|实习生|$|[ 　）)]))"),
    re.compile(rf"记者\s*({_CJK_NAMES}?)(?=\s*(?:发自|报道))"),
    re.compile(r"\bby\s+([A-Za-z\u4e00-\u9fff][\w.\u4e00-\u9fff-]{1,30})\s*(?:〓|\||$)", re.I),
]


def _byline_author(tree: lxml_html.HtmlElement) -> str | None:
    """Author from a Chinese byline line (作者：… / 记者 … 报道 / … by name), first match."""
    body = tree.find(".//body")
    for line in block_texts(body if body is not None else tree):
        if len(line) > 120:
            continue
        for rx in _BYLINE_RES:
            m = rx.search(line)
            if m and m.group(1).strip():
                return m.group(1).strip()
    return None


_DATE_IN_LINE_RE = re.compile(r"((?:19|20)\d\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)")
_DATELINE_HINT_RE = re.compile(r"发布|时间|日期|更新|来源|作者|记者|published|posted|updated|date", re.I)


def _dateline_date(tree: lxml_html.HtmlElement) -> str | None:
    """YYYY-MM-DD from the first short line that reads like a dateline (发布时间 …, 来源 …)."""
    body = tree.find(".//body")
    for line in block_texts(body if body is not None else tree):
        if len(line) > 120 or not _DATELINE_HINT_RE.search(line):
            continue
        m = _DATE_IN_LINE_RE.search(line)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            if 1 <= mo <= 12 and 1 <= d <= 31:
                return f"{y:04d}-{mo:02d}-{d:02d}"
    return None


def _date(tree: lxml_html.HtmlElement, url: str) -> str | None:
    from htmldate import find_date

    try:
        return find_date(copy.deepcopy(tree), url=url or None, extensive_search=False, original_date=True)
    except Exception:  # htmldate is heuristic; a date is optional metadata  # noqa: BLE001
        return None
