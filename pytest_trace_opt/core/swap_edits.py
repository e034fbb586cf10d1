"""Two things written in each other's place: the two arguments of a call, the operands of
an operator whose order counts (``end - start``, ``total / count``, and ``+`` joining text or
lists: ``result + digit`` for ``digit + result``), the names a tuple is unpacked into
(``month, day, year = text.split("/")`` for a day-first date, ``for value, index in
enumerate(xs)``), or the values a function returns together (``return high, low``). Pure text
edits for :mod:`.mutants`.
"""

from __future__ import annotations

import ast
from itertools import combinations

from pytest_trace_opt.core.argument_edits import OPTIONAL_LAST
from pytest_trace_opt.core.edit_kinds import IDIOM, Found, ValueKinds, callee_name
from pytest_trace_opt.core.source_text import SourceText

MAX_PARTS = 4  # a longer tuple is a record, not a slip of order
_ORDERED = {ast.Sub: "-", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**"}
# Builtins whose two arguments swapped give the same result, or only a TypeError: a run
# of the tests each, for nothing.
_ORDER_FREE = frozenset({"max", "min", "isinstance", "issubclass", "hasattr", "getattr"})


def operand_swap_edits(text: SourceText, node: ast.AST, kinds: ValueKinds) -> Found:
    """Swapped arguments of a two-argument call; swapped operands of ``-``, ``/``, ``//``,
    ``%``, ``**``, and of ``+`` where an operand is text or a list."""
    if isinstance(node, ast.Call):
        plain = not any(isinstance(a, ast.Starred) for a in node.args)
        name = callee_name(node)
        swappable = not (isinstance(node.func, ast.Name) and name in _ORDER_FREE)
        swappable = swappable and name not in OPTIONAL_LAST
        if len(node.args) == 2 and plain and not node.keywords and swappable:
            first, second = (text.text(*text.span(a)) for a in node.args)
            spans = [text.span(a) for a in node.args]
            edited = text.replace_all([(*spans[0], second), (*spans[1], first)])
            yield IDIOM, f"arguments `{first}` and `{second}` swapped", edited
    elif isinstance(node, ast.BinOp):
        symbol = _ORDERED.get(type(node.op))
        joined = (node.left, node.right)
        if isinstance(node.op, ast.Add) and any(kinds.is_sequence(n) for n in joined):
            symbol = "+"
        compound = ast.BinOp | ast.BoolOp | ast.Compare
        if symbol is None or any(isinstance(n, compound) for n in joined):
            return
        left, right = (text.text(*text.span(n)) for n in joined)
        if "\n" not in left + right and left != right:
            edited = text.replace(*text.span(node), f"{right} {symbol} {left}")
            yield IDIOM, f"`{left} {symbol} {right}` -> `{right} {symbol} {left}`", edited


def tuple_swap_edits(text: SourceText, node: ast.AST) -> Found:
    for parts in _swappable(node):
        shown = [text.text(*text.span(p)) for p in parts]
        if any("\n" in s for s in shown) or len(set(shown)) < len(shown):
            continue
        for i, j in combinations(range(len(parts)), 2):
            changes = [(*text.span(parts[i]), shown[j]), (*text.span(parts[j]), shown[i])]
            yield IDIOM, f"`{shown[i]}` and `{shown[j]}` swapped", text.replace_all(changes)


def _swappable(node: ast.AST) -> list[list[ast.expr]]:
    """The tuples of ``node`` whose parts may stand in each other's place."""
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, ast.For | ast.AsyncFor):
        targets = [node.target]
    elif isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
        targets = [g.target for g in node.generators]
    found = [
        list(t.elts)
        for t in targets
        if isinstance(t, ast.Tuple | ast.List)
        and 2 <= len(t.elts) <= MAX_PARTS
        and all(isinstance(e, ast.Name) for e in t.elts)
    ]
    if isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple):
        elts = node.value.elts
        if 2 <= len(elts) <= MAX_PARTS and not any(isinstance(e, ast.Starred) for e in elts):
            found.append(list(elts))
    return found
