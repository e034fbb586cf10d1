"""A running minimum or maximum started from the wrong value: ``best = 0`` before
``if x > best: best = x`` fails for negative numbers, ``dp = [0] * n`` before
``dp[i] = min(dp[i], ...)`` never rises above 0. Where a variable set to a number is kept
as a running minimum or maximum, its start is tried as ``float("inf")`` and
``float("-inf")``. Pure text edits for :mod:`.mutants`.
"""

from __future__ import annotations

import ast

from pytest_trace_opt.core.edit_kinds import CONSTANT, Found
from pytest_trace_opt.core.source_text import SourceText

_ORDER = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_STARTS = ('float("inf")', 'float("-inf")')


def extreme_starts(tree: ast.AST) -> dict[int, str]:
    """``id`` of each number a running minimum or maximum starts from (``best = 0``,
    ``dp = [0] * n``) -> the variable."""
    compared = _running_extremes(tree)
    found: dict[int, str] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            continue
        target = node.targets[0]
        if not (isinstance(target, ast.Name) and target.id in compared):
            continue
        value = node.value
        if (
            isinstance(value, ast.BinOp)
            and isinstance(value.op, ast.Mult)
            and isinstance(value.left, ast.List)
            and len(value.left.elts) == 1
        ):
            value = value.left.elts[0]
        if _is_number(value):
            found[id(value)] = target.id
    return found


def extreme_edits(text: SourceText, node: ast.AST, starts: dict[int, str]) -> Found:
    if id(node) not in starts:
        return
    shown = text.text(*text.span(node))
    for start in _STARTS:
        yield CONSTANT, f"`{shown}` -> `{start}`", text.replace(*text.span(node), start)


def _is_number(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    value = node.value if isinstance(node, ast.Constant) else None
    return isinstance(value, int | float) and not isinstance(value, bool) and abs(value) < 1e300


def _base(node: ast.AST) -> str | None:
    """``best`` for ``best``, ``best[i]``, ``best[i][j]``."""
    while isinstance(node, ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _running_extremes(tree: ast.AST) -> set[str]:
    """Variables kept as a running minimum or maximum: set to ``min``/``max`` of themselves
    and more (``best = max(best, x)``), or set under a comparison of themselves by order
    (``if x > best: best = x``)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            value, name = node.value, _base(node.targets[0])
            if (
                name is not None
                and isinstance(value, ast.Call)
                and isinstance(value.func, ast.Name)
                and value.func.id in ("min", "max")
                and name in {_base(a) for a in value.args}
            ):
                names.add(name)
        elif isinstance(node, ast.If) and isinstance(node.test, ast.Compare):
            test = node.test
            if not any(isinstance(op, _ORDER) for op in test.ops):
                continue
            compared = {_base(o) for o in [test.left, *test.comparators]}
            for statement in node.body:
                if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                    name = _base(statement.targets[0])
                    if name is not None and name in compared:
                        names.add(name)
    return names
