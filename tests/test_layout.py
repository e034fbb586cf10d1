"""The package's shape: no import cycle, dependencies pointing one way (docs/design.md).

Read from the source with ``ast`` (lazy imports inside functions count; imports under
``if TYPE_CHECKING:`` do not, they never run).
"""

from __future__ import annotations

import ast
import functools
import importlib
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pytest_trace_opt"

# What each part may import from the package (itself always allowed). A part is the first
# component under the package: a subpackage, or a top-level module's name.
ALLOWED: dict[str, set[str]] = {
    "protocol": set(),
    "text": set(),
    "statements": set(),
    "secrets": set(),
    "model": {"protocol"},
    "feedback": set(),
    "local": set(),
    "llm": {"local", "text", "secrets"},
    "settings": {"protocol", "llm"},
    "decorator": {"protocol", "child"},
    "child": {"protocol", "model", "text", "feedback", "statements"},
    "replies": set(),
    "patch": {"model", "protocol"},
    "plan": {"model", "protocol", "settings", "patch"},
    "reports": {"model", "protocol", "settings", "patch", "secrets"},
    "core": {"model", "protocol", "text", "statements", "llm", "replies", "patch", "secrets"},
    "modes": {
        "core",
        "model",
        "protocol",
        "settings",
        "llm",
        "plan",
        "reports",
        "patch",
        "text",
        "secrets",
    },  # fmt: skip
    "hookspecs": {"model", "settings"},
    "plugin": {"hookspecs", "protocol", "feedback", "settings", "secrets", "child", "modes"},
    "__init__": {"decorator"},
}
PYTEST_FREE = (
    "protocol",
    "model",
    "text",
    "statements",
    "secrets",
    "core",
    "llm",
    "replies",
    "patch",
    "plan",
    "reports",
)
STDLIB_ONLY = ("protocol", "text", "statements", "replies", "patch", "secrets")
PACKAGES = ("child", "core", "llm", "modes", "patch", "plan", "replies", "reports")
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _runtime_imports(path: Path) -> set[str]:
    """Absolute names of the modules a file imports at run time."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    package = _module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            # "from pkg import sub" may name a submodule
            found |= {f"{module}.{alias.name}" for alias in node.names}
    return found


@functools.cache
def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        # every submodule import runs the package's __init__: not an edge of its own
        imports = _runtime_imports(path) - {"pytest_trace_opt"}
        graph[name] = {m for m in imports if m in files and m != name}
    return graph


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_part_of_the_package_has_a_rule() -> None:
    assert {_part(m) for m in _graph()} <= set(ALLOWED)


def test_no_import_cycle() -> None:
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    # a package importing its own submodules (and they it) is not a layering cycle
    real = [c for c in cycles if not all(_part(m) == _part(c[0]) for m in c)]
    assert real == []


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_dependencies_point_one_way(part: str) -> None:
    wrong = sorted(
        f"{module} -> {target}"
        for module, targets in _graph().items()
        if _part(module) == part
        for target in targets
        if _part(target) != part and _part(target) not in ALLOWED[part]
    )
    assert wrong == []


def test_child_imports_nothing_from_the_controller_side() -> None:
    controller_side = {"core", "modes", "llm", "plugin", "settings", "plan", "reports", "patch"}
    wrong = sorted(
        f"{module} -> {target}"
        for module, targets in _graph().items()
        if _part(module) == "child"
        for target in targets
        if _part(target) in controller_side
    )
    assert wrong == []


@pytest.mark.parametrize("part", PYTEST_FREE)
def test_engines_do_not_import_pytest(part: str) -> None:
    files = [p for p in PACKAGE.rglob("*.py") if _part(_module_name(p)) == part]
    assert files
    wrong = [
        _module_name(p)
        for p in files
        if {"pytest", "_pytest"} & {m.split(".")[0] for m in _runtime_imports(p)}
    ]
    assert wrong == []


@pytest.mark.parametrize("part", STDLIB_ONLY)
def test_pure_parts_use_only_the_standard_library(part: str) -> None:
    files = [p for p in PACKAGE.rglob("*.py") if _part(_module_name(p)) == part]
    wrong = []
    for path in files:
        top_level = set(ast.parse(path.read_text(encoding="utf-8")).body)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            for name in names:
                root = name.split(".")[0]
                if root == "black":  # optional formatting, imported lazily
                    ok = not any(node is n for n in top_level)
                else:
                    ok = root in sys.stdlib_module_names or root in ("__future__", PACKAGE.name)
                if not ok:
                    wrong.append(f"{_module_name(path)}: {name}")
    assert wrong == []


def test_modules_and_functions_stay_small() -> None:
    too_long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > MAX_MODULE_LINES:
            too_long.append(f"{_module_name(path)}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{_module_name(path)}.{node.name}: {length} lines")
    assert too_long == []


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_names_its_public_surface(package: str) -> None:
    module = importlib.import_module(f"pytest_trace_opt.{package}")
    exported = getattr(module, "__all__", None)
    if exported is None:  # a package of modules, each imported by its full name
        return
    assert sorted(exported) == sorted(set(exported))
    for name in exported:
        assert getattr(module, name, None) is not None, name
