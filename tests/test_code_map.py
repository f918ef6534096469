"""The code map a newcomer can trust: no import circles, tasks/ never imports flows/, no data kept as code.

Counted the way docs/architecture.md states the rule: every import counts, including
imports inside functions; string literals other than docstrings count towards the
5,000-character limit per file (data belongs in tasks/data/ or tasks/templates/).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STRING_LIMIT = 5000


def _modules() -> dict[str, Path]:
    mods = {}
    for folder in ("flows", "tasks"):
        for path in (ROOT / folder).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            mods[name] = path
    return mods


def import_graph(mods: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the modules of ours it imports (anywhere in the file)."""
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                deps |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                deps.add(node.module)
                deps |= {f"{node.module}.{alias.name}" for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level:
                deps.add("<relative import>")
        graph[name] = {d for d in deps if (d in mods or d == "<relative import>") and d != name}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in graph:
                    continue
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    component = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        component.append(w)
                        if w == v:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def string_chars(path: Path) -> int:
    """Characters of string literals in a file, docstrings aside."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return sum(
        len(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    )


def test_circle_finder_finds_a_circle() -> None:
    # control: the check can fail
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles_among_flows_and_tasks() -> None:
    assert circles(import_graph(_modules())) == []


def test_tasks_never_import_flows_and_no_relative_imports() -> None:
    graph = import_graph(_modules())
    upward = {name: sorted(d for d in deps if d.startswith("flows")) for name, deps in graph.items() if name.startswith("tasks")}
    assert {k: v for k, v in upward.items() if v} == {}
    assert [name for name, deps in graph.items() if "<relative import>" in deps] == []


def package_of(name: str, mods: dict[str, Path]) -> str:
    """The package a module belongs to: `tasks/` (its root modules), `tasks/<stage>/` (with any
    sub-package inside it), `flows/`, `flows/cli/`."""
    folder = mods[name].relative_to(ROOT).parent
    return "/".join(folder.parts[:2]) + "/"


def layer_table() -> dict[str, int]:
    """Package -> layer, read from the table under "The layering rule" in docs/architecture.md."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## The layering rule", 1)[1].split("\n## ", 1)[0]
    layers: dict[str, int] = {}
    for row in re.findall(r"^\| (\d+) \| (.+?) \|", section, flags=re.MULTILINE):
        for package in re.findall(r"`((?:tasks|flows)/(?:\w+/)?)`", row[1]):
            layers[package] = int(row[0])
    return layers


def test_every_package_has_a_layer() -> None:
    layers = layer_table()
    mods = _modules()
    packages = {package_of(name, mods) for name in mods}
    assert len(layers) >= 8, "the layer table in docs/architecture.md was not found"
    assert sorted(set(layers) - packages) == [], "docs/architecture.md lists packages that do not exist"
    assert sorted(packages - set(layers)) == [], "a new package needs a row in docs/architecture.md's layer table"


def upward_imports(graph: dict[str, set[str]], mods: dict[str, Path], layers: dict[str, int]) -> list[str]:
    """Imports from one package into another that is not in a lower layer."""
    found = []
    for name, deps in graph.items():
        here = package_of(name, mods)
        for dep in sorted(deps - {"<relative import>"}):
            there = package_of(dep, mods)
            if there != here and layers[there] >= layers[here]:
                found.append(f"{name} ({here}, layer {layers[here]}) imports {dep} ({there}, layer {layers[there]})")
    return found


def test_imports_go_down_the_package_layers() -> None:
    mods = _modules()
    assert upward_imports(import_graph(mods), mods, layer_table()) == []


