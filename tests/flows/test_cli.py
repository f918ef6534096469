"""The command line is one package of command modules registered one way (issue 27 item 7).

Every module of flows/cli/ but main.py and options.py holds one command, or one command
group, as a module-level typer `app` named like the file; main.py adds each app; options
shared by several commands are declared only in flows/cli/options.py. So every command can
be imported and run on its own, as these tests do.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import typer
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "flows" / "cli"
NOT_COMMANDS = {"__init__", "__main__", "main", "options"}
SHARED = {"--sources", "--output", "--only", "--json", "--pivot", "--runner", "--src", "--tgt"}


def _command_modules() -> list[str]:
    return sorted(p.stem for p in CLI.glob("*.py") if p.stem not in NOT_COMMANDS)


def test_each_module_is_one_command_or_group_named_like_its_file() -> None:
    from flows.cli import main

    registered = {id(info.typer_instance) for info in main.app.registered_groups}
    for name in _command_modules():
        module = importlib.import_module(f"flows.cli.{name}")
        app = getattr(module, "app", None)
        assert isinstance(app, typer.Typer), f"flows/cli/{name}.py has no module-level typer app"
        assert id(app) in registered, f"flows/cli/main.py does not add flows/cli/{name}.py's app"
        if app.info.name:  # a group: `newsbridge review ...`
            assert app.info.name == name
        else:
            assert [c.name for c in app.registered_commands] == [name], f"flows/cli/{name}.py"
    assert len(main.app.registered_groups) == len(_command_modules())


def test_no_command_is_defined_inside_a_function() -> None:
    for path in CLI.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for outer in ast.walk(tree):
            if isinstance(outer, ast.FunctionDef):
                inner = [n.name for n in ast.walk(outer) if isinstance(n, ast.FunctionDef) and n is not outer and n.decorator_list]
                assert not inner, f"{path.name}: {outer.name} defines decorated {inner}"


def _option_flags(path: Path) -> set[str]:
    """Flags declared in typer.Option(...) calls of a file."""
    flags: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "Option":
            flags |= {a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str) and a.value.startswith("-")}
    return flags


def test_shared_options_are_declared_once() -> None:
    assert SHARED <= _option_flags(CLI / "options.py")
    twice = {p.name: sorted(_option_flags(p) & SHARED) for p in CLI.glob("*.py") if p.name != "options.py"}
    assert {k: v for k, v in twice.items() if v} == {}


def test_a_command_runs_from_its_own_module() -> None:
    from flows.cli import detect, extract

    page = ROOT / "tests" / "fixtures" / "pages" / "vi_article.html"
    result = CliRunner().invoke(extract.app, [str(page), "--url", "https://example.vn/a.html"])
    assert result.exit_code == 0, result.output
    assert '"paragraphs"' in result.output
    result = CliRunner().invoke(detect.app, [], input="Hôm nay trời đẹp và chúng tôi đi học ở trường.\n".encode())
    assert result.exit_code == 0, result.output
    assert result.output.split("\t")[0] == "vi"


def test_left_out_paths_come_from_the_settings(monkeypatch, tmp_path) -> None:
    from flows.cli.options import output_dir, pivot_lang, sources_file
    from tasks.settings import get_settings

    monkeypatch.setenv("NEWSBRIDGE_OUTPUT_DIR", str(tmp_path / "out"))
    monkeypatch.setenv("NEWSBRIDGE_SOURCES_FILE", str(tmp_path / "s.yaml"))
    monkeypatch.setenv("NEWSBRIDGE_PIVOT", "vi")
    get_settings.cache_clear()
    try:
        assert (output_dir(None), sources_file(None), pivot_lang(None)) == (tmp_path / "out", tmp_path / "s.yaml", "vi")
        assert (output_dir(Path("o")), sources_file(Path("x.yaml")), pivot_lang("en")) == (Path("o"), Path("x.yaml"), "en")
    finally:
        get_settings.cache_clear()
