"""Edits of what a statement does with a value: the wrong exception class raised or caught,
a result computed and thrown away (``n // 10`` for ``n //= 10``, ``name.strip()`` for
``name = name.strip()``: strings do not change in place). Pure text edits for :mod:`.mutants`.
"""

from __future__ import annotations

import ast

from pytest_trace_opt.core.source_text import DISCARDED, NAME, Found, SourceText

_EXCEPTIONS = ("ValueError", "TypeError", "KeyError", "IndexError", "LookupError", "RuntimeError")
# Methods and builtins that return a new value and leave their input as it was.
_RETURNS_NEW = frozenset(
    {"strip", "lstrip", "rstrip", "lower", "upper", "replace", "title", "capitalize",
     "casefold", "removeprefix", "removesuffix", "zfill", "ljust", "rjust", "center"}
)  # fmt: skip
_BUILTINS_RETURNING_NEW = frozenset({"sorted", "abs", "round", "int", "float", "str"})


def exception_edits(text: SourceText, node: ast.AST) -> Found:
    """The wrong exception class raised or caught: one of the common builtin ones for another."""
    if isinstance(node, ast.Raise):
        named = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    elif isinstance(node, ast.ExceptHandler):
        named = node.type
    else:
        return
    if isinstance(named, ast.Name) and named.id in _EXCEPTIONS:
        for other in _EXCEPTIONS:
            if other != named.id:
                edited = text.replace(*text.span(named), other)
                yield NAME, f"`{named.id}` -> `{other}`", edited


def discarded_result_edits(text: SourceText, node: ast.AST) -> Found:
    """A statement whose value is thrown away, kept: ``n // 10`` -> ``n //= 10``,
    ``s.strip()`` -> ``s = s.strip()``, ``sorted(xs)`` -> ``xs = sorted(xs)``."""
    if not isinstance(node, ast.Expr):
        return
    value = node.value
    shown = text.text(*text.span(node))
    if isinstance(value, ast.BinOp) and isinstance(value.left, ast.Name):
        operator = text.text(*text.between(value.left, value.right)).strip("() \t")
        new = f"{value.left.id} {operator}= {text.text(*text.span(value.right))}"
    elif (target := _changed_copy_of(value)) is not None:
        new = f"{target} = {shown}"
    else:
        return
    yield DISCARDED, f"`{shown}` -> `{new}`", text.replace(*text.span(node), new)


def _changed_copy_of(value: ast.expr) -> str | None:
    """The variable ``value`` (a call) makes a changed copy of, if it is one of those."""
    if not isinstance(value, ast.Call):
        return None
    func = value.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return func.value.id if func.attr in _RETURNS_NEW else None
    if isinstance(func, ast.Name) and func.id in _BUILTINS_RETURNING_NEW and value.args:
        first = value.args[0]
        return first.id if isinstance(first, ast.Name) else None
    return None
