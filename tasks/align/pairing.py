"""Pairing: find the language versions of one story among an outlet's stored articles.

Evidence, strongest first, each recorded as the pair's `method` with a score:
  hreflang  reciprocal `<link rel=alternate hreflang>` (one-way: 0.9)
  link      an in-page link to the other edition's article ("Source: <url>", a language switch)
  url       the same article id or slug in both editions' URLs (and content not against it)
  content   no link at all: the sentence aligner's evidence over whole documents (numbers and
            dates, Latin names, CC-CEDICT / vi-en / learned-lexicon translations, length;
            tasks/align/doc_evidence.py) and each side's best rival give a calibrated
            probability; pairs at or above the threshold fitted on the dev half of the
            NTREX bench (bench/eval_pairing.py) are kept, one-to-one, below it nothing is
            paired; the features and probability go into `paired_by`. No MT.
Pairs are grouped into stories (one version per language; three editions give one story
listing every version). A pair that would put two versions of one language in a story is
refused. Stories found on earlier nights are kept and only grow.

`pair_run` reads stored document records (their `document.evidence`, recorded at
extraction: no raw HTML is parsed again), writes each paired document's `story` block
into its latest record in place (an earlier night's document too, no new version) and
returns the new pairs. The story stage (tasks/align/story.py) calls it after all shards;
documents with a hand-written `story:` are aligned there, not paired.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import urlsplit

from tasks.align.content_pairs import DATE_WINDOW_DAYS, ContentScorer, content_candidates, rival, rivals  # noqa: F401 (DATE_WINDOW_DAYS re-exported)
from tasks.align.doc_evidence import DocEvidence, PairingModel, doc_evidence
from tasks.langs import base_lang
from tasks.store.document import PairedBy, StoredDocument, StoryBlock, StoryVersion

METHODS = ("hreflang", "link", "url", "content")
_RANK = {m: i for i, m in enumerate(METHODS)}
URL_CONTENT_FLOOR = 0.05  # a URL-id match is refused when the content alone gives the pair less than this probability
STORED_WINDOW_DAYS = 14.0  # earlier nights' versions considered as counterparts of tonight's
_ID_RE = re.compile(r"\d{5,}")

@dataclass
class DocInfo:
    """What pairing knows of one stored article."""

    key: str  # source id
    outlet: str
    lang: str
    url: str
    urls: set[str] = field(default_factory=set)  # url, canonical, final url (canonicalised)
    date: datetime | None = None
    alternates: dict[str, str] = field(default_factory=dict)  # hreflang -> url
    links: list[str] = field(default_factory=list)  # other-edition links from the page
    switch_links: set[str] = field(default_factory=set)  # links whose anchor text names a language / source
    text: str = ""
    rel: str | None = None  # stored record path (pair_run)
    story: StoryBlock | None = None  # the stored story block (earlier nights)
    features: Any = None


@dataclass
class Pair:
    a: str
    b: str
    method: str
    score: float
    features: dict[str, Any] | None = None  # content pairs: the evidence and rival margins behind the probability


@dataclass
class Story:
    id: str
    members: dict[str, str]  # lang -> doc key
    edges: list[Pair] = field(default_factory=list)


# --------------------------------------------------------------------------- content evidence


def content_features(text: str, lang: str, lexicon: Mapping[str, Mapping[str, float]] | None = None) -> DocEvidence:
    """Numbers, names, dictionary glosses (CC-CEDICT, vi-en lexicon, the learned lexicon) and length of a text."""
    return doc_evidence(text, base_lang(lang), lexicon)


# --------------------------------------------------------------------------- pairing


def _url_key(url: str) -> str | None:
    """An article id (5+ digits) or a long slug of the URL's last segment."""
    last = [s for s in urlsplit(url).path.split("/") if s]
    if not last:
        return None
    seg = re.sub(r"\.(s?html?|php|aspx?)$", "", last[-1].lower())
    ids = _ID_RE.findall(seg)
    if ids:
        return "id:" + max(ids, key=len)
    return "slug:" + seg if seg.count("-") >= 3 else None


def _edition_of(url: str, roots: dict[tuple[str, str], set[str]], hosts: dict[str, set[str]]) -> str | None:
    """The one language whose stored articles share this URL's host and first path segment (or host)."""
    parts = urlsplit(url)
    seg = next((s for s in parts.path.split("/") if s), "")
    for langs in (roots.get((parts.netloc, seg), set()), hosts.get(parts.netloc, set())):
        if len(langs) == 1:
            return next(iter(langs))
    return None


