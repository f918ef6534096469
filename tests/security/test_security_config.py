"""sources.yaml is data, never code: a safe loader, no object construction, no alias bombs.

A sources file may come from a colleague or a shared drive; loading it must not run
anything. These tests feed PyYAML's known code-execution tags and an alias expansion
("billion laughs") to the real loader and check the result is a clear ConfigError.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tasks.crawl.sources import ConfigError, load_sources, parse_sources

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "payload",
    [
        "!!python/object/apply:os.system ['touch {marker}']",
        "!!python/object/new:os.system ['touch {marker}']",
        "!!python/name:os.system",
        "!!python/module:os",
        "!!python/object/apply:subprocess.check_output [['touch', '{marker}']]",
    ],
)
def test_code_execution_tags_are_refused(tmp_path, payload):
    marker = tmp_path / "pwned"
    text = f"sources:\n  - id: a\n    url: http://example.org/\n    outlet: {payload.format(marker=marker)}\n"
    f = tmp_path / "sources.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_sources(f)
    assert str(f) in str(err.value)
    assert not marker.exists()


def test_top_level_python_object_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    with pytest.raises(ConfigError):
        parse_sources(f"!!python/object/apply:os.system ['touch {marker}']\n", "s.yaml")
    assert not marker.exists()


def test_alias_bomb_is_a_clear_error_not_a_hang():
    # Nine levels of ten aliases: 10**9 strings if anything expanded it.
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        refs = ",".join([f"*a{i-1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    text = "\n".join(lines) + "\nsources:\n  - id: a\n    url: http://example.org/\n    tags: *a9\n"
    with pytest.raises(ConfigError) as err:
        parse_sources(text, "bomb.yaml")
    assert "bomb.yaml" in str(err.value)
    # The error message stays small: it names the problem, it does not print the expansion.
    assert len(str(err.value)) < 20_000


def test_non_mapping_and_binary_garbage_are_config_errors(tmp_path):
    for text in ["- just\n- a list\n", "42\n", "", "\x00\x01\x02", "sources: !!binary aGVsbG8=\n"]:
        with pytest.raises(ConfigError):
            parse_sources(text, "g.yaml")
    f = tmp_path / "latin1.yaml"
    f.write_bytes(b"sources:\n  - id: a\n    url: http://example.org/\n    outlet: caf\xe9\n")
    with pytest.raises(ConfigError) as err:
        load_sources(f)
    assert "UTF-8" in str(err.value)


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node


def test_no_unsafe_deserialisation_anywhere_in_our_code():
    """Every yaml.load names SafeLoader; no unsafe_load / full_load / pickle / marshal / eval of data."""
    problems = []
    for path in sorted([*ROOT.glob("tasks/*.py"), *ROOT.glob("flows/*.py"), *ROOT.glob("bench/*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for call in _calls(tree):
            fn = call.func
            name = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else ""
            owner = fn.value.id if isinstance(fn, ast.Attribute) and isinstance(fn.value, ast.Name) else ""
            where = f"{path.relative_to(ROOT)}:{call.lineno}"
            if owner == "yaml" and name in ("unsafe_load", "full_load", "load_all", "unsafe_load_all", "full_load_all"):
                problems.append(f"{where}: yaml.{name}")
            if owner == "yaml" and name == "load":
                loader = [k for k in call.keywords if k.arg == "Loader"]
                if not loader or "Safe" not in ast.unparse(loader[0].value):
                    problems.append(f"{where}: yaml.load without SafeLoader")
            if owner in ("pickle", "marshal", "shelve", "dill") and name in ("load", "loads", "open"):
                problems.append(f"{where}: {owner}.{name}")
            if isinstance(fn, ast.Name) and fn.id in ("eval", "exec"):
                problems.append(f"{where}: {fn.id}()")
    assert not problems, problems
