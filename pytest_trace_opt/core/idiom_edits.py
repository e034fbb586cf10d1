"""Python's own traps, each with the fix its idiom writes:

- a value tested for truth where ``0`` or ``""`` is a value, not a missing one:
  ``if limit:`` -> ``if limit is not None:``, ``size or 10`` -> ``size if size is not
  None else 10``;
- ``==`` against a tuple, list or set of choices: ``x == ("a", "b")`` -> ``x in (...)``;
- text split at one space where any run of whitespace separates: ``split(" ")`` ->
  ``split()``;
- the ``None`` that ``xs.sort()`` returns used as the sorted list: ``sorted(xs)``;
- a dictionary walked as its pairs: ``for key, value in counts:`` -> ``counts.items()``;
- the ``None`` of ``counts.get(key)`` used as a number: ``counts.get(key, 0)``;
- ``round(x)``, which rounds halves to even (``round(2.5) == 2``), where halves go up:
  ``math.floor(x + 0.5)``, with ``import math`` above the function for the patch to add;
- ``in`` on text where a word of it is meant: ``"charge" in text`` is true for
  "Recharge" too; ``in text.split()`` asks for the word.

Pure text edits for :mod:`.mutants`.
"""

from __future__ import annotations

import ast

from pytest_trace_opt.core.edit_kinds import IDIOM, Found, ValueKinds
from pytest_trace_opt.core.source_text import SourceText

_PLAIN = (ast.Name, ast.Attribute, ast.Subscript)


def idiom_edits(text: SourceText, node: ast.AST, kinds: ValueKinds) -> Found:
    """``kinds``: what the function binds its names to (see :func:`.value_kinds`)."""
    yield from _word_edits(text, node, kinds)
    yield from _truth_edits(text, node)
    yield from _choice_edits(text, node)
    yield from _split_edits(text, node)
    yield from _sorted_edits(text, node)
    yield from _pairs_edits(text, node)
    yield from _half_up_edits(text, node)
    yield from _get_default_edits(text, node)


def _truth_edits(text: SourceText, node: ast.AST) -> Found:
    # not ``while queue:``: ``while queue is not None:`` would only end at the time limit
    if isinstance(node, ast.If | ast.IfExp):
        test = node.test
        if isinstance(test, _PLAIN):
            shown = text.text(*text.span(test))
            new = f"{shown} is not None"
            yield IDIOM, f"`{shown}` -> `{new}`", text.replace(*text.span(test), new)
        elif (
            isinstance(test, ast.UnaryOp)
            and isinstance(test.op, ast.Not)
            and isinstance(test.operand, _PLAIN)
        ):
            shown = text.text(*text.span(test.operand))
            new = f"{shown} is None"
            yield IDIOM, f"`not {shown}` -> `{new}`", text.replace(*text.span(test), new)
    elif isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or) and len(node.values) == 2:
        value, default = node.values
        if isinstance(value, _PLAIN):
            shown, fallback = (text.text(*text.span(n)) for n in (value, default))
            if "\n" not in fallback:
                new = f"{shown} if {shown} is not None else {fallback}"
                yield IDIOM, f"`{shown} or ...` -> `{new}`", text.replace(*text.span(node), new)


def _choice_edits(text: SourceText, node: ast.AST) -> Found:
    if not (isinstance(node, ast.Compare) and len(node.ops) == 1):
        return
    op, right = node.ops[0], node.comparators[0]
    if isinstance(op, ast.Eq | ast.NotEq) and isinstance(right, ast.Tuple | ast.List | ast.Set):
        old, new = ("==", "in") if isinstance(op, ast.Eq) else ("!=", "not in")
        start, end = text.between(node.left, right)
        gap = text.text(start, end)
        if gap.strip() == old:
            edited = text.replace(start, end, gap.replace(old, new, 1))
            yield IDIOM, f"`{old}` -> `{new}` (one of the choices)", edited


