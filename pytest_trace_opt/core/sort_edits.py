"""Sort keys with parts in two directions: "most points first, ties alphabetically" written
as ``sorted(teams, key=lambda t: (t.points, t.name), reverse=True)`` sorts the names
backwards too. The fix negates one part of the tuple key and turns ``reverse`` the other
way. Pure text edits for :mod:`.mutants`.
"""

from __future__ import annotations

import ast

from pytest_trace_opt.core.edit_kinds import IDIOM, Found
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
