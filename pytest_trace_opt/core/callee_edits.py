"""The wrong function of a family called: ``min`` for ``max``, ``lstrip`` for ``rstrip``,
``unquote`` for ``unquote_plus``, ``re.match`` for ``re.search``, ``lower`` for
``casefold``, ``bisect_left`` for ``bisect_right`` ("wrong function name" in studies of
real fixes), and ``list(set(xs))`` where the order of first appearance should stay
(``list(dict.fromkeys(xs))``). A function misread once is often called wrongly in every
place: each call is swapped alone, and all calls of the same function at once when there
are several.

A function imported by name (``from urllib.parse import unquote``) gets its sibling
imported the same way, in a line above the function that the patch adds to the module.
Pure text edits for :mod:`.mutants`.
"""

from __future__ import annotations

import ast
from typing import NamedTuple

from pytest_trace_opt.core.edit_kinds import NAME, Found
from pytest_trace_opt.core.source_text import SourceText

# Builtins called by name.
_BUILTINS: dict[str, tuple[str, ...]] = {
    "min": ("max",),
    "max": ("min",),
    "any": ("all",),
    "all": ("any",),
    "int": ("round", "float"),  # a fraction cut off, or a text that holds one
    "round": ("int",),
    "float": ("int",),
}
# Methods called on a value, whatever it is (a wrong guess costs one run of the tests).
_METHODS: dict[str, tuple[str, ...]] = {
    "startswith": ("endswith",),
    "endswith": ("startswith",),
    "lstrip": ("rstrip", "strip"),
    "rstrip": ("lstrip", "strip"),
    "strip": ("rstrip", "lstrip"),
    "split": ("rsplit",),  # with a count: which end the pieces are cut from
    "rsplit": ("split",),
    "find": ("rfind",),
    "rfind": ("find",),
    "index": ("rindex",),
    "rindex": ("index",),
    "partition": ("rpartition",),
    "rpartition": ("partition",),
    "ljust": ("rjust",),
    "rjust": ("ljust",),
    "append": ("extend",),
    "extend": ("append",),
    "upper": ("lower",),
    "lower": ("upper", "casefold"),
    "keys": ("values",),
    "values": ("keys",),
    "floor": ("ceil",),
    "ceil": ("floor",),
    "isupper": ("islower",),
    "islower": ("isupper",),
    "appendleft": ("append",),
    "popleft": ("pop",),
    "remove": ("discard",),
    "title": ("capitalize",),
    "capitalize": ("title",),
    "match": ("search", "fullmatch"),  # of a compiled pattern
    "search": ("match",),
    "fullmatch": ("match",),
}
# Functions of a module, called through it (``re.match``) or imported by name.
_MODULE_FUNCTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "re": {"match": ("search", "fullmatch"), "search": ("match",), "fullmatch": ("match",)},
    "parse": {  # urllib.parse
        "unquote": ("unquote_plus",),
        "unquote_plus": ("unquote",),
        "quote": ("quote_plus",),
        "quote_plus": ("quote",),
    },
    "bisect": {"bisect_left": ("bisect_right",), "bisect_right": ("bisect_left",)},
    "heapq": {"nlargest": ("nsmallest",), "nsmallest": ("nlargest",)},
    "itertools": {
        "combinations": ("permutations", "combinations_with_replacement"),
        "permutations": ("combinations",),
        "combinations_with_replacement": ("combinations",),
    },
    "path": {"basename": ("dirname",), "dirname": ("basename",)},  # os.path
    "copy": {"copy": ("deepcopy",)},
}
# Functions distinctive enough to be known when imported by name, with their module.
_IMPORTED = {
    name: module
    for module, names in (
        ("urllib.parse", ("unquote", "unquote_plus", "quote_plus")),
        ("bisect", ("bisect_left", "bisect_right")),
        ("heapq", ("nlargest", "nsmallest")),
        ("itertools", ("combinations", "permutations", "combinations_with_replacement")),
        ("os.path", ("basename", "dirname")),
    )
    for name in names
}


class Callee(NamedTuple):
    name: str  # the function's own name: ``match``, ``lower``
    written: str  # the callee as the calls write it: ``re.match``, ``.lower``, ``unquote``
    siblings: tuple[str, ...]
    module: str | None  # where to import a sibling from, for a function imported by name


def callee_of(call: ast.Call) -> Callee | None:
    """The function ``call`` calls, when it has siblings it is confused with."""
    func = call.func
    if isinstance(func, ast.Name):
        if func.id in _BUILTINS:
            return Callee(func.id, func.id, _BUILTINS[func.id], None)
        module = _IMPORTED.get(func.id)
        if module is not None:
            siblings = _MODULE_FUNCTIONS[module.rsplit(".", 1)[-1]][func.id]
            return Callee(func.id, func.id, siblings, module)
        return None
    if not isinstance(func, ast.Attribute):
        return None
    owner = func.value
    if isinstance(owner, ast.Name | ast.Attribute):
        last = owner.id if isinstance(owner, ast.Name) else owner.attr
        of_module = _MODULE_FUNCTIONS.get(last, {}).get(func.attr)
        if of_module is not None:
            return Callee(func.attr, f"{ast.unparse(owner)}.{func.attr}", of_module, None)
    if func.attr in _METHODS:
        return Callee(func.attr, f".{func.attr}", _METHODS[func.attr], None)
    return None


def calls_by_callee(tree: ast.AST) -> dict[str, list[ast.Call]]:
    """The calls of ``tree`` (one trainable's source) with siblings, by callee as written."""
    found: dict[str, list[ast.Call]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            callee = callee_of(node)
            if callee is not None:
                found.setdefault(callee.written, []).append(node)
    return found


def callee_edits(text: SourceText, node: ast.AST, calls: dict[str, list[ast.Call]]) -> Found:
    """``node``'s function swapped for each sibling: in this call, then in every call of it."""
    if not isinstance(node, ast.Call):
        return
    yield from _ordered_unique(text, node)
    callee = callee_of(node)
    if callee is None:
        return
    every = calls.get(callee.written, [node])
    for sibling in callee.siblings:
        import_line = f"from {callee.module} import {sibling}\n\n\n" if callee.module else ""
        single = _swapped(text, [node], callee.name, sibling)
        if single is not None:
            yield NAME, f"`{callee.name}` -> `{sibling}`", import_line + single
        if len(every) > 1:
            edited = _swapped(text, every, callee.name, sibling)
            if edited is not None:
                described = f"`{callee.name}` -> `{sibling}` in all {len(every)} calls"
                yield NAME, described, import_line + edited


def _ordered_unique(text: SourceText, node: ast.Call) -> Found:
    """``list(set(xs))`` -> ``list(dict.fromkeys(xs))``: duplicates dropped, order kept."""
    inner = node.args[0] if len(node.args) == 1 else None
    if (
        isinstance(node.func, ast.Name)
        and node.func.id == "list"
        and isinstance(inner, ast.Call)
        and isinstance(inner.func, ast.Name)
        and inner.func.id == "set"
        and len(inner.args) == 1
        and not inner.keywords
    ):
        start, end = text.span(inner.func)
        yield (
            NAME,
            "`set(...)` -> `dict.fromkeys(...)` (order kept)",
            text.replace(start, end, "dict.fromkeys"),
        )


def _swapped(text: SourceText, calls: list[ast.Call], name: str, sibling: str) -> str | None:
    changes = []
    for call in calls:
        start, end = text.span(call.func)
        if not text.text(start, end).endswith(name):
            return None  # written over lines or with a comment: leave it
        changes.append((end - len(name.encode()), end, sibling))
    return text.replace_all(changes)
