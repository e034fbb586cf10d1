"""A variable or attribute used where another was meant, the commonest one-token bug in
studies of real fixes ("change identifier used"): ``return count`` for ``return total``,
``self.width`` for ``self.height``, ``xs[i]`` for ``xs[j]``.

Only names the function itself defines (its parameters, what it assigns, loop targets) stand in
for each other, and attributes only for attributes of the same owner that the function reads
or writes, or of an owner sharing an attribute with it (``self.x == other.x``: objects of one
kind); the nearest in the code first, a few per use. Pure functions, no opto.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from pytest_trace_opt.core.edit_kinds import VARIABLE, Found
from pytest_trace_opt.core.source_text import SourceText

MAX_PER_USE = 3  # replacements tried for one use of a name, the nearest first
_ORDINALS = ("first", "second", "third", "fourth")


@dataclass
class Scope:
    """What one function defines: local name -> the lines it appears on; owner name ->
    attribute -> lines (``self.width`` is owner ``self``, attribute ``width``)."""

    first: int
    last: int
    names: dict[str, list[int]] = field(default_factory=dict)
    attributes: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    owners: dict[int, str] = field(default_factory=dict)  # id of a name read as ``name.attr``
    keys: dict[str, dict[str, list[int]]] = field(default_factory=dict)  # ``row["name"]``
    key_owners: dict[int, str] = field(default_factory=dict)  # id of a key -> its owner
    defined: dict[str, int] = field(default_factory=dict)  # name -> first line that sets it


def _arguments(func: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.arg]:
    args = func.args
    yield from args.posonlyargs
    yield from args.args
    yield from args.kwonlyargs
    yield from (a for a in (args.vararg, args.kwarg) if a is not None)


def own_nodes(func: ast.AST) -> Iterator[ast.AST]:
    """Nodes of ``func``'s body, not of functions, classes or comprehensions inside it (their
    names are not the function's)."""
    stack = list(ast.iter_child_nodes(func))
    while stack:
        node = stack.pop()
        if isinstance(
            node,
            ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda | ast.comprehension,
        ):
            continue
        if isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def scopes(tree: ast.AST) -> list[Scope]:
    """One :class:`Scope` per function in ``tree``."""
    found: list[Scope] = []
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        scope = Scope(func.lineno, func.end_lineno or func.lineno)
        defined = {a.arg for a in _arguments(func)}
        for arg in _arguments(func):
            scope.names.setdefault(arg.arg, []).append(arg.lineno)
            scope.defined.setdefault(arg.arg, func.lineno)
        nodes = list(own_nodes(func))
        called = {id(n.func) for n in nodes if isinstance(n, ast.Call)}
        defined |= {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        for node in nodes:
            if isinstance(node, ast.Name) and node.id in defined and id(node) not in called:
                scope.names.setdefault(node.id, []).append(node.lineno)
                if isinstance(node.ctx, ast.Store):
                    first = scope.defined.get(node.id, node.lineno)
                    scope.defined[node.id] = min(first, node.lineno)
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and id(node) not in called
            ):
                owner = scope.attributes.setdefault(node.value.id, {})
                owner.setdefault(node.attr, []).append(node.lineno)
                scope.owners[id(node.value)] = node.attr
            elif (
                isinstance(node, ast.Subscript)
                and isinstance(node.value, ast.Name)
                and isinstance(node.slice, ast.Constant)
                and isinstance(node.slice.value, str)
            ):
                keys = scope.keys.setdefault(node.value.id, {})
                keys.setdefault(node.slice.value, []).append(node.lineno)
                scope.key_owners[id(node.slice)] = node.value.id
        found.append(scope)
    return found


def _nearest(
    candidates: dict[str, list[int]], current: str, line: int, defined: dict[str, int]
) -> list[str]:
    """The names nearest to ``line`` that are set before it (one set later on the line,
    ``hours, rest = divmod(hours, 60)``, is not set yet when it is read)."""
    others = [name for name in candidates if name != current and defined.get(name, 0) < line]
    others.sort(key=lambda name: (min(abs(n - line) for n in candidates[name]), name))
    return others[:MAX_PER_USE]


