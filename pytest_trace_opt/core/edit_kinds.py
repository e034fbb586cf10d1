"""The kinds of small edit the edit search makes, in the order they are tried on one line,
shared by :mod:`.mutants` and the modules of edits it calls (``*_edits``)."""

from __future__ import annotations

import ast
from collections.abc import Iterator

# Kinds of edit, in the order they are tried on one line: the commonest slips first (a
# variable for another after the operators and names, as there are more of them), then the
# fix patterns of program repair (a reversed walk, the other end of a list, swapped
# arguments, a negated condition, a clause dropped), and last a statement removed. Before all
# of them: a statement that computes a value and throws it away, which is the slip itself.
DISCARDED, COMPARISON, BOUND, CONSTANT, OPERATOR, NAME, VARIABLE, IDIOM, REMOVAL = range(9)
Found = Iterator[tuple[int, str, str | None]]  # kind, description, edited source (None: skip)


def is_int(node: ast.AST, value: int) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int and node.value == value
