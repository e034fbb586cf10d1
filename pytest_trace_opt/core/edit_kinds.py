"""The kinds of small edit the edit search makes, in the order they are tried on one line,
shared by :mod:`.mutants` and the modules of edits it calls (``*_edits``)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

# Kinds of edit, in the order they are tried on one line: the commonest slips first (a
# variable for another after the operators and names, as there are more of them), then the
# fix patterns of program repair (a reversed walk, the other end of a list, swapped
# arguments, a negated condition, a clause dropped), and last a statement removed. Before all
# of them: a statement that computes a value and throws it away, which is the slip itself.
DISCARDED, COMPARISON, BOUND, CONSTANT, OPERATOR, NAME, VARIABLE, IDIOM, REMOVAL = range(9)
Found = Iterator[tuple[int, str, str | None]]  # kind, description, edited source (None: skip)


def is_int(node: ast.AST, value: int) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int and node.value == value


# Calls whose result is text, and calls whose result is a list or tuple
_TEXT_CALLS = frozenset(
    {"str", "repr", "format", "join", "lower", "upper", "casefold", "strip", "lstrip",
     "rstrip", "title", "capitalize", "replace"}
)  # fmt: skip
_LIST_CALLS = frozenset({"list", "tuple", "sorted"})


@dataclass(frozen=True)
class ValueKinds:
    """The names a function binds to text, and to text or a list (a sequence): ``+`` on a
    sequence joins in an order, ``in`` on text finds parts of words. The evidence is the
    value assigned: a literal, an f-string, a slice, a call that makes one."""

    texts: frozenset[str] = frozenset()
    sequences: frozenset[str] = frozenset()  # texts among them

    def is_text(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.texts
        if isinstance(node, ast.Constant):
            return isinstance(node.value, str)
        if isinstance(node, ast.Call):
            name = callee_name(node)
            # ``moment.replace(year=...)`` makes a date; ``str.replace`` takes no keywords
            return name in _TEXT_CALLS and not (name == "replace" and node.keywords)
        return isinstance(node, ast.JoinedStr)

    def is_sequence(self, node: ast.expr) -> bool:
        if self.is_text(node):
            return True
        if isinstance(node, ast.Name):
            return node.id in self.sequences
        if isinstance(node, ast.Constant):
            return isinstance(node.value, bytes)
        if isinstance(node, ast.Call):
            return callee_name(node) in _LIST_CALLS
        if isinstance(node, ast.Subscript):
            return isinstance(node.slice, ast.Slice)
        return isinstance(node, ast.List | ast.ListComp | ast.Tuple)


def value_kinds(tree: ast.AST) -> ValueKinds:
    """The kinds of the names ``tree`` assigns (one pass; a name is judged by each value
    it is given, the first such value enough)."""
    texts: set[str] = set()
    sequences: set[str] = set()
    judge = ValueKinds()  # values are judged alone, not through other names
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {t.id for t in targets if isinstance(t, ast.Name)}
            if judge.is_text(node.value):
                texts |= names  # and a sequence: is_sequence would judge it again
                sequences |= names
            elif judge.is_sequence(node.value):
                sequences |= names
    return ValueKinds(frozenset(texts), frozenset(sequences))


def callee_name(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
