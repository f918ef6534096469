"""The browser review app's logic: index and document views, checks, and the write.

`newsbridge review serve` (flows/review_server.py) is a thin Starlette layer over this
module. Nothing here knows about HTTP beyond status codes in errors:

- `index_view(output_dir, filters)`: the stored documents (latest version per source)
  with their story pairs and per-state counts, filtered (state, language, source or
  outlet, fetched date);
- `document_view(output_dir, source_id)`: the side-by-side rows of the static review
  page (`tasks.review.page.document_rows`, reused as is), each editable segment with its
  opaque row version (`tasks.review.reviews.segment_version`);
- `write_segment(...)`: one reviewer's save, validated, then written through
  `tasks.review.reviews.apply_edits`, the very function `review import` uses (translation memory,
  stored document rewritten atomically, append-only audit log; a stale version writes
  nothing and raises `ReviewConflict`);
- `write_link(...)`: a reviewer confirms or rejects an unsure story link
  (`tasks.review.link_review.decide_link`: memory, stored document, audit log);
- the request checks: CSRF token, reviewer token (`NEWSBRIDGE_REVIEW_TOKEN`), Host header.

Page text is hostile (crawled titles and segments): the templates under
tasks/templates/review_app/ autoescape everything, the pages carry no inline script and
the Content-Security-Policy allows scripts, styles and requests from the app itself only.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from tasks.models import SOURCE_ID_RE
from tasks.store.document import read_document
from tasks.review.reviews import (
    WRITE_STATES,
    ReviewMemory,
    SegmentEdit,
    StoredDocument,
    apply_edits,
    parse_time,
    segment_view,
    story_partner,
)

TOKEN_ENV = "NEWSBRIDGE_REVIEW_TOKEN"
MIN_TOKEN_LENGTH = 16
MAX_TEXT_CHARS = 20_000  # a segment is a sentence; a 20k-character "translation" is a mistake or an attack
MAX_BODY_BYTES = 256 * 1024

# Scripts, styles, fetches and images from the app itself only; no inline script or style;
# no framing, no plugins, forms post back to the app only.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
}

SEGMENT_ID_RE = re.compile(r"^([a-z0-9-]+):(\d{1,6}):(\d{1,6})\Z")
_REVIEWER_RE = re.compile(r"^[^\x00-\x1f\x7f<>\"'&]{1,64}\Z")
# C0/C1 controls except tab and newline never belong in a translation (and break XML exports)
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


class ReviewRequestError(ValueError):
    """A request the app refuses; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


# --------------------------------------------------------------------------- checks


def new_csrf_token() -> str:
    """A fresh random CSRF token (one per server process, carried by every page)."""
    return secrets.token_urlsafe(32)


