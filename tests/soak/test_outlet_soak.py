"""A discovered night killed at every phase, then rerun: nothing lost, doubled or corrupt (bounded).

The full-size version is `python bench/soak.py --outlet 1000 --kills 8` (docs/reliability.md);
this one serves 3 x 40 in-window articles (+ old ones) from tests/outlet_soak.py, published
in four waves, runs the real `newsbridge run` four times, SIGKILLing its process group once
during discovery, once mid-shard, once during pairing and once during the export (in a
random order), then reruns until a run completes, and checks: every in-window article
stored exactly once under one source, the frontier consistent with the stored documents,
every story paired once with its three versions, no old article requested, no stored
article requested again without a condition, every JSON file valid, no temp file left.
"""

from __future__ import annotations

import pytest

from outlet_soak import soak_outlet
from soak_support import cli_env

pytestmark = pytest.mark.slow


def test_a_discovered_night_survives_kills_at_every_phase(argos_test_models, tmp_path):
    out = (tmp_path / "out").resolve()
    figures = soak_outlet(40, 4, seed=7, output=out, env=cli_env(argos_test_models["packages_dir"]), work=tmp_path,
                          max_wait=600)
    assert figures["stored"] == figures["in_window"] == 120
    assert sorted(k["point"] for k in figures["kills"]) == ["discovery", "export", "mid-shard", "pairing"]
