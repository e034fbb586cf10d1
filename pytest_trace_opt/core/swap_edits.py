"""Two parts of a tuple written in each other's place: the names a tuple is unpacked into
(``month, day, year = text.split("/")`` for a day-first date, ``for value, index in
enumerate(xs)``), or the values a function returns together (``return high, low``). Each
pair swapped, as for the arguments of a call. Pure text edits for :mod:`.mutants`.
"""

from __future__ import annotations

import ast
from itertools import combinations

from pytest_trace_opt.core.edit_kinds import IDIOM, Found
from pytest_trace_opt.core.source_text import SourceText

MAX_PARTS = 4  # a longer tuple is a record, not a slip of order


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
