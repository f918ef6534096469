"""The alignment model's coefficients: logistic models read from `tasks/data/align_model.json`.

Two models per language pair (fitted by `bench/eval_align.py --fit` on the dev half of an
abridged/edited benchmark, never on its test half):
- `bead`: log-odds that a candidate bead (1:1, 2:1, 1:2) is a right link, from its own
  evidence; the aligner's search maximises the sum of these log-odds, so a bead without
  evidence (negative log-odds) is never worth taking over leaving both sides unlinked.
- `link`: the probability that a link the search kept is right, from the bead's log-odds and
  its context (margin over the best rival, neighbours on the diagonal, which pass found it).
Plus `export_threshold` (the link probability from which a link is exported) and the
log-odds each pass of the search needs (`first_pass_offset`, `second_pass_min`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Mapping

from tasks.langs import base_lang

MODEL_FILE = "align_model.json"  # in tasks/data/


@dataclass(frozen=True)
class Logistic:
    """w . x + b over named features; a missing feature counts as 0."""

    names: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float

    def logit(self, features: Mapping[str, float]) -> float:
        return self.intercept + sum(w * features.get(n, 0.0) for n, w in zip(self.names, self.coef, strict=True))

    def probability(self, features: Mapping[str, float]) -> float:
        z = self.logit(features)
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Logistic:
        return cls(tuple(data["features"]), tuple(float(c) for c in data["coef"]), float(data["intercept"]))

    def to_json(self) -> dict[str, Any]:
        return {"features": list(self.names), "coef": [round(c, 5) for c in self.coef], "intercept": round(self.intercept, 5)}


@dataclass(frozen=True)
class AlignModel:
    pair: str  # "vi-en", "zh-en" or "default"
    bead: Logistic
    link: Logistic
    export_threshold: float
    second_pass_min: float  # bead log-odds a link found out of order needs
    first_pass_offset: float = 0.0  # bead log-odds the in-order search needs (negative: lenient)


@lru_cache(maxsize=1)
def _models() -> dict[str, Any]:
    text = resources.files("tasks").joinpath("data", MODEL_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def align_model(src_lang: str, tgt_lang: str) -> AlignModel:
    """The model for a language pair (either direction), else the pooled default."""
    data = _models()["models"]
    s, t = base_lang(src_lang), base_lang(tgt_lang)
    key = next((k for k in (f"{s}-{t}", f"{t}-{s}") if k in data), "default")
    entry = data[key]
    return AlignModel(
        key,
        Logistic.from_json(entry["bead"]),
        Logistic.from_json(entry["link"]),
        float(entry["export_threshold"]),
        float(entry["second_pass_min"]),
        float(entry.get("first_pass_offset", 0.0)),
    )