def test_layer_check_finds_an_upward_import() -> None:
    # control: the check can fail, within a package anything goes (the circle check still holds)
    mods = {
        "tasks.models": ROOT / "tasks" / "models.py",
        "tasks.text.segment": ROOT / "tasks" / "text" / "segment.py",
        "tasks.text.detect": ROOT / "tasks" / "text" / "detect.py",
        "tasks.stream.stream": ROOT / "tasks" / "stream" / "stream.py",
    }
    layers = {"tasks/": 0, "tasks/text/": 1, "tasks/stream/": 2}
    graph = {
        "tasks.models": {"tasks.text.segment"},
        "tasks.text.segment": {"tasks.text.detect"},
        "tasks.text.detect": {"tasks.models"},
        "tasks.stream.stream": {"tasks.text.detect"},
    }
    assert upward_imports(graph, mods, layers) == ["tasks.models (tasks/, layer 0) imports tasks.text.segment (tasks/text/, layer 1)"]


def test_no_data_kept_as_code() -> None:
    heavy = {str(p.relative_to(ROOT)): n for p in _modules().values() if (n := string_chars(p)) > STRING_LIMIT}
    assert heavy == {}, f"move data into tasks/data/ or tasks/templates/: {heavy}"


def test_shipped_data_and_templates_are_package_data() -> None:
    import tomllib

    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    assert {"data/*", "templates/**/*"} <= set(package_data["tasks"])
    assert (ROOT / "tasks" / "data" / "vi_en_lexicon.txt").is_file()
    assert (ROOT / "tasks" / "templates" / "review_page" / "document.html").is_file()


def test_string_counter_skips_docstrings(tmp_path: Path) -> None:
    # control: the counter sees data strings and not docstrings
    source = tmp_path / "m.py"
    source.write_text('"""' + "d" * 6000 + '"""\nDATA = "' + "x" * 6000 + '"\n', encoding="utf-8")
    assert string_chars(source) == 6000


def test_tests_mirror_the_packages() -> None:
    """tests/<package>/ for each package of tasks/ (and flows/), plus the cross-cutting suites (tests/README.md)."""
    stages = {p.name for p in (ROOT / "tasks").iterdir() if (p / "__init__.py").is_file()}
    allowed = stages | {"flows", "e2e", "security", "soak", "fixtures", "schemas"}
    folders = {p.name for p in (ROOT / "tests").iterdir() if p.is_dir() and not p.name.startswith((".", "__"))}
    assert sorted(folders - allowed) == []
    names = [p.name for p in (ROOT / "tests").rglob("test_*.py")]
    assert sorted({n for n in names if names.count(n) > 1}) == []


MODULE_LINES, CLASS_LINES = 600, 250


def oversized(paths: dict[str, Path], root: Path = ROOT) -> list[str]:
    """Modules over 600 lines and classes over 250 (counted as tools/code_map.py counts them)."""
    big = []
    for path in paths.values():
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(root).as_posix()
        if text.count("\n") > MODULE_LINES:
            big.append(rel)
        big += [
            f"{rel}:{n.name}"
            for n in ast.walk(ast.parse(text))
            if isinstance(n, ast.ClassDef) and n.end_lineno - n.lineno + 1 > CLASS_LINES  # type: ignore[operator]
        ]
    return big


def size_exceptions() -> set[str]:
    """Modules (path) and classes (path:Class) docs/architecture.md lets be larger, with why."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## Size limits", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `((?:tasks|flows)/[\w/]+\.py(?::\w+)?)` \|", section, flags=re.MULTILINE))


def test_no_module_over_600_lines_and_no_class_over_250_unless_the_architecture_page_says_why() -> None:
    over = sorted(set(oversized(_modules())) - size_exceptions())
    assert over == [], f"split along a seam, or say why in docs/architecture.md's 'Size limits' table: {over}"


def test_size_check_finds_a_long_module_and_class(tmp_path: Path) -> None:
    # control: the check can fail
    fake = tmp_path / "big.py"
    fake.write_text("class A:\n" + "    x = 1\n" * 300 + "y = 2\n" * 400, encoding="utf-8")
    assert oversized({"big": fake}, tmp_path) == ["big.py", "big.py:A"]
    fake.write_text("class A:\n    x = 1\n", encoding="utf-8")
    assert oversized({"big": fake}, tmp_path) == []
