"""The layout's rules, read from the source: what each leaf package may import, and sizes."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pytest_trace_opt"
LEAVES = ("patch", "plan", "replies", "reports")
CONTROLLER_SIDE = ("controller", "optimize", "engine", "evaluate", "child", "runtime", "plugin")
# What a leaf may import of the package besides itself: results, the protocol, shared settings.
SHARED = ("model", "protocol", "settings")
ALLOWED = {
    "patch": {"patch", "model", "protocol"},
    "replies": {"replies"},
    "plan": {"plan", "patch", *SHARED},
    "reports": {"reports", "patch", *SHARED},
}


def modules(*packages: str) -> list[Path]:
    return sorted(p for name in packages for p in (PACKAGE / name).rglob("*.py"))


def imports(path: Path) -> list[tuple[ast.stmt, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[ast.stmt, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found.append((node, node.module or ""))
    return found


@pytest.mark.parametrize("path", modules(*LEAVES), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_leaves_import_nothing_from_the_controller_side(path: Path) -> None:
    package = path.relative_to(PACKAGE).parts[0]
    for _, name in imports(path):
        parts = name.split(".")
        if parts[0] != "pytest_trace_opt":
            continue
        inner = parts[1] if len(parts) > 1 else ""
        assert inner not in CONTROLLER_SIDE, name
        assert inner in ALLOWED[package], name


@pytest.mark.parametrize(
    "path", modules("patch", "replies"), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_patch_and_replies_use_only_the_standard_library(path: Path) -> None:
    top_level = set(ast.parse(path.read_text(encoding="utf-8")).body)
    for node, name in imports(path):
        root = name.split(".")[0]
        if root == "black":
            assert node not in top_level, "black must be imported lazily"
        else:
            assert root in sys.stdlib_module_names or root in ("__future__", "pytest_trace_opt"), (
                name
            )


@pytest.mark.parametrize(
    "path", modules(*LEAVES, "modes"), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_modules_and_functions_stay_small(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count("\n") <= 500
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            assert (node.end_lineno or node.lineno) - node.lineno < 80, node.name


@pytest.mark.parametrize("package", [*LEAVES, "modes"])
def test_each_package_names_its_public_surface(package: str) -> None:
    import importlib

    module = importlib.import_module(f"pytest_trace_opt.{package}")
    exported = getattr(module, "__all__", [])
    assert sorted(exported) == sorted(set(exported))
    for name in exported:
        assert hasattr(module, name), name
