"""Code that reaches past its inputs into the tests that judge it.

A candidate passes its tests honestly only by computing its result from its arguments. One
that reads the caller's frame (the test's ``expected`` is a local there), walks the garbage
collector to the test functions, rewrites their ``__code__``, imports pytest or the plugin,
or patches builtins can pass every test, holdouts included, with code that is wrong
everywhere else. The child's guards catch some of this at run time; this check refuses it
before anything runs, by what the code names, when the current code does not name it too
(so a function that already inspects frames, say for logging, stays fixable).

Pure and stdlib-only; reads the syntax tree, never runs the code. Obfuscated access can get
past any list like this one: it raises the bar, the sandbox and the signed channel are the
walls.
"""

from __future__ import annotations

import ast
import re

# Attributes that lead to frames, code objects, the collector, tracing or a hard exit.
_ATTRIBUTES = frozenset({
    "_getframe", "_current_frames", "currentframe", "getouterframes", "getinnerframes",
    "f_back", "f_locals", "f_globals", "f_code", "tb_frame", "gi_frame", "cr_frame",
    "__code__", "__globals__", "__closure__", "__builtins__", "get_objects", "get_referrers",
    "get_referents", "settrace", "setprofile", "addaudithook", "_exit", "extract_stack",
    "walk_stack", "format_stack", "print_stack",
})  # fmt: skip
# A text naming test files: a candidate that reads them can look its answers up there.
_TEST_FILE_TEXT = re.compile(r"(?:^|[/*\\])test_[\w*]*(?:\.py)?$|_test\.py$|conftest")
# ``module.attribute`` pairs whose attribute name alone is too common to refuse.
_QUALIFIED = frozenset({("sys", "modules"), ("inspect", "stack"), ("inspect", "trace")})
# Modules that code under test has no business importing to fix itself.
_MODULES = frozenset({
    "pytest", "_pytest", "pytest_trace_opt", "opto", "unittest", "gc", "ctypes", "builtins",
    "signal", "atexit", "faulthandler", "sitecustomize", "usercustomize",
})  # fmt: skip
# Built-in functions that run or import code given as text.
_CALLS = frozenset({"exec", "eval", "compile", "__import__", "breakpoint"})


def _module_root(name: str | None) -> str:
    return (name or "").split(".", 1)[0]


def markers(tree: ast.AST) -> set[str]:
    """What in ``tree`` reaches past the code's inputs, each said as the code says it."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {f"import {a.name}" for a in node.names if _module_root(a.name) in _MODULES}
        elif isinstance(node, ast.ImportFrom) and _module_root(node.module) in _MODULES:
            found.add(f"from {node.module} import ...")
        elif isinstance(node, ast.Attribute):
            owner = node.value.id if isinstance(node.value, ast.Name) else ""
            if node.attr in _ATTRIBUTES or (owner, node.attr) in _QUALIFIED:
                found.add(f"{owner}.{node.attr}" if owner else f".{node.attr}")
        elif isinstance(node, ast.Name) and node.id in _CALLS | {"__builtins__"}:
            found.add(f"{node.id}()" if node.id in _CALLS else node.id)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.strip()
            dotted_root = text.split(".", 1)[0] if "." in text and " " not in text else ""
            if text in _ATTRIBUTES or (text in _MODULES and text not in ("signal", "gc")):
                found.add(repr(text))  # getattr(sys, "_getframe"), import_module("pytest")
            elif dotted_root in _MODULES:  # import_module("pytest_trace_opt.child.recorder")
                found.add(repr(text[:40]))
            elif _TEST_FILE_TEXT.search(text):
                found.add(repr(text[:40]))  # glob("test_*.py"), open("tests/test_calc.py")
    return found


def reach_problem(candidate: ast.AST, current: ast.AST | None) -> str:
    """Why ``candidate`` may not be run ("" when it may): what it names that reaches into
    the tests and ``current`` does not name."""
    new = markers(candidate) - (markers(current) if current is not None else set())
    if not new:
        return ""
    shown = ", ".join(sorted(new)[:3])
    return (
        f"it reaches past its inputs into the tests or the interpreter ({shown}): compute "
        "the result from the arguments, never from the caller, pytest or the test files"
    )