def named_counterparts(docs: list[DocInfo]) -> dict[str, dict[str, set[str]]]:
    """Per document: language -> the counterpart URLs its own page names (hreflang, language switch, 'Source:').

    An article page (not an edition's home page) named this way is the document's version in
    that language, stored or not: the weaker `url` and `content` methods must not pair the
    document with another article of that language. A switch link's language is the edition
    of the stored articles sharing its host and first path segment.
    """
    from tasks.urls import canonical_url

    roots: dict[tuple[str, str], set[str]] = {}
    hosts: dict[str, set[str]] = {}
    for d in docs:
        for u in d.urls | {d.url}:
            parts = urlsplit(u)
            roots.setdefault((parts.netloc, next((s for s in parts.path.split("/") if s), "")), set()).add(base_lang(d.lang))
            hosts.setdefault(parts.netloc, set()).add(base_lang(d.lang))

    def article(u: str) -> bool:
        return _url_key(u) is not None or len([s for s in urlsplit(u).path.split("/") if s]) >= 2

    out: dict[str, dict[str, set[str]]] = {}
    for d in docs:
        named: dict[str, set[str]] = {}
        found = [(code, u) for code, u in d.alternates.items()] + [("", u) for u in sorted(d.switch_links)]
        for code, raw in found:
            u = canonical_url(raw) or raw
            lang = base_lang(code) if code else _edition_of(u, roots, hosts)
            if lang in (None, "x", "und", base_lang(d.lang)) or not article(u) or u in d.urls | {d.url}:
                continue
            named.setdefault(lang, set()).add(u)  # type: ignore[arg-type]
        if named:
            out[d.key] = named
    return out


def _names_another(named: dict[str, dict[str, set[str]]], a: DocInfo, b: DocInfo) -> bool:
    """True when either document's page names a counterpart in the other's language that is not the other."""
    for x, y in ((a, b), (b, a)):
        urls = named.get(x.key, {}).get(base_lang(y.lang))
        if urls and not urls & (y.urls | {y.url}):
            return True
    return False


def candidate_pairs(docs: list[DocInfo], threshold: float | None = None, model: PairingModel | None = None,
                    scorer: ContentScorer | None = None) -> list[Pair]:
    """Every pair evidence says is a pair, strongest method first (not yet one-to-one)."""
    # A document's own URL first, aliases (rel=canonical, final URL) after: a page whose
    # canonical wrongly names another edition's article never takes that article's place.
    by_url: dict[str, DocInfo] = {d.url: d for d in docs}
    for d in docs:
        for u in sorted(d.urls):
            by_url.setdefault(u, d)
    found: dict[tuple[str, str], Pair] = {}
    named = named_counterparts(docs)

    def add(a: DocInfo, b: DocInfo, method: str, score: float, features: dict[str, Any] | None = None) -> None:
        if a.key == b.key or base_lang(a.lang) == base_lang(b.lang) or a.outlet != b.outlet:
            return
        if method in ("url", "content") and _names_another(named, a, b):
            return  # the page names its own counterpart in that language: never a weaker pair with another
        k = (a.key, b.key) if a.key < b.key else (b.key, a.key)
        have = found.get(k)
        if have is None or (_RANK[method], -score) < (_RANK[have.method], -have.score):
            found[k] = Pair(k[0], k[1], method, round(score, 4), features)

    for a in docs:
        for u in a.alternates.values():
            b = by_url.get(u)
            if b is not None:
                mutual = any(v in a.urls | {a.url} for v in b.alternates.values())
                add(a, b, "hreflang", 1.0 if mutual else 0.9)
    for a in docs:
        targets: dict[str, list[DocInfo]] = {}
        for u in a.links:
            b = by_url.get(u)
            if b is not None and base_lang(b.lang) != base_lang(a.lang):
                targets.setdefault(base_lang(b.lang), []).append(b)
        for lang, bs in targets.items():
            unique = {b.key: b for b in bs}
            if len(unique) > 1:
                # Several articles of one other edition: only a language switch / source link counts.
                unique = {b.key: b for b in bs if (b.urls | {b.url}) & a.switch_links}
            if len(unique) == 1:
                b = next(iter(unique.values()))
                mutual = any(by_url.get(u) is a for u in b.links)
                add(a, b, "link", 0.95 if mutual else 0.9)
    if scorer is None and docs:
        scorer = ContentScorer(docs, model)
    keyed: dict[str, list[DocInfo]] = {}
    for d in docs:
        k = _url_key(d.url)
        if k:
            keyed.setdefault(k, []).append(d)
    for group in keyed.values():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                if base_lang(a.lang) != base_lang(b.lang) and scorer is not None and scorer.alone(a, b) >= URL_CONTENT_FLOOR:
                    add(a, b, "url", 0.8)
    if scorer is not None:
        for a, b, score, feats in content_candidates(docs, scorer, threshold, set(found)):
            add(a, b, "content", score, feats)
    return sorted(found.values(), key=lambda p: (_RANK[p.method], -p.score, p.a, p.b))


