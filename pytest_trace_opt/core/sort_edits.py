"""Things done in the wrong order: a walk or a sort in the other direction
(``reversed(xs)``, ``sorted(..., reverse=True)``), the other end of a list (``insert(0, v)``
for ``append(v)``, ``pop()`` for ``pop(0)``), and sort keys with parts in two directions:
"most points first, ties alphabetically" written as ``sorted(teams, key=lambda t: (t.points,
t.name), reverse=True)`` sorts the names backwards too; that fix negates one part of the
tuple key and turns ``reverse`` the other way. Pure text edits for :mod:`.mutants`.
"""

from __future__ import annotations

import ast

from pytest_trace_opt.core.edit_kinds import IDIOM, Found, is_int
from pytest_trace_opt.core.source_text import Change, SourceText

MAX_KEY_PARTS = 4  # a longer key is rare, and each part costs two edits


def mixed_order_edits(text: SourceText, node: ast.AST) -> Found:
    """Each part of a tuple sort key negated in turn (``-t.points``), with ``reverse``
    turned the other way, then as it was."""
    if not isinstance(node, ast.Call) or not _sorts(node):
        return
    key = next((k for k in node.keywords if k.arg == "key"), None)
    if key is None or not isinstance(key.value, ast.Lambda):
        return
    parts = key.value.body
    if not isinstance(parts, ast.Tuple) or not 2 <= len(parts.elts) <= MAX_KEY_PARTS:
        return
    reverse = next((k for k in node.keywords if k.arg == "reverse"), None)
    for flip in (True, False):
        for part in parts.elts:
            if isinstance(part, ast.Constant):
                continue
            shown = text.text(*text.span(part))
            if isinstance(part, ast.UnaryOp) and isinstance(part.op, ast.USub):
                negated = text.text(*text.span(part.operand))
            elif isinstance(part, ast.Name | ast.Attribute | ast.Subscript | ast.Call):
                negated = f"-{shown}"
            else:
                negated = f"-({shown})"
            changes = [(*text.span(part), negated)]
            if flip:
                changes.append(_flipped(text, node, reverse))
            edited = text.replace_all(changes)
            turned = ", `reverse` turned" if flip else ""
            yield IDIOM, f"`{shown}` -> `{negated}` in the sort key{turned}", edited


def _sorts(node: ast.Call) -> bool:
    func = node.func
    return (isinstance(func, ast.Name) and func.id == "sorted") or (
        isinstance(func, ast.Attribute) and func.attr == "sort"
    )


def _flipped(text: SourceText, node: ast.Call, reverse: ast.keyword | None) -> Change:
    """The replacement that turns the call's ``reverse`` the other way."""
    if reverse is None:
        end = text.span(node)[1]
        return end - 1, end, ", reverse=True)"
    value = reverse.value
    if isinstance(value, ast.Constant) and value.value is True:  # dropped: False is the default
        before = [
            a for a in [*node.args, *node.keywords] if text.span(a)[1] <= text.span(reverse)[0]
        ]
        if before:
            return (
                text.span(max(before, key=lambda a: text.span(a)[1]))[1],
                text.span(reverse)[1],
                "",
            )
    if isinstance(value, ast.Constant) and isinstance(value.value, bool):
        return (*text.span(value), str(not value.value))
    return (*text.span(value), f"not ({text.text(*text.span(value))})")


def _method_call(node: ast.AST, name: str, arity: int) -> ast.Call | None:
    """``node`` as ``x.name(...)`` with ``arity`` plain positional arguments, or None."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None
    plain = not node.keywords and not any(isinstance(a, ast.Starred) for a in node.args)
    return node if node.func.attr == name and len(node.args) == arity and plain else None


def _list_end_edits(text: SourceText, node: ast.Call) -> Found:
    """The other end of a list: ``insert(0, v)`` <-> ``append(v)``, ``pop()`` <-> ``pop(0)``."""
    start, end = text.span(node)
    owner = text.text(*text.span(node.func.value)) if isinstance(node.func, ast.Attribute) else ""
    if (call := _method_call(node, "insert", 2)) and is_int(call.args[0], 0):
        value = text.text(*text.span(call.args[1]))
        yield (
            IDIOM,
            "`insert(0, ...)` -> `append(...)`",
            text.replace(start, end, f"{owner}.append({value})"),
        )
    elif call := _method_call(node, "append", 1):
        value = text.text(*text.span(call.args[0]))
        yield (
            IDIOM,
            "`append(...)` -> `insert(0, ...)`",
            text.replace(start, end, f"{owner}.insert(0, {value})"),
        )
    elif _method_call(node, "pop", 0):
        yield IDIOM, "`pop()` -> `pop(0)`", text.replace(start, end, f"{owner}.pop(0)")
    elif (call := _method_call(node, "pop", 1)) and is_int(call.args[0], 0):
        yield IDIOM, "`pop(0)` -> `pop()`", text.replace(start, end, f"{owner}.pop()")


def order_edits(text: SourceText, node: ast.AST) -> Found:
    """A walk or a sort in the other direction, the other end of a list."""
    if isinstance(node, ast.For):
        iterable = node.iter
        if (
            isinstance(iterable, ast.Call)
            and isinstance(iterable.func, ast.Name)
            and iterable.func.id == "enumerate"
            and iterable.args
        ):
            iterable = iterable.args[0]  # enumerate(reversed(xs)): the index counts from the end
        if isinstance(iterable, ast.Call) and getattr(iterable.func, "id", "") == "reversed":
            inner = text.text(*text.span(iterable.args[0])) if iterable.args else ""
            yield IDIOM, "`reversed(...)` removed", text.replace(*text.span(iterable), inner)
        elif isinstance(iterable, ast.Name | ast.Attribute | ast.Subscript | ast.Call):
            shown = text.text(*text.span(iterable))
            edited = text.replace(*text.span(iterable), f"reversed({shown})")
            yield IDIOM, f"`{shown}` -> `reversed({shown})`", edited
    elif isinstance(node, ast.Call):
        yield from _list_end_edits(text, node)
        plain = not any(isinstance(a, ast.Starred) for a in node.args)
        is_sorted = isinstance(node.func, ast.Name) and node.func.id == "sorted"
        if is_sorted and plain and node.args and all(k.arg != "reverse" for k in node.keywords):
            end = text.span(node)[1]
            edited = text.replace(end - 1, end, ", reverse=True)")
            yield IDIOM, "`sorted(...)` -> `sorted(..., reverse=True)`", edited