def _split_edits(text: SourceText, node: ast.AST) -> Found:
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("split", "strip")
        and len(node.args) == 1
        and not node.keywords
        and isinstance(node.args[0], ast.Constant)
        and node.args[0].value == " "
    ):
        start = text.span(node.func)[1]
        end = text.span(node)[1]
        name = node.func.attr
        yield IDIOM, f'`{name}(" ")` -> `{name}()`', text.replace(start, end, "()")


def _sorted_edits(text: SourceText, node: ast.AST) -> Found:
    """``ys = xs.sort()`` or ``return xs.sort()``: the result is ``None``."""
    value = node.value if isinstance(node, ast.Assign | ast.Return) else None
    if not (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr in ("sort", "reverse")
        and not value.args
    ):
        return
    owner = text.text(*text.span(value.func.value))
    words = [text.text(*text.span(k)) for k in value.keywords]
    if value.func.attr == "sort":
        new = f"sorted({', '.join([owner, *words])})"
    elif not words:
        new = f"list(reversed({owner}))"
    else:
        return
    old = text.text(*text.span(value))
    yield IDIOM, f"`{old}` -> `{new}`", text.replace(*text.span(value), new)


def _pairs_edits(text: SourceText, node: ast.AST) -> Found:
    loops: list[tuple[ast.expr, ast.expr]] = []
    if isinstance(node, ast.For | ast.AsyncFor):
        loops = [(node.target, node.iter)]
    elif isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
        loops = [(g.target, g.iter) for g in node.generators]
    for target, iterable in loops:
        if (
            isinstance(target, ast.Tuple)
            and len(target.elts) == 2
            and isinstance(iterable, ast.Name | ast.Attribute)
        ):
            shown = text.text(*text.span(iterable))
            new = f"{shown}.items()"
            yield IDIOM, f"`{shown}` -> `{new}`", text.replace(*text.span(iterable), new)


def _half_up_edits(text: SourceText, node: ast.AST) -> Found:
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "round"
        and len(node.args) == 1
        and not node.keywords
    ):
        return
    inner = text.text(*text.span(node.args[0]))
    if "\n" in inner:
        return
    new = f"math.floor({inner} + 0.5)"
    edited = "import math\n\n\n" + text.replace(*text.span(node), new)
    yield IDIOM, f"`round({inner})` -> `{new}` (halves up)", edited


def _get_default_edits(text: SourceText, node: ast.AST) -> Found:
    """``counts.get(key) + 1`` -> ``counts.get(key, 0) + 1`` (also ``+=``, ``<``)."""
    operands: list[ast.expr] = []
    if isinstance(node, ast.BinOp):
        operands = [node.left, node.right]
    elif isinstance(node, ast.AugAssign):
        operands = [node.value]
    elif isinstance(node, ast.Compare) and any(
        isinstance(op, ast.Lt | ast.LtE | ast.Gt | ast.GtE) for op in node.ops
    ):
        operands = [node.left, *node.comparators]
    for operand in operands:
        if (
            isinstance(operand, ast.Call)
            and isinstance(operand.func, ast.Attribute)
            and operand.func.attr == "get"
            and len(operand.args) == 1
            and not operand.keywords
        ):
            end = text.span(operand)[1]
            shown = text.text(*text.span(operand))
            new = shown[:-1] + ", 0)"
            if shown.endswith(")"):
                yield IDIOM, f"`{shown}` -> `{new}`", text.replace(end - 1, end, ", 0)")


def _word_edits(text: SourceText, node: ast.AST, kinds: ValueKinds) -> Found:
    """``part in words`` where ``words`` is text: ``in words.split()``, a whole word."""
    if not (isinstance(node, ast.Compare) and len(node.ops) == 1):
        return
    right = node.comparators[0]
    if isinstance(node.ops[0], ast.In | ast.NotIn) and kinds.is_text(right):
        if isinstance(right, ast.Constant):
            return  # ``x in "abc"``: a set of characters written as text
        shown = text.text(*text.span(right))
        if not isinstance(right, _PLAIN + (ast.Call,)):
            shown = f"({shown})"
        edited = text.replace(*text.span(right), f"{shown}.split()")
        yield IDIOM, f"`{shown}` -> `{shown}.split()`: a whole word of it", edited