def group_stories(docs: list[DocInfo], pairs: list[Pair], existing: Iterable[Story] = ()) -> list[Story]:
    """One-to-one grouping: pairs in order, never two versions of one language in a story."""
    lang = {d.key: base_lang(d.lang) for d in docs}
    by_key = {d.key: d for d in docs}
    named = named_counterparts(docs)
    story_of: dict[str, Story] = {}
    stories: list[Story] = []
    for s in existing:
        s = Story(s.id, dict(s.members), list(s.edges))
        stories.append(s)
        for key in s.members.values():
            story_of[key] = s
    for p in pairs:
        sa, sb = story_of.get(p.a), story_of.get(p.b)
        if sa is not None and sa is sb:
            continue
        la = sa.members if sa else {lang[p.a]: p.a}
        lb = sb.members if sb else {lang[p.b]: p.b}
        if set(la) & set(lb):
            continue  # a second version of one language: refused (one-to-one)
        if p.method in ("url", "content") and any(
            _names_another(named, by_key[x], by_key[y])
            for x in la.values() for y in lb.values() if x in by_key and y in by_key
        ):
            continue  # a version names its own counterpart in that language: no joining through another's content pair
        if sa is None and sb is None:
            s = Story(_story_id(p.a, p.b), {**la, **lb}, [p])
            stories.append(s)
        else:
            s = sa or sb  # type: ignore[assignment]
            other = sb if s is sa else sa
            s.members.update(lb if s is sa else la)
            s.edges.append(p)
            if other is not None:
                s.edges += other.edges
                stories.remove(other)
        for key in s.members.values():
            story_of[key] = s
    return stories


AGREEMENT_FLOOR = 0.015  # a missing version joins a story on weaker content evidence ...
AGREEMENT_RATIO = 3.0  # ... when every version already in the story picks it, and it picks each of them, this clearly


def join_by_agreement(docs: list[DocInfo], stories: list[Story], threshold: float | None = None,
                      model: PairingModel | None = None, scorer: ContentScorer | None = None) -> list[Story]:
    """Give a story its missing language when all its versions agree on one unpaired article.

    A short or name-poor version (a Chinese article with every name transliterated) can
    stay under the threshold against each version alone; when the story already has two
    versions, each picks the same unpaired article as its best in that language, the
    article picks each of them as its best, and the versions' mean probability reaches the
    threshold, it joins (the versions' evidence is not independent: no product of odds).
    Recorded as `content` with each version's probability and features.
    """
    if not stories or not docs:
        return stories
    scorer = scorer or ContentScorer(docs, model)
    threshold = scorer.model.threshold if threshold is None else threshold
    logits, best = rivals(docs, scorer)
    named = named_counterparts(docs)
    in_story = {k for st in stories for k in st.members.values()}
    by_key = {d.key: d for d in docs}
    for st in stories:
        members = [by_key[k] for k in st.members.values() if k in by_key]
        if len(members) < 2:
            continue
        for lang in ("vi", "zh", "en"):
            if lang in st.members:
                continue
            picks = {(best.get((m.key, lang)) or [(0.0, "")])[0][1] for m in members}
            if len(picks) != 1 or not next(iter(picks)) or next(iter(picks)) in in_story:
                continue
            z = by_key[next(iter(picks))]
            if any(_names_another(named, y, z) for y in members):
                continue  # a version (or the article) names another counterpart in that language
            edges = []
            for m in members:
                if (best.get((z.key, base_lang(m.lang))) or [(0.0, "")])[0][1] != m.key:
                    break  # the article picks someone else in this member's language
                p, feats = scorer.provenance(m, z, rival(best, m.key, lang, z.key), rival(best, z.key, base_lang(m.lang), m.key))
                edges.append(Pair(*sorted((m.key, z.key)), "content", p, {**feats, "joined_by_agreement": True}))
            else:
                if sum(e.score for e in edges) / len(edges) >= threshold:
                    st.members[lang] = z.key
                    st.edges += edges
                    in_story.add(z.key)
    return stories


