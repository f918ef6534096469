"""Which story links a translator can trust: exported, unsure, confirmed or rejected.

The sentence aligner (tasks/align/) sets `export` on every story link: true when its
calibrated probability of being right clears the export threshold. Only exported links
go into the translation memory's human-version entries, the story TMX and the XLIFF
human-version references; the review page and the review app show the others as
"unsure". A translator's decision (tasks/review/link_review.py) is stored on the link as
`review: {decision, by, at, via}` and sets `export`: a confirmed link is exported from
then on, a rejected one never.

A link stored before the flag existed has no `export` key: it counts as exported, as it
was when it was written (the reader gives it `export: true`). Pure functions over the
stored links (`tasks.store.document.StoryLink`).
"""

from __future__ import annotations

from tasks.store.document import StoryLink

LINK_STATES = ("exported", "confirmed", "unsure", "rejected")
LINK_DECISIONS = ("confirm", "reject")
HUMAN_VERSION_MODEL = "human-version"  # memory model id of an entry taken from a story's human version


def link_exported(link: StoryLink) -> bool:
    """True when the link goes into the memory, the TMX and the XLIFF references."""
    decision = link.review.decision if link.review is not None else None
    if decision in LINK_DECISIONS:
        return decision == "confirm"
    return link.export


def link_status(link: StoryLink) -> str:
    """`confirmed` / `rejected` after a translator's decision, else `exported` or `unsure`."""
    decision = link.review.decision if link.review is not None else None
    if decision == "confirm":
        return "confirmed"
    if decision == "reject":
        return "rejected"
    return "exported" if link_exported(link) else "unsure"


def exported_links(links: list[StoryLink] | None) -> list[StoryLink]:
    """The links of a story block that may be exported (in order)."""
    return [link for link in links or [] if link_exported(link)]


def joined(texts: list[str], lang: str | None) -> str:
    """Sentences of one side of a link as one text (no spaces between Chinese or Japanese sentences)."""
    sep = "" if (lang or "").split("-")[0] in ("zh", "ja") else " "
    return sep.join(t for t in texts if t)
