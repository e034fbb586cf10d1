"""Which statement a line of Python source belongs to.

One answer for both sides: the controller (the statement a fill-in masks, the statement that
sets a value) and the evaluation children (the step a line of a call is). A compound
statement (``for``, ``if``, ``with``) owns its header only; its body's lines belong to the
statements inside. Pure and stdlib-only.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def own_lines(node: ast.stmt) -> tuple[int, int]:
    """The first and last line of ``node``'s own text: a compound statement's header only."""
    end = node.end_lineno or node.lineno
    body = getattr(node, "body", None)
    if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
        end = max(node.lineno, body[0].lineno - 1)
    return node.lineno, end


def statements(tree: ast.AST) -> Iterator[tuple[ast.stmt, int, int]]:
    """Every statement of ``tree`` with its own lines, outer statements before inner ones."""
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt):
            yield (node, *own_lines(node))


def innermost(tree: ast.AST, line: int) -> ast.stmt | None:
    """The innermost statement that owns ``line``; never a ``def`` or ``class`` line."""
    best: ast.stmt | None = None
    for node, start, end in statements(tree):
        if isinstance(node, DEFINITIONS) or not start <= line <= end:
            continue
        if best is None or start >= best.lineno:
            best = node
    return best


def starts(tree: ast.AST) -> dict[int, int]:
    """Each line's statement's first line (a call spread over lines is one statement)."""
    found: dict[int, int] = {}
    for node, start, end in statements(tree):
        for number in range(start, end + 1):
            found[number] = node.lineno  # outer statements come first: inner ones win
    return found
