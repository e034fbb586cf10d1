"""An argument changed in place where the caller's object should stay as it was: a mutable
default (``def add(tag, tags=[])`` shares one list between every call that leaves ``tags``
out) or a list the caller passed (``items.sort()`` sorts the caller's list). Two fixes, as
Python's idioms write them: a copy made on entry (``tags = list(tags)``), and for a default
changed by the body, ``tags=None`` with ``if tags is None: tags = []`` on entry.
Pure text edits for :mod:`.mutants`.
"""

from __future__ import annotations

import ast
from typing import NamedTuple

from pytest_trace_opt.core.edit_kinds import IDIOM, Found
from pytest_trace_opt.core.placement_edits import updates
from pytest_trace_opt.core.source_text import SourceText
from pytest_trace_opt.core.statement_edits import Entry, on_entry

_EMPTY_CALLS = {"list", "dict", "set", "bytearray", "defaultdict", "deque", "Counter"}
# Methods that change their object in place, and the type that has them.
_IN_PLACE = {
    **dict.fromkeys(("append", "extend", "insert", "sort", "reverse"), "list"),
    **dict.fromkeys(("update", "setdefault", "popitem"), "dict"),
    **dict.fromkeys(("add", "discard", "difference_update", "intersection_update"), "set"),
    **dict.fromkeys(("pop", "remove", "clear"), ""),  # of several types: ``.copy()``
}


class Changed(NamedTuple):
    """A parameter the function may change in place."""

    copy: str  # how to copy it on entry: ``list(tags)``, ``tags.copy()``
    default: ast.expr | None  # its default, when that is a list, dict or set
    changed: bool  # whether the body changes it (a default that is only read may escape)


def changed_parameters(tree: ast.Module) -> dict[str, Changed]:
    """The parameters of the function ``tree`` defines that have a mutable default or that
    the body changes in place."""
    func = next(
        (n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)), None
    )
    if func is None:
        return {}
    args = func.args
    positional = [*args.posonlyargs, *args.args]
    with_default = positional[len(positional) - len(args.defaults) :]
    defaults = dict(zip((a.arg for a in with_default), args.defaults, strict=True))
    keyword = zip(args.kwonlyargs, args.kw_defaults, strict=True)
    defaults |= {arg.arg: default for arg, default in keyword if default is not None}
    found: dict[str, Changed] = {}
    for arg in [*positional, *args.kwonlyargs]:
        name = arg.arg
        if name in ("self", "cls"):
            continue
        default = defaults.get(name)
        kind = _mutable_kind(default) if default is not None else None
        method_kind = _changed_by(func.body, name)
        if kind is None and method_kind is None:
            continue
        copier = kind or method_kind or ""
        copy = f"{copier}({name})" if copier else f"{name}.copy()"
        changed = method_kind is not None or updates(func.body, name)
        found[name] = Changed(copy, default if kind is not None else None, changed)
    return found


def _mutable_kind(node: ast.expr) -> str | None:
    if isinstance(node, ast.List):
        return "list"
    if isinstance(node, ast.Dict):
        return "dict"
    if isinstance(node, ast.Set):
        return "set"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id if node.func.id in _EMPTY_CALLS else None
    return None


def _changed_by(body: list[ast.stmt], name: str) -> str | None:
    """The type whose in-place method the body calls on ``name`` (``""``: one of several),
    or None when it calls none and sets no item of it."""
    for statement in body:
        for node in ast.walk(statement):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == name
                and node.func.attr in _IN_PLACE
            ):
                return _IN_PLACE[node.func.attr]
            targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else []
            if any(
                isinstance(t, ast.Subscript)
                and isinstance(t.value, ast.Name)
                and t.value.id == name
                for t in targets
            ):
                return ""
    return None


def changed_argument_edits(
    text: SourceText, node: ast.AST, changed: dict[str, Changed], entry: Entry | None
) -> Found:
    """For a use of a parameter in ``changed``: for a mutable default the body changes, the
    default made ``None`` and a fresh value made on entry; a copy made on entry."""
    if not isinstance(node, ast.Name) or node.id not in changed or entry is None:
        return
    name, found = node.id, changed[node.id]
    copy = f"{name} = {found.copy}"
    # the idiom first: it keeps a caller's own list changed, as the code meant
    if found.default is not None and found.changed:
        written = text.text(*text.span(found.default))
        if "\n" not in written:
            guard = on_entry(text, entry, f"if {name} is None:", f"    {name} = {written}")
            changes = [(*text.span(found.default), "None"), guard]
            yield IDIOM, f"default `{name}={written}` made on each call", text.replace_all(changes)
    yield IDIOM, f"`{copy}` added on entry", text.replace(*on_entry(text, entry, copy))
