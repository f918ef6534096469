"""`newsbridge export`: the selected documents as TMX, XLIFF or the HTML review page.

Chooses the writer by format; selection and the shared vocabulary come from
`tasks/review/reviews.py`, the writers are `tasks/review/tmx.py`, `tasks/review/xliff.py` and
`tasks/review/page.py` (none of which imports this module).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Iterable

from tasks.review.reviews import SelectionError, select_documents, story_partner

EXPORT_FORMATS = ("tmx", "xliff", "html")


def export_documents(
    fmt: str,
    output_dir: Path,
    to_dir: Path,
    sources: Iterable[str] | None = None,
    since: datetime | None = None,
    problems: list[str] | None = None,
) -> list[Path]:
    """Export the selected documents' latest versions as TMX, XLIFF or HTML into to_dir.

    Unreadable stored files are skipped and described in `problems` (when given).
    """
    if fmt not in EXPORT_FORMATS:
        raise SelectionError(f"unknown format {fmt!r}: choose one of {', '.join(EXPORT_FORMATS)}")
    docs = select_documents(output_dir, sources, since, problems)
    partners = {d.rel or "": story_partner(output_dir, d) for d in docs}
    if fmt == "xliff":
        from tasks.review.xliff import export_xliff

        return export_xliff(docs, to_dir, partners)
    if fmt == "tmx":
        from tasks.review.tmx import export_tmx

        return export_tmx(docs, to_dir, partners)
    from tasks.review.page import export_html

    return export_html(docs, to_dir, output_dir, partners)