def replacements(node: ast.AST, all_scopes: list[Scope]) -> list[str]:
    """What may stand for ``node`` (a name or ``owner.attribute`` read in a function): other
    names of its function, or other attributes of the same owner; empty for anything else."""
    line = getattr(node, "lineno", 0)
    inner = [s for s in all_scopes if s.first < line <= s.last]
    if not inner:
        return []
    scope = min(inner, key=lambda s: s.last - s.first)  # the innermost function
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in scope.names:
        attribute = scope.owners.get(id(node))
        if attribute is None:
            return _nearest(scope.names, node.id, line, scope.defined)
        # ``rect.width``: only another name whose ``.width`` the function reads
        owners = {
            name: lines
            for name, lines in scope.names.items()
            if attribute in scope.attributes.get(name, {})
        }
        return _nearest(owners, node.id, line, scope.defined)
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.ctx, ast.Load)
        and isinstance(node.value, ast.Name)
        and node.attr in scope.attributes.get(node.value.id, {})  # set elsewhere: any of them
    ):
        return _nearest(_kin(scope.attributes, node.value.id), node.attr, line, {})
    if isinstance(node, ast.Constant) and id(node) in scope.key_owners:
        return _nearest(_kin(scope.keys, scope.key_owners[id(node)]), str(node.value), line, {})
    return []


def _kin(by_owner: dict[str, dict[str, list[int]]], owner: str) -> dict[str, list[int]]:
    """The keys (or attributes) of ``owner`` and of owners sharing one with it: records of
    one kind (``row["a"] == other["a"]``)."""
    found = dict(by_owner.get(owner, {}))
    for other, theirs in by_owner.items():
        if other != owner and found.keys() & theirs.keys():
            for name, lines in theirs.items():
                found.setdefault(name, lines)
    return found


def identifier_edits(text: SourceText, node: ast.AST, all_scopes: list[Scope]) -> Found:
    """A variable, an attribute or a key of the same owner used for another
    (:mod:`.identifier_edits`)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield from _key_edits(text, node, all_scopes)
        return
    if not isinstance(node, ast.Name | ast.Attribute):
        return
    start, end = text.span(node)
    shown = text.text(start, end)
    which = _which(text, node, shown)
    for other in replacements(node, all_scopes):
        if isinstance(node, ast.Attribute):
            new = shown[: len(shown) - len(node.attr)] + other
            if not shown.endswith(node.attr):
                continue
        else:
            new = other
        yield VARIABLE, f"`{shown}` -> `{new}`{which}", text.replace(start, end, new)


def _key_edits(text: SourceText, node: ast.Constant, all_scopes: list[Scope]) -> Found:
    start, end = text.span(node)
    shown = text.text(start, end)
    quote = shown[-1]
    if shown[:1] != quote or quote not in "'\"":
        return  # a prefixed or implicitly joined string: leave it
    which = _which(text, node, shown)
    for other in replacements(node, all_scopes):
        new = quote + other + quote
        if ast.literal_eval(new) == other:  # no quote or backslash to escape
            yield VARIABLE, f"key {shown} -> {new}{which}", text.replace(start, end, new)


def _which(text: SourceText, node: ast.expr, shown: str) -> str:
    """Which use of ``shown`` on its line ``node`` is, when the line has several."""
    line = text.lines[node.lineno - 1]
    pattern = r"(?<![\w.])" + re.escape(shown) + r"(?!\w)"
    before = len(re.findall(pattern, line.encode()[: node.col_offset].decode()))
    if before == 0 and len(re.findall(pattern, line)) == 1:
        return ""
    return f" ({_ORDINALS[before]} `{shown}` of the line)" if before < len(_ORDINALS) else ""