def pair_documents(docs: list[DocInfo], threshold: float | None = None, existing: Iterable[Story] = (),
                   model: PairingModel | None = None, scorer: ContentScorer | None = None) -> list[Story]:
    """Evidence -> one-to-one stories -> missing versions joined by agreement (one scorer for both)."""
    scorer = scorer or (ContentScorer(docs, model) if docs else None)
    stories = group_stories(docs, candidate_pairs(docs, threshold, model, scorer), existing)
    return join_by_agreement(docs, stories, threshold, model, scorer)


def _story_id(a: str, b: str) -> str:
    return "auto-" + hashlib.sha1("|".join(sorted((a, b))).encode()).hexdigest()[:12]


# --------------------------------------------------------------------------- stored documents


def doc_info_from_record(record: StoredDocument) -> DocInfo | None:
    """DocInfo of a stored record; its page evidence is what extraction recorded (`document.evidence`)."""
    from tasks.urls import canonical_url

    disc = record.discovery
    if disc is None or not disc.outlet:
        return None
    document, fetch = record.document, record.fetch
    url = canonical_url(record.url) or record.url
    urls = {u for u in (canonical_url(x or "") for x in (record.url, document.canonical_url, fetch.final_url)) if u}
    evidence = document.evidence
    if evidence.canonical:
        urls.add(evidence.canonical)
    alternates = dict(evidence.alternates)
    # a URL written in the text ("Source: <url>") names its source, like a language switch
    links = evidence.links + evidence.sources
    switch = set(evidence.switch) | set(evidence.sources)
    text = document.text
    date = None
    for value in (disc.published, document.date):
        if value:
            try:
                date = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
                date = date.replace(tzinfo=timezone.utc) if date.tzinfo is None else date
                break
            except ValueError:
                continue
    lang = document.lang or disc.edition or "und"
    if base_lang(disc.edition) in ("vi", "zh", "en"):
        lang = disc.edition  # the edition says what language the article is in
    info = DocInfo(
        key=record.source_id, outlet=disc.outlet, lang=lang, url=url, urls=urls, date=date,
        alternates=alternates, links=links, switch_links=switch, text=text, rel=record.rel, story=record.story,
    )
    info.features = content_features(text, lang)
    return info


def _existing_stories(docs: list[DocInfo]) -> list[Story]:
    by_id: dict[str, Story] = {}
    keys = {d.key for d in docs}
    for d in docs:
        st = d.story
        if st is None or not st.id or st.paired_by is None:
            continue
        s = by_id.setdefault(st.id, Story(st.id, {}))
        s.members[base_lang(d.lang)] = d.key
        for v in st.versions:
            if v.source_id in keys:
                s.members.setdefault(base_lang(v.lang), v.source_id)
    return list(by_id.values())


def story_block(story: Story, doc: DocInfo, docs: dict[str, DocInfo]) -> StoryBlock:
    """The `story` block of one member: id, paired_by, every version (itself included)."""
    mine = [e for e in story.edges if doc.key in (e.a, e.b)] or story.edges
    best = min(mine, key=lambda e: (_RANK[e.method], -e.score)) if mine else None
    versions = [
        StoryVersion(lang=docs[k].lang, url=docs[k].url, source_id=k)
        for _, k in sorted(story.members.items())
        if k in docs
    ]
    return StoryBlock(
        id=story.id,
        paired_by=PairedBy(method=best.method, score=best.score, features=best.features) if best else None,
        versions=versions,
    )


