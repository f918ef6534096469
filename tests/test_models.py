"""tasks/models.py: records written under an older name load under the one name used now."""

from __future__ import annotations

import json

from tasks.models import Rejection


def test_a_rejection_of_the_old_clean_stage_loads_as_extract() -> None:
    # a line of runs/<run-id>/rejected.jsonl as the code before the renaming wrote it
    old = '{"source_id": "s", "stage": "clean", "reason": "no_main_text", "detail": "no paragraph", "url": "http://e.org/a"}'
    assert Rejection.model_validate(json.loads(old)).stage == "extract"
    assert Rejection(source_id="s", stage="fetch", reason="http_404").stage == "fetch"


def test_documents_of_the_old_extractor_name_still_load() -> None:
    from pathlib import Path

    from tasks.store.document import parse_document

    record = json.loads((Path(__file__).parent / "fixtures" / "store" / "document_v1.json").read_text(encoding="utf-8"))
    doc = parse_document(record)
    assert doc.document.extractor.startswith("newsbridge-clean/0.8")  # kept as written
