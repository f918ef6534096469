"""What a detection is: `Detection(lang, score, evidence)`, `UND`, and the detector's signature."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import metadata

DETECT_VERSION = "0.2"
LANGDETECT_SEED = 0

UND = "und"


def _dist_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:  # pragma: no cover - declared dependency
        return "missing"


DETECTOR_SIGNATURE = (
    f"newsbridge-detect/{DETECT_VERSION}"
    f"+langdetect/{_dist_version('langdetect')}(seed={LANGDETECT_SEED})"
    f"+opencc-tables/{_dist_version('opencc-python-reimplemented')}"
)


@dataclass(slots=True)
class Detection:
    """Language of one text: code, confidence in [0, 1], and the evidence used.

    `weak` marks a decision made on too little evidence (context may override it);
    `probs` holds the candidate probabilities when a statistical step ran; `prior` the
    part of their vi-vs-en log-odds that only stands in for missing context.
    """

    lang: str
    score: float
    evidence: list[str] = field(default_factory=list)
    weak: bool = False
    probs: dict[str, float] = field(default_factory=dict)
    prior: float = 0.0  # vi-vs-en log-odds of the isolated-text prior inside `probs`