def pair_run(
    output_dir: Path,
    this_run: dict[str, str],
    pivot: str,
    frontier: Any,
    *,
    hand_written: set[str] | None = None,
    dsn: str | None = None,
) -> list[dict[str, Any]]:
    """Pair tonight's stored documents with each other and with earlier nights'; write story blocks.

    `this_run`: {source_id: rel path} stored (new or changed) in this run. Every member of
    a story that gained a version tonight gets its block in its latest stored record, in
    place (an earlier night's document too: no new version). Returns one entry per such
    story: {id, versions, edges}. Called by the story stage (tasks/align/story.py). `dsn`:
    the PostgreSQL DSN of the documents' write locks when several machines write.
    """
    from tasks.store.document import latest_stored

    out = Path(output_dir)
    hand_written = hand_written or set()
    outlets: set[str] = set()
    records: dict[str, StoredDocument] = {}
    for sid, rel in this_run.items():
        rec = _load(out, rel)
        if rec is not None and rec.discovery is not None and rec.discovery.outlet and sid not in hand_written:
            records[sid] = rec
            outlets.add(rec.discovery.outlet)
    if not records:
        return []
    since = (datetime.now(timezone.utc) - timedelta(days=STORED_WINDOW_DAYS)).isoformat()
    for outlet in sorted(outlets):
        for row in frontier.stored(outlet):
            sid = row["source_id"]
            if sid in records or sid in hand_written or (row.get("stored_at") or "") < since:
                continue  # versions stored long ago are not tonight's counterparts
            rec = latest_stored(out, sid)
            if rec is not None:
                records[sid] = rec
    docs = [d for sid, rec in sorted(records.items()) if (d := doc_info_from_record(rec)) is not None]
    _add_learned_glosses(docs, out)
    by_key = {d.key: d for d in docs}
    existing = _existing_stories(docs)
    before = {s.id: dict(s.members) for s in existing}
    stories = pair_documents(docs, None, existing)
    changed: list[dict[str, Any]] = []
    for story in stories:
        if before.get(story.id) == story.members:
            continue
        if not any(k in this_run for k in story.members.values()):
            continue
        for key in story.members.values():
            doc = by_key[key]
            block = story_block(story, doc, by_key)
            # written under the document's write lock, re-read there: a reviewer's save since loading is kept
            _write_story(out, doc, records[key], block, story, by_key, pivot, dsn)
        changed.append({
            "id": story.id,
            "versions": [{"lang": by_key[k].lang, "url": by_key[k].url, "source_id": k} for k in story.members.values()],
            "edges": [{"a": e.a, "b": e.b, "method": e.method, "score": e.score} for e in story.edges],
        })
    return changed


def _add_learned_glosses(docs: list[DocInfo], out: Path) -> None:
    """Non-English documents also gloss their words with the archive's learned lexicon (tasks/align/learned.py)."""
    from tasks.align.learned import load_lexicon
    from tasks.settings import get_settings

    location = get_settings().tm_location(out)
    lexicons = {lang: load_lexicon(location, lang, "en") for lang in {base_lang(d.lang) for d in docs} - {"en", "und"}}
    for d in docs:
        lexicon = lexicons.get(base_lang(d.lang))
        if lexicon:
            d.features = content_features(d.text, d.lang, lexicon)


def _load(out: Path, rel: str | None) -> StoredDocument | None:
    from tasks.store.document import read_document

    if not rel:
        return None
    try:
        return read_document(out, rel)
    except (OSError, ValueError):
        return None


def _write_story(
    out: Path, doc: DocInfo, record: StoredDocument, block: StoryBlock, story: Story,
    docs: dict[str, DocInfo], pivot: str, dsn: str | None = None,
) -> None:
    """Add the story block (and sentence links to the pivot version) to a document's latest record, in place."""
    from tasks.align.learned import archive_lexicon
    from tasks.align.sentences import align_story
    from tasks.store.document import StoryLink, update_latest

    pivot_key = story.members.get(base_lang(pivot))
    if pivot_key is not None and pivot_key != doc.key:
        pivot_rec = _load(out, docs[pivot_key].rel)
        if pivot_rec is not None:
            extra = archive_lexicon(out, doc.lang, pivot) or None  # what the archive has learned joins the dictionaries
            aligned = align_story(pivot_rec.segments, record.segments, doc.lang, pivot, extra_lexicon=extra)
            links = [StoryLink.of(link) for link in aligned]
            block = block.model_copy(update={
                "pivot_source": pivot_key,
                "pivot_lang": docs[pivot_key].lang,
                "method": links[0].method if links else None,
                "links": links,
            })
    update_latest(out, doc.key, record.version, story_change(block), dsn)


def story_change(block: StoryBlock) -> Callable[[StoredDocument], bool]:
    """A change for `update_latest`: the record gets `block`, its links keeping the decisions
    the record holds under the lock (a decision made since the record was loaded too)."""
    from tasks.store.document import set_story

    def change(doc: StoredDocument) -> bool:
        old = doc.story.links if doc.story is not None else []
        return set_story(block.model_copy(update={"links": carry_decisions(old, block.links)}))(doc)

    return change


def carry_decisions(old: list[Any], new: list[Any]) -> list[Any]:
    """A translator's confirm / reject (tasks/review/link_review.py) survives re-alignment: a new link with
    the same sentences on both sides keeps the decision and its export flag."""
    decided = {(tuple(x.src), tuple(x.tgt)): x.review for x in old or [] if x.review is not None}
    out = []
    for link in new:
        review = decided.get((tuple(link.src), tuple(link.tgt)))
        if review is not None:
            link = link.model_copy(update={"review": review, "export": review.decision == "confirm"})
        out.append(link)
    return out
