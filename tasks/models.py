"""The carrier data model: one set of objects flows through every stage.

Every stage takes and returns these objects; every field a translator needs to
trust a line (where it came from, how it was decoded, extracted, detected and
translated) travels with it. Defined once, here.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

# Version carried by every tiny test translation package (tasks/translate/testmodels.py builds them);
# a model id ending in "@" + this is a test model whose output is nonsense.
TEST_MODEL_VERSION = "0.0.1-test"

SOURCE_ID_RE = re.compile(r"^[a-z0-9-]+\Z")  # \Z, not $: "$" also matches before a trailing newline

SourceLang = Literal["vi", "zh", "en", "auto"]
SegmentState = Literal["mt", "reviewed", "final", "copy", "needs-review"]
# The outcome vocabularies, one definition each (docs/architecture.md, "One name per concept"):
# a fetch ends in a FetchOutcome; discovery decides a DiscoveryDecision per article; the
# frontier keeps a FrontierStatus per URL; the night gives every source one SourceStatus
# (a discovered article not fetched is `skipped`, its decision as the reason).
FetchOutcome = Literal["fetched", "not_modified", "rejected", "failed"]
DiscoveryDecision = Literal["fetch", "skipped_seen", "skipped_old", "skipped_cap", "robots_disallowed"]
FrontierStatus = Literal["discovered", "stored", "rejected", "failed", "skipped_old"]
SourceStatus = Literal["new", "changed", "unchanged", "rejected", "failed", "skipped"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- config


class FetchDefaults(_Model):
    """`defaults:` block of sources.yaml: politeness and limits, overridable per source."""

    min_delay_seconds: float = Field(1.0, ge=0)
    per_host_concurrency: int = Field(2, ge=1, le=32)
    timeout_seconds: float = Field(30.0, gt=0)
    max_bytes: int = Field(10_000_000, gt=0)
    user_agent: str = "newsbridge/0.1 (+https://github.com/newsbridge/newsbridge)"


class Discovery(_Model):
    """How a discovered article was found (issue 14); None on hand-written sources."""

    outlet: str
    edition: str  # the edition's language key: "vi" | "zh" | "en"
    via: Literal["feed", "sitemap", "page", "listed"]
    found_on: str | None = None  # URL of the feed / sitemap / page that listed it
    published: str | None = None  # ISO date(time) from feed, sitemap or URL; None when unknown
    date_source: str | None = None  # "feed" | "sitemap" | "url" | None
    # a date found for it outside the sane window (before 1990, more than a day ahead): why it was not trusted
    date_suspect: str | None = None
    max_age_days: float = 2.0  # the outlet's window, for the after-fetch age check
    hosts: list[str] = Field(default_factory=list)  # the outlet's edition hosts: redirects elsewhere are refused


class DiscoveryRecord(_Model):
    """How a discovered article was found, as its stored document says (`discovery` block)."""

    outlet: str
    edition: str
    via: Literal["feed", "sitemap", "page", "listed"]
    found_on: str | None = None
    published: str | None = None  # from feed, sitemap or URL; else the page's own date
    date_source: str | None = None  # "feed" | "sitemap" | "sitemap-index" | "url" | "page" | None
    date_suspect: str | None = None  # a date found outside the sane window (before 1990, a day ahead): not trusted


class Source(_Model):
    """One entry of `sources:` in sources.yaml (or an article discovered from an outlet)."""

    id: str
    url: str
    lang: SourceLang = "auto"
    outlet: str | None = None
    selector: str | None = None
    story: str | None = None
    tags: list[str] = Field(default_factory=list)
    # Per-source politeness overrides (None = use defaults).
    min_delay_seconds: float | None = Field(None, ge=0)
    per_host_concurrency: int | None = Field(None, ge=1, le=32)
    discovery: Discovery | None = None  # set by discovery (tasks/crawl/discover.py), never in sources.yaml

    @field_validator("id")
    @classmethod
    def _id_shape(cls, v: str) -> str:
        if not SOURCE_ID_RE.match(v):
            raise ValueError("must match [a-z0-9-]+ (lowercase letters, digits, '-')")
        return v

    @field_validator("url")
    @classmethod
    def _url_scheme(cls, v: str) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an absolute http:// or https:// URL")
        return v


EditionLang = Literal["vi", "zh", "en"]


def _http_url(v: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(v)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http:// or https:// URL")
    return v


HttpUrlText = Annotated[str, AfterValidator(_http_url)]


class Outlet(_Model):
    """One entry of `outlets:`: a news site whose editions are crawled for new articles."""

    id: str
    editions: dict[EditionLang, HttpUrlText]  # language -> the edition's home page
    feeds: list[HttpUrlText] = Field(default_factory=list)  # extra feed URLs (RSS, Atom, JSON Feed)
    sitemaps: list[HttpUrlText] = Field(default_factory=list)  # extra sitemap URLs
    sections: list[HttpUrlText] = Field(default_factory=list)  # extra section pages to read links from
    follow: str | None = None  # regex an article URL must match
    exclude: str | None = None  # regex an article URL must not match
    max_age_days: float = Field(2.0, gt=0)
    max_new_per_run: int = Field(300, ge=0)
    max_section_pages: int = Field(20, ge=0, le=200)  # section pages read per edition
    # Outlet health: `newsbridge.outlet.silent` when no edition yields a new article for this many nights.
    silent_after_nights: int = Field(3, ge=1, le=60)
    tags: list[str] = Field(default_factory=list)
    min_delay_seconds: float | None = Field(None, ge=0)
    per_host_concurrency: int | None = Field(None, ge=1, le=32)

    @field_validator("id")
    @classmethod
    def _outlet_id(cls, v: str) -> str:
        if not SOURCE_ID_RE.match(v):
            raise ValueError("must match [a-z0-9-]+ (lowercase letters, digits, '-')")
        return v

    @field_validator("editions")
    @classmethod
    def _editions(cls, v: dict[str, str]) -> dict[str, str]:
        if not v:
            raise ValueError("needs at least one edition (language: home page URL)")
        return v

    @field_validator("follow", "exclude")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return v


class SourcesFile(_Model):
    defaults: FetchDefaults = Field(default_factory=FetchDefaults)
    sources: list[Source] = Field(default_factory=list)
    outlets: list[Outlet] = Field(default_factory=list)


# --------------------------------------------------------------------------- stages


class FetchResult(_Model):
    """What the fetch stage saw: bytes and HTTP facts, no interpretation."""

    source_id: str
    url: str
    final_url: str | None = None
    redirects: list[str] = Field(default_factory=list)
    status: int | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    fetched_at: datetime
    outcome: FetchOutcome
    reason: str | None = None  # reason code from the fixed vocabulary when not fetched
    detail: str | None = None  # human-readable detail for the reason
    sha256: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    raw_path: str | None = None  # content-addressed gzip snapshot, relative to output dir
    robots: str | None = None  # "allowed" | "disallowed" | "unreachable" | "ignored"
    content: bytes | None = Field(default=None, exclude=True, repr=False)


class Translation(_Model):
    text: str
    src: str
    tgt: str
    model: str  # model id + version, e.g. "argos:vi-en@1.0" ("copy" when already pivot)
    engine: str  # engine signature, e.g. "ctranslate2-4.5.0|beam2|lp0.2"
    from_memory: bool = False
    state: SegmentState = "mt"
    chain: list[str] = Field(default_factory=list)  # e.g. ["zh-Hant>zh-Hans(opencc)", "zh-en"]
    reference: str | None = None  # previous reviewed text when state == needs-review
    reviewed_at: datetime | None = None
    reviewed_by: str | None = None  # who reviewed (browser app / review import), when known


class Segment(_Model):
    id: str  # stable: "<doc_id>:<paragraph>:<sentence>"
    paragraph: int
    sentence: int
    start: int  # character offsets into Document.text (the extracted text)
    end: int
    text: str
    lang: str = "und"
    lang_score: float = 0.0
    lang_evidence: list[str] = Field(default_factory=list)
    split: str | None = None  # e.g. "clause" when a long sentence was split for MT
    translation: Translation | None = None


class LinkEvidence(_Model):
    """What a page says about its other language versions, captured at extraction (tasks/text/links.py).

    URLs are canonical (absolute, tracking parameters dropped). Pairing reads these and
    never the raw HTML again.
    """

    canonical: str | None = None  # <link rel=canonical>
    alternates: dict[str, str] = Field(default_factory=dict)  # hreflang -> URL (<link rel=alternate hreflang>)
    switch: list[str] = Field(default_factory=list)  # links whose anchor text or hreflang names a language / source
    links: list[str] = Field(default_factory=list)  # in-page links outside menus, headers and footers (switch links too)
    sources: list[str] = Field(default_factory=list)  # URLs written in the text ("Source: <url>")


class Document(_Model):
    """A cleaned article: decoded, extracted, NFC text and its metadata."""

    source_id: str
    url: str
    title: str | None = None
    date: str | None = None
    author: str | None = None
    canonical_url: str | None = None
    page_lang: str | None = None  # <html lang> as declared by the page
    lang: str | None = None  # majority language of segments
    charset: str | None = None
    charset_source: str | None = None
    paragraphs: list[str] = Field(default_factory=list)
    text: str = ""  # paragraphs joined by "\n\n"; segment offsets point here
    extractor: str = ""  # signature and the method that won, e.g. "newsbridge-extract/0.8+trafilatura/2.3.1|generic:density"
    extraction_confidence: float | None = None  # agreement of the extraction candidates (1.0 for a selector)
    selector: str | None = None
    segments: list[Segment] = Field(default_factory=list)
    discovery: DiscoveryRecord | None = None  # discovered articles: how they were found
    evidence: LinkEvidence = Field(default_factory=LinkEvidence)  # links naming other language versions


class AlignedPair(_Model):
    src: list[str]  # segment ids on the source side (empty for 0:1)
    tgt: list[str]  # segment ids (or translation refs) on the target side (empty for 1:0)
    score: float  # the probability that the link is right (calibrated; see docs/translators.md)
    method: str  # "mt-1:1" | "length+anchors" | "length+anchors+lexicon" | "mt-bridge" | "evidence" ...
    # Whether the link is trusted enough to leave the aligner: only exported links go to the
    # translation memory, the TMX and the XLIFF human-version notes; the rest show as "unsure".
    export: bool = True
    # The evidence behind the link (feature name -> value), for provenance and review.
    features: dict[str, float] = Field(default_factory=dict)


# Stage names as records spelled them before: the extraction stage was "clean".
_OLD_STAGE_NAMES = {"clean": "extract"}


class Rejection(_Model):
    """A recorded refusal with a reason; nothing disappears silently."""

    source_id: str
    stage: str  # fetch | decode | extract | segment | discover | ...
    reason: str
    detail: str | None = None
    url: str | None = None

    @field_validator("stage")
    @classmethod
    def _one_stage_name(cls, stage: str) -> str:
        return _OLD_STAGE_NAMES.get(stage, stage)


class SourceOutcome(_Model):
    id: str
    status: SourceStatus
    reason: str | None = None
    detail: str | None = None
    document: str | None = None  # path of the stored document JSON, relative to output dir
    url: str | None = None  # discovered articles: the canonical URL
    discovery: dict[str, object] | None = None  # discovered articles: how they were found


class Provenance(_Model):
    """Signature of everything that produced a document."""

    newsbridge: str
    extractor: str
    detector: str
    models: list[str] = Field(default_factory=list)
    engine: str | None = None
    flow_run_id: str | None = None
    run_id: str | None = None
