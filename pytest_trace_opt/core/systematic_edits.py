"""The same slip made on every line of its kind: a rule misread once is written wrongly in
each place that applies it. ``score > 90``, ``score > 80``, ``score > 70`` where the rule
says "90 and above": no edit of one line fixes the tests of the others, the edit of all of
them at once does. Pure text edits for :mod:`.mutants`.
"""

from __future__ import annotations

import ast

from pytest_trace_opt.core.edit_kinds import COMPARISON, Found
from pytest_trace_opt.core.source_text import SourceText, operator_change

# A bound inclusive where it should be exclusive, or the other way round.
_BOUNDARY_SWAPS: dict[type[ast.cmpop], tuple[str, str]] = {
    ast.Lt: ("<", "<="),
    ast.LtE: ("<=", "<"),
    ast.Gt: (">", ">="),
    ast.GtE: (">=", ">"),
}

Kin = tuple[str, type[ast.cmpop]]  # the compared operand (as ast.dump) and the operator


def comparison_kin(tree: ast.AST) -> dict[Kin, list[ast.Compare]]:
    """The one-operator comparisons of ``tree`` (the source of one trainable) of the same
    operand with the same bound operator, where there are two or more (``score > 90``,
    ``score > 80``)."""
    found: dict[Kin, list[ast.Compare]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare) or len(node.ops) != 1:
            continue
        if type(node.ops[0]) in _BOUNDARY_SWAPS:
            found.setdefault((ast.dump(node.left), type(node.ops[0])), []).append(node)
    return {kin: nodes for kin, nodes in found.items() if len(nodes) > 1}


def same_slip_edits(text: SourceText, node: ast.AST, kin: dict[Kin, list[ast.Compare]]) -> Found:
    """The bound of ``node`` made inclusive (or exclusive) in every comparison of its kin."""
    if not isinstance(node, ast.Compare) or len(node.ops) != 1:
        return
    siblings = kin.get((ast.dump(node.left), type(node.ops[0])))
    if not siblings or node not in siblings:
        return
    old, new = _BOUNDARY_SWAPS[type(node.ops[0])]
    changes = [
        operator_change(text, *text.between(n.left, n.comparators[0]), old, new) for n in siblings
    ]
    if None in changes:
        return  # a comment or a line continuation between the operands
    edited = text.replace_all(c for c in changes if c is not None)
    operand = text.text(*text.span(node.left))
    yield COMPARISON, f"`{old}` -> `{new}` in all {len(siblings)} `{operand} {old}`", edited
