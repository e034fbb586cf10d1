"""An empty input the function never expected: ``sum(xs) / len(xs)`` divides by zero,
``xs[0]`` has no item, ``max(xs)`` has no argument. The fix adds the missing guard on
entry, ``if not xs: return <value>``, with the value the function's own returns suggest
(``[]`` where it returns lists, ``""`` where text, else ``0`` and ``None``).
Pure text edits for :mod:`.mutants`.
"""

from __future__ import annotations

import ast

from pytest_trace_opt.core.edit_kinds import IDIOM, Found, callee_name
from pytest_trace_opt.core.source_text import SourceText
from pytest_trace_opt.core.statement_edits import Entry, on_entry

_EMPTY_FAILS = {"max", "min", "mean", "median", "mode", "fmean"}  # raise on no items


def guard_edits(text: SourceText, node: ast.AST, entry: Entry | None, returns: list[str]) -> Found:
    """For a read of a parameter that fails on an empty one: a guard on entry."""
    if entry is None:
        return
    name = _empty_failing_read(node)
    if name is None or name not in entry.parameters:
        return
    for value in returns:
        guard = on_entry(text, entry, f"if not {name}:", f"    return {value}")
        yield IDIOM, f"`if not {name}: return {value}` added on entry", text.replace(*guard)


def empty_returns(tree: ast.AST) -> list[str]:
    """What a guard may return, from the kinds of value the function returns."""
    kinds: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Return) and node.value is not None:
            value = node.value
            if isinstance(value, ast.List | ast.ListComp) or _calls(value, "sorted", "list"):
                kinds.append("[]")
            elif isinstance(value, ast.Dict | ast.DictComp):
                kinds.append("{}")
            elif isinstance(value, ast.JoinedStr) or (
                isinstance(value, ast.Constant) and isinstance(value.value, str)
            ):
                kinds.append('""')
    return list(dict.fromkeys([*kinds, "0", "None"]))


def _calls(node: ast.AST, *names: str) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names


def _empty_failing_read(node: ast.AST) -> str | None:
    """The parameter ``node`` reads in a way an empty one fails: ``/ len(xs)``, ``xs[0]``,
    ``xs[-1]``, ``max(xs)``."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div | ast.FloorDiv | ast.Mod):
        divisor = node.right
        if _calls(divisor, "len") and isinstance(divisor, ast.Call) and divisor.args:
            first = divisor.args[0]
            return first.id if isinstance(first, ast.Name) else None
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        index = node.slice
        last = isinstance(index, ast.UnaryOp) and isinstance(index.op, ast.USub)
        number = index.operand if isinstance(index, ast.UnaryOp) else index
        wanted = 1 if last else 0  # ``xs[0]``, ``xs[-1]``
        if isinstance(number, ast.Constant) and number.value == wanted and number.value is not True:
            return node.value.id
    if isinstance(node, ast.Call) and callee_name(node) in _EMPTY_FAILS and not node.keywords:
        only = node.args[0] if len(node.args) == 1 else None
        return only.id if isinstance(only, ast.Name) else None
    return None
