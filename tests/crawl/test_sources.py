"""sources.yaml validation: errors name file, line and field; the CLI exits 2 and runs nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tasks.crawl.sources import ConfigError, load_sources, parse_sources, select_sources

ROOT = Path(__file__).resolve().parents[2]

GOOD = """defaults:
  min_delay_seconds: 0.5
sources:
  - id: a-one
    url: https://example.org/a
    lang: vi
  - id: b-two
    url: http://example.org/b
    story: s1
    per_host_concurrency: 1
"""


def test_shipped_sources_file_is_valid_and_cites_the_seed_urls():
    cfg = load_sources(ROOT / "sources.yaml")
    urls = {s.url for s in cfg.sources}
    assert any("mic.gov.vn/viet-nam-quang-tay" in u for u in urls)
    assert any("baovanhoa.vn/van-hoa/khai-mac-tuan-le" in u for u in urls)
    assert all(s.lang == "vi" for s in cfg.sources)


def test_good_file_parses_with_defaults_and_overrides():
    cfg = parse_sources(GOOD, "s.yaml")
    assert cfg.defaults.min_delay_seconds == 0.5
    assert cfg.defaults.per_host_concurrency == 2  # default
    assert cfg.sources[0].lang == "vi" and cfg.sources[1].lang == "auto"
    assert cfg.sources[1].per_host_concurrency == 1
    assert [s.id for s in select_sources(cfg, ["b-two"])] == ["b-two"]


@pytest.mark.parametrize(
    "text, expected",
    [
        # wrong scheme: line 4 is the url line of the first source
        ("sources:\n  - id: ok\n    lang: vi\n    url: ftp://x.org/a\n", "s.yaml:4: sources[0].url (source 'ok'):"),
        # bad id shape
        ("sources:\n  - id: Bad_Id\n    url: https://x.org\n", "s.yaml:2: sources[0].id"),
        # unknown language
        ("sources:\n  - id: ok\n    url: https://x.org\n    lang: fr\n", "s.yaml:4: sources[0].lang (source 'ok'):"),
        # unknown field (typo) is an error, not silently ignored
        ("sources:\n  - id: ok\n    url: https://x.org\n    selektor: div\n", "s.yaml:4: sources[0].selektor"),
        # missing url
        ("sources:\n  - id: ok\n", "s.yaml:2: sources[0].url (source 'ok'): Field required"),
        # defaults type error
        ("defaults:\n  min_delay_seconds: soon\nsources: []\n", "s.yaml:2: defaults.min_delay_seconds"),
        # duplicate ids
        ("sources:\n  - id: a\n    url: https://x.org\n  - id: a\n    url: https://y.org\n", "s.yaml:4: sources[1].id: duplicate id 'a'"),
        # broken YAML
        ("sources:\n  - id: a\n   url: [\n", "s.yaml:3: (yaml)"),
        # not a mapping
        ("- just a list\n", "s.yaml:1: (file)"),
    ],
)
def test_errors_name_file_line_and_field(text, expected):
    with pytest.raises(ConfigError) as info:
        parse_sources(text, "s.yaml")
    assert any(p.startswith(expected) for p in info.value.problems), info.value.problems


def test_unknown_only_id_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown source id"):
        select_sources(parse_sources(GOOD), ["nope"])


def test_yaml_is_loaded_safely():
    with pytest.raises(ConfigError):
        parse_sources("sources: !!python/object/apply:os.system ['echo pwned']\n", "s.yaml")


def test_cli_exits_2_and_runs_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  - id: ok\n    url: gopher://x.org\n", encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "run", "--sources", str(bad), "--output", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert f"{bad}:3: sources[0].url (source 'ok')" in proc.stderr
    assert not out.exists()


# --------------------------------------------------------------------------- outlets


def test_shipped_sources_file_has_the_seed_outlets():
    from tasks.crawl.sources import load_sources

    cfg = load_sources(ROOT / "sources.yaml")
    ids = {o.id for o in cfg.outlets}
    assert {"mic-gov-vn", "baovanhoa-vn"} <= ids
    mic = next(o for o in cfg.outlets if o.id == "mic-gov-vn")
    assert set(mic.editions) == {"vi", "en"}
    assert len(cfg.sources) == 2  # the two cited URLs stay


@pytest.mark.parametrize(
    "text, expected",
    [
        ("outlets:\n  - id: ok\n    editions:\n      vi: ftp://x.org/\n", "s.yaml:4: outlets[0].editions.vi (outlet 'ok')"),
        ("outlets:\n  - id: ok\n    editions:\n      fr: https://x.org/\n", "s.yaml:4: outlets[0].editions.fr"),
        ("outlets:\n  - id: ok\n    editions: {}\n", "s.yaml:3: outlets[0].editions (outlet 'ok')"),
        ("outlets:\n  - id: ok\n    editions:\n      vi: https://x.org/\n    follow: '('\n", "s.yaml:5: outlets[0].follow"),
        ("outlets:\n  - id: ok\n    editions:\n      vi: https://x.org/\n    max_age_days: -1\n", "s.yaml:5: outlets[0].max_age_days"),
        ("outlets:\n  - id: Bad\n    editions:\n      vi: https://x.org/\n", "s.yaml:2: outlets[0].id"),
        ("outlets:\n  - id: a\n    editions:\n      vi: https://x.org/\n  - id: a\n    editions:\n      en: https://y.org/\n",
         "s.yaml:5: outlets[1].id: duplicate id 'a'"),
    ],
)
def test_outlet_validation_names_file_line_and_field(text, expected):
    with pytest.raises(ConfigError) as exc:
        parse_sources(text, "s.yaml")
    assert any(p.startswith(expected) for p in exc.value.problems), exc.value.problems


def test_run_with_bad_outlet_exits_2_naming_the_line(tmp_path):
    bad = tmp_path / "s.yaml"
    bad.write_text("outlets:\n  - id: ok\n    editions:\n      vi: gopher://x.org/\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "flows.cli", "discover", "--sources", str(bad)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2
    assert f"{bad}:4: outlets[0].editions.vi (outlet 'ok')" in proc.stderr
