"""The same slip made on every line of its kind: a rule misread once is written wrongly in
each place that applies it. ``score > 90``, ``score > 80``, ``score > 70`` where the rule
says "90 and above": no edit of one line fixes the tests of the others, the edit of all of
them at once does. Pure text edits for :mod:`.mutants`.
"""

from __future__ import annotations

import ast

from pytest_trace_opt.core.edit_kinds import COMPARISON, Found
from pytest_trace_opt.core.source_text import SourceText, swap_in_gap

# A bound inclusive where it should be exclusive, or the other way round.
_BOUNDARY_SWAPS: dict[type[ast.cmpop], tuple[str, str]] = {
    ast.Lt: ("<", "<="),
    ast.LtE: ("<=", "<"),
    ast.Gt: (">", ">="),
    ast.GtE: (">=", ">"),
}

Kin = tuple[str, type[ast.cmpop]]  # the compared operand (as ast.dump) and the operator


def comparison_kin(tree: ast.AST) -> dict[Kin, list[ast.Compare]]:
    """Per function, its one-operator comparisons of the same operand with the same
    bound operator, where there are two or more (``score > 90``, ``score > 80``)."""
    found: dict[Kin, list[ast.Compare]] = {}
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        mine: dict[Kin, list[ast.Compare]] = {}
        for node in ast.walk(func):
            if (
                isinstance(node, ast.Compare)
                and len(node.ops) == 1
                and type(node.ops[0]) in _BOUNDARY_SWAPS
            ):
                kin = (ast.dump(node.left), type(node.ops[0]))
                if kin not in found:  # a nested function's comparisons stay its own
                    mine.setdefault(kin, []).append(node)
        found.update({kin: nodes for kin, nodes in mine.items() if len(nodes) > 1})
    return found


def same_slip_edits(text: SourceText, node: ast.AST, kin: dict[Kin, list[ast.Compare]]) -> Found:
    """The bound of ``node`` made inclusive (or exclusive) in every comparison of its kin."""
    if not isinstance(node, ast.Compare) or len(node.ops) != 1:
        return
    siblings = kin.get((ast.dump(node.left), type(node.ops[0])))
    if not siblings or node not in siblings:
        return
    old, new = _BOUNDARY_SWAPS[type(node.ops[0])]
    edited = text.source
    for sibling in sorted(siblings, key=lambda n: text.span(n)[0], reverse=True):
        current = SourceText(edited)  # offsets before this one are unchanged
        gap = current.between(sibling.left, sibling.comparators[0])
        swapped = swap_in_gap(current, *gap, old, new)
        if swapped is None:
            return  # a comment or a line continuation between the operands
        edited = swapped
    operand = text.text(*text.span(node.left))
    yield COMPARISON, f"`{old}` -> `{new}` in all {len(siblings)} `{operand} {old}`", edited
