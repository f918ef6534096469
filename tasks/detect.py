"""Detect stage: language of every segment (langdetect, seeded, + script evidence).

Contract: `detect_text(text: str) -> Detection(lang, score, evidence: list[str])`;
`detect_segments(segments: list[Segment], hint: str | None = None) -> list[Segment]`
(fills lang / lang_score / lang_evidence; `und` inherits from paragraph/page; short
weak segments lean on neighbours); `detect_lines(lines: list[str]) -> list[tuple[str, float]]`;
`DETECTOR_SIGNATURE: str`. Langs: vi, zh-Hans, zh-Hant, en, ja, ko, th, ru, ar, ..., und.
Must not import prefect or argostranslate (the CLI `detect` starts fast).
"""

from __future__ import annotations

raise NotImplementedError("owned by the language-ID work (issue 5)")