def same_secret(expected: str | None, presented: str | None) -> bool:
    """Constant-time comparison; a missing or empty value never matches."""
    if not expected or not presented:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), presented.encode("utf-8"))


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost."""
    h = host.strip("[]").lower()
    if h == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


class BindRefused(ValueError):
    """The server must not start with these settings."""


def check_bind(host: str, token: str | None) -> None:
    """Binding beyond loopback requires a reviewer token; a token has at least MIN_TOKEN_LENGTH characters."""
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise BindRefused(f"{TOKEN_ENV} is too short: use at least {MIN_TOKEN_LENGTH} random characters")
    if not is_loopback(host) and not token:
        raise BindRefused(f"--host {host} is reachable from other machines: set {TOKEN_ENV} (a long random secret) to bind there")


def allowed_hosts(host: str, port: int) -> set[str]:
    """Host header values the app answers to; {"*"} for any.

    On loopback: the loopback names with the port. Refusing other names stops a page
    whose DNS name is rebound to 127.0.0.1 from reading the app (and its CSRF token).
    Bound elsewhere, machines reach it under names we cannot know; there the reviewer
    token, required for such a bind and sent by the browser only to the name it was
    given for, is the guard.
    """
    if not is_loopback(host):
        return {"*"}
    out: set[str] = set()
    for name in {host.strip("[]").lower(), "127.0.0.1", "localhost", "::1"}:
        shown = f"[{name}]" if ":" in name else name
        out |= {f"{shown}:{port}", shown} if port == 80 else {f"{shown}:{port}"}
    return out


def host_allowed(header: str | None, allowed: set[str]) -> bool:
    return "*" in allowed or (header or "").lower() in allowed


# --------------------------------------------------------------------------- the write


def parse_reviewer(payload: dict[str, Any], reviewer_default: str | None) -> str | None:
    """The request's `reviewer` (trimmed), or the server's default when it is absent or empty."""
    reviewer = payload.get("reviewer")
    if reviewer in (None, ""):
        return reviewer_default
    if not isinstance(reviewer, str) or not _REVIEWER_RE.match(reviewer.strip()):
        raise ReviewRequestError(400, "reviewer: 1-64 characters, no markup or control characters")
    return reviewer.strip()


def parse_write(payload: Any, reviewer_default: str | None) -> tuple[str, str, str, str | None]:
    """(text, state, version, reviewer) of a write request body; ReviewRequestError(400) when bad."""
    if not isinstance(payload, dict):
        raise ReviewRequestError(400, "expected a JSON object {text, state, version}")
    unknown = set(payload) - {"text", "state", "version", "reviewer"}
    if unknown:
        raise ReviewRequestError(400, f"unknown field(s): {', '.join(sorted(unknown))}")
    text, state, version = payload.get("text"), payload.get("state"), payload.get("version")
    if state not in WRITE_STATES:
        raise ReviewRequestError(400, f"state must be one of {', '.join(WRITE_STATES)}")
    if not isinstance(text, str):
        raise ReviewRequestError(400, "text must be a string")
    text = unicodedata.normalize("NFC", _CONTROL_RE.sub("", text.replace("\r\n", "\n"))).strip()
    if not text:
        raise ReviewRequestError(400, "text is empty")
    if len(text) > MAX_TEXT_CHARS:
        raise ReviewRequestError(400, f"text is longer than {MAX_TEXT_CHARS} characters")
    if not isinstance(version, str) or not re.fullmatch(r"[0-9a-f]{16}", version):
        raise ReviewRequestError(400, "version must be the row's data-version")
    reviewer = parse_reviewer(payload, reviewer_default)
    return text, state, version, reviewer


def find_source(output_dir: Path, doc_id: str) -> str | None:
    """The source whose latest stored document has this doc id."""
    from tasks.store.files import latest_document

    docs = output_dir / "docs"
    if not docs.is_dir():
        return None
    for folder in sorted(docs.iterdir()):
        if folder.is_dir() and SOURCE_ID_RE.match(folder.name):
            rel = latest_document(output_dir, folder.name)
            if rel is not None and rel.split("/")[2] == doc_id:
                return folder.name
    return None


def _target_lang(record: StoredDocument, default: str) -> str:
    """The language the document is translated into (for a segment no model translated)."""
    for seg in record.segments:
        if seg.translation is not None and seg.translation.tgt:
            return seg.translation.tgt
    return default


def write_segment(
    output_dir: Path,
    segment_id: str,
    payload: Any,
    memory: ReviewMemory,
    *,
    reviewer: str | None,
    pivot: str,
) -> dict[str, Any]:
    """Save one segment from the browser: validated, then `apply_edits` (the `review import` path).

    Returns the segment's view after the write (new version). Raises ReviewRequestError
    (400 bad body, 404 unknown segment, 409 unusable) or ReviewConflict (stale version:
    nothing written).
    """
    from tasks.store.files import latest_document

    text, state, version, who = parse_write(payload, reviewer)
    m = SEGMENT_ID_RE.match(segment_id)
    if m is None:
        raise ReviewRequestError(404, "no such segment")
    doc_id = m.group(1)
    source_id = find_source(output_dir, doc_id)
    rel = latest_document(output_dir, source_id) if source_id else None
    if source_id is None or rel is None:
        raise ReviewRequestError(404, "no such segment")
    try:
        tgt = _target_lang(read_document(output_dir, rel), pivot)
    except (OSError, ValueError) as exc:
        raise ReviewRequestError(409, f"stored document is unreadable ({exc})") from exc
    edit = SegmentEdit(segment_id, text, state, target_lang=tgt, version=version)
    report = apply_edits(output_dir, source_id, doc_id, [edit], memory, via="browser", reviewer=who)
    if report.stale:
        reason = report.stale[0]["reason"]
        raise ReviewRequestError(400 if "unknown language" in reason else 409, reason)
    return report.segments[segment_id]


def parse_link_decision(payload: Any, reviewer_default: str | None) -> tuple[str, str, str | None]:
    """(decision, version, reviewer) of a link decision body; ReviewRequestError(400) when bad."""
    from tasks.review.link_state import LINK_DECISIONS

    if not isinstance(payload, dict):
        raise ReviewRequestError(400, "expected a JSON object {decision, version}")
    unknown = set(payload) - {"decision", "version", "reviewer"}
    if unknown:
        raise ReviewRequestError(400, f"unknown field(s): {', '.join(sorted(unknown))}")
    decision, version = payload.get("decision"), payload.get("version")
    if decision not in LINK_DECISIONS:
        raise ReviewRequestError(400, f"decision must be one of {', '.join(LINK_DECISIONS)}")
    if not isinstance(version, str) or not re.fullmatch(r"[0-9a-f]{16}", version):
        raise ReviewRequestError(400, "version must be the link's data-link-version")
    reviewer = parse_reviewer(payload, reviewer_default)
    return decision, version, reviewer


def write_link(output_dir: Path, source_id: str, n: int, payload: Any, memory: ReviewMemory, *, reviewer: str | None) -> dict[str, Any]:
    """Confirm or reject one story link from the browser; returns the link's view after the write.

    Raises ReviewRequestError (400 bad body, 404 unknown link, 409 not decidable) or
    ReviewConflict (the link changed since the page was loaded: nothing written).
    """
    from tasks.review.link_review import LinkDecisionError, decide_link

    decision, version, who = parse_link_decision(payload, reviewer)
    if not SOURCE_ID_RE.match(source_id):
        raise ReviewRequestError(404, "no such link")
    try:
        return decide_link(output_dir, source_id, n, decision, version, memory, via="browser", reviewer=who)
    except LinkDecisionError as exc:
        raise ReviewRequestError(exc.status, str(exc)) from exc


# --------------------------------------------------------------------------- index


STATE_FILTERS = {
    "needs-review": "needs review",
    "mt": "MT only",
    "reviewed": "reviewed",
}


@dataclass
class IndexFilters:
    """Index filters from the query string; unknown or malformed values are ignored (and shown as such)."""

    state: str = ""
    lang: str = ""
    source: str = ""  # a source id or outlet, matched as a case-insensitive substring
    since: str = ""  # fetched on or after (YYYY-MM-DD)
    problems: list[str] = field(default_factory=list)

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> "IndexFilters":
        f = cls()
        state = (query.get("state") or "").strip()
        if state:
            if state in STATE_FILTERS:
                f.state = state
            else:
                f.problems.append(f"unknown state filter {state!r}")
        f.lang = (query.get("lang") or "").strip()[:20]
        f.source = (query.get("source") or "").strip()[:100]
        since = (query.get("since") or "").strip()
        if since:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", since) and parse_time(since) is not None:
                f.since = since
            else:
                f.problems.append(f"fetched date {since!r}: expected YYYY-MM-DD")
        return f

    def keep(self, entry: dict[str, Any]) -> bool:
        counts = entry["counts"]
        if self.state == "needs-review" and not counts.get("needs-review"):
            return False
        if self.state == "mt" and (not counts.get("mt") or any(counts.get(s) for s in WRITE_STATES)):
            return False
        if self.state == "reviewed" and not (counts.get("reviewed") or counts.get("final")):
            return False
        if self.lang and entry["lang"] != self.lang:
            return False
        if self.source:
            needle = self.source.lower()
            if needle not in entry["source_id"].lower() and needle not in (entry["outlet"] or "").lower():
                return False
        if self.since:
            fetched, since = parse_time(entry["fetched_at"]), parse_time(self.since)
            if fetched is None or since is None or fetched < since:
                return False
        return True


def state_counts(record: StoredDocument) -> dict[str, int]:
    counts: dict[str, int] = {}
    for seg in record.segments:
        state = seg.translation.state if seg.translation is not None else "untranslated"
        counts[state] = counts.get(state, 0) + 1
    return dict(sorted(counts.items()))


def _outlet(record: StoredDocument) -> str | None:
    return record.discovery.outlet if record.discovery is not None else None


def index_view(output_dir: Path, filters: IndexFilters) -> dict[str, Any]:
    """Entries (one per source's latest document) after filtering, with totals and story pairs."""
    from tasks.review.reviews import select_documents

    problems: list[str] = []
    docs = select_documents(output_dir, problems=problems)
    entries = []
    for doc in docs:
        story = doc.story
        entries.append(
            {
                "source_id": doc.source_id,
                "title": doc.document.title or doc.url or doc.rel,
                "lang": doc.document.lang or "und",
                "outlet": _outlet(doc),
                "fetched_at": doc.fetch.fetched_at or "",
                "counts": state_counts(doc),
                "story": story.id if story is not None else None,
                "pivot_source": story.pivot_source if story is not None else None,
            }
        )
    # story pairs: each document lists the other stored versions of its story
    by_story: dict[str, list[str]] = {}
    for e in entries:
        if e["story"]:
            by_story.setdefault(e["story"], []).append(e["source_id"])
    for e in entries:
        e["pairs"] = [s for s in by_story.get(e["story"], []) if s != e["source_id"]] if e["story"] else []
        if e["pivot_source"] and SOURCE_ID_RE.match(e["pivot_source"]) and e["pivot_source"] not in e["pairs"] and e["pivot_source"] != e["source_id"]:
            e["pairs"].insert(0, e["pivot_source"])
    # and the human version lists the versions aligned to it
    by_source = {e["source_id"]: e for e in entries}
    for e in entries:
        pivot = by_source.get(e["pivot_source"] or "")
        if pivot is not None and pivot is not e and e["source_id"] not in pivot["pairs"]:
            pivot["pairs"].append(e["source_id"])
    totals: dict[str, int] = {}
    for e in entries:
        for state, n in e["counts"].items():
            totals[state] = totals.get(state, 0) + n
    shown = [e for e in entries if filters.keep(e)]
    return {
        "entries": shown,
        "total_documents": len(entries),
        "totals": dict(sorted(totals.items())),
        "langs": sorted({e["lang"] for e in entries}),
        "filters": filters,
        "state_filters": STATE_FILTERS,
        "problems": problems + filters.problems,
    }


# --------------------------------------------------------------------------- document


def _row_segment_ids(record: StoredDocument, anchor: str) -> list[str]:
    """Segment ids behind one row of `document_rows` (s<n>: the n-th segment; l<n>: the n-th story link's sources)."""
    segments = record.segments
    kind, n = anchor[0], int(anchor[1:])
    if kind == "s":
        return [segments[n].id] if n < len(segments) else []
    links = record.story.links if record.story is not None else []
    known = {s.id for s in segments}
    return [i for i in links[n].src if i in known] if n < len(links) else []


def document_view(output_dir: Path, source_id: str) -> dict[str, Any] | None:
    """The latest stored document of a source as page rows with editable segments; None when not stored."""
    from tasks.review.link_review import link_view
    from tasks.review.page import document_rows, test_models_of, web_href
    from tasks.store.files import latest_document

    if not SOURCE_ID_RE.match(source_id):
        return None
    rel = latest_document(output_dir, source_id)
    if rel is None:
        return None
    try:
        record = read_document(output_dir, rel)
    except (OSError, ValueError):
        return None
    partner = story_partner(output_dir, record)
    columns, rows = document_rows(record, partner)
    by_id = {s.id: s for s in record.segments}
    view_rows = []
    for row in rows:
        units = []
        for sid in _row_segment_ids(record, row.anchor):
            seg = by_id[sid]
            view = segment_view(record, seg)
            view["editable"] = seg.translation is None or seg.translation.state != "copy"
            view["lang"] = seg.translation.tgt if seg.translation is not None else None
            units.append(view)
        link = None
        if row.anchor.startswith("l") and row.link in ("unsure", "rejected", "confirmed"):
            n = int(row.anchor[1:])
            link = link_view(record, n, record.story.links[n]) if record.story is not None else None
        view_rows.append({"row": row, "units": units, "link": link})
    url = record.page_url
    return {
        "source_id": source_id,
        "rel": rel,
        "title": record.document.title or record.url or rel,
        "src_lang": record.document.lang or "und",
        "tgt_lang": _target_lang(record, "?"),
        "fetched_at": record.fetch.fetched_at,
        "url": url,
        "url_href": web_href(url),
        "version": record.version,
        "counts": state_counts(record),
        "pivot_source": partner.source_id if partner is not None else None,
        "test_models": test_models_of(record),
        "columns": columns,
        "rows": view_rows,
        "unsure_links": sum(1 for r in view_rows if r["link"] and r["link"]["status"] == "unsure"),
    }


# --------------------------------------------------------------------------- rendering


@lru_cache(maxsize=1)
def _env() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("tasks", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fetched"] = fetched_date
    return env


def render(template: str, **context: Any) -> str:
    """Render tasks/templates/review_app/<template> (autoescaped)."""
    from tasks import __version__

    return _env().get_template(f"review_app/{template}").render(version_tool=__version__, **context)


STATIC_DIR = Path(__file__).resolve().parents[1] / "templates" / "review_app" / "static"
# The static review page's stylesheet, served as /static/page.css (the app's review.css adds to it).
PAGE_CSS = Path(__file__).resolve().parents[1] / "templates" / "review_page" / "style.css"


def fetched_date(value: str | None) -> str:
    parsed = parse_time(value)
    return parsed.strftime("%Y-%m-%d %H:%M UTC") if isinstance(parsed, datetime) else ""
