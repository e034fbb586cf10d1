"""A call with one argument too many, a sign or a conversion too many: ``round(x, 2)`` where
the rule wants whole numbers, ``enumerate(xs, 1)`` where indexes count from 0,
``sorted(xs, key=len)`` where the natural order was meant, ``-delta`` for ``delta``,
``name.lower()`` where the case counts ("same function, fewer arguments" and "changed unary
operator" in studies of real one-line fixes). Pure text edits for :mod:`.mutants`.
"""

from __future__ import annotations

import ast

from pytest_trace_opt.core.edit_kinds import IDIOM, OPERATOR, Found
from pytest_trace_opt.core.source_text import SourceText

# Calls whose last positional argument is optional (a precision, a start, a base, a count,
# a default): dropping it is a call of the same function the rule may have meant, and
# swapping it with the first is not (an option of the first argument, not its peer).
OPTIONAL_LAST = frozenset(
    {
        "round", "int", "enumerate", "sum", "split", "rsplit", "strip", "lstrip", "rstrip",
        "get", "pop", "startswith", "endswith", "find", "rfind", "index", "count", "getattr",
        "next", "iter", "min", "max", "sorted", "encode", "decode",
    }
)  # fmt: skip
_ARITY_OF = {"getattr": 3, "min": 3, "max": 3}  # fewer is not optional for these
MAX_KEYWORDS_DROPPED = 2
# Transformations of text that a rule may not want: their result dropped for their receiver.
_TEXT_TRANSFORMS = frozenset(
    {"lower", "upper", "strip", "lstrip", "rstrip", "title", "capitalize", "casefold"}
)
_ATOMS = (ast.Name, ast.Attribute, ast.Subscript, ast.Call, ast.Constant)


def fewer_argument_edits(text: SourceText, node: ast.AST) -> Found:
    """The last positional argument of a call that has an optional one dropped, and each
    keyword argument dropped (at most two)."""
    if not isinstance(node, ast.Call) or any(isinstance(a, ast.Starred) for a in node.args):
        return
    name = _callee(node)
    parts: list[ast.AST] = sorted([*node.args, *node.keywords], key=lambda n: text.span(n)[0])
    shown = text.text(*text.span(node))
    if "\n" in shown:
        return
    droppable: list[ast.AST] = []
    if name in OPTIONAL_LAST and len(node.args) >= max(2, _ARITY_OF.get(name, 2)):
        droppable.append(node.args[-1])
    droppable += [k for k in node.keywords if k.arg is not None][:MAX_KEYWORDS_DROPPED]
    for part in droppable:
        index = parts.index(part)
        if index == 0:
            continue  # the first argument: a call with none is another function
        start, end = text.span(parts[index - 1])[1], text.span(part)[1]
        dropped = text.text(*text.span(part))
        yield IDIOM, f"argument `{dropped}` of `{name}(...)` dropped", text.replace(start, end, "")


def unary_minus_edits(text: SourceText, node: ast.AST) -> Found:
    """``-x`` -> ``x``: a sign the rule does not want."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        operand = text.text(*text.span(node.operand))
        if isinstance(node.operand, ast.Constant) or "\n" in operand:
            return  # a negative number is the constant edits' (one off, a factor of ten)
        if not isinstance(node.operand, _ATOMS):
            operand = f"({operand})"
        yield OPERATOR, f"`-` dropped before `{operand}`", text.replace(*text.span(node), operand)


def dropped_transform_edits(text: SourceText, node: ast.AST) -> Found:
    """``s.lower()`` -> ``s``: text changed where the rule wants it as it came."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in _TEXT_TRANSFORMS
        and not node.args
        and not node.keywords
    ):
        receiver = text.text(*text.span(node.func.value))
        if not isinstance(node.func.value, _ATOMS):
            receiver = f"({receiver})"
        if "\n" not in receiver:
            edited = text.replace(*text.span(node), receiver)
            yield IDIOM, f"`.{node.func.attr}()` dropped from `{receiver}`", edited


def _callee(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""
