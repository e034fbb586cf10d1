"""Edits that move a statement to the block it belongs in: the right code, at the wrong
indentation, a common slip no token edit reaches.

- the last statement of a loop's or an ``if``'s body moved out, after it: a ``return False``
  that ends the search on the first item, a count that should happen every time;
- the statement right after a loop that reads the loop's variable moved into its body:
  ``result.append(item)`` written after ``for item in items:`` instead of in it;
- an accumulator set anew in a loop that also updates it (``total = 0`` inside the loop)
  moved before the loop;
- an accumulator set before a loop whose inner loop updates it moved into the outer loop's
  body: reset for each row, not once;
- an ``elif`` made an ``if`` of its own (both "Fizz" and "Buzz"), an ``if`` right after
  another made its ``elif`` (only one of them).

Each edit moves whole lines and re-indents them; a statement sharing a line with another,
or holding a string over several lines, is left where it is. Pure functions, no opto.
"""

from __future__ import annotations

import ast
from typing import NamedTuple

from pytest_trace_opt.core.edit_kinds import IDIOM, Found
from pytest_trace_opt.core.source_text import SourceText

_LOOPS = (ast.For, ast.While, ast.AsyncFor)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_FRESH_CALLS = {"list", "dict", "set", "tuple", "str", "int", "float", "defaultdict", "Counter"}


class Place(NamedTuple):
    owner: ast.AST  # the statement (or function) whose block holds the statement
    block: list[ast.stmt]
    position: int


def places(tree: ast.AST) -> dict[int, Place]:
    """Every statement's block: ``id(statement)`` -> its owner, the block and its index."""
    found: dict[int, Place] = {}
    for owner in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(owner, field, None)
            if isinstance(block, list):
                for index, statement in enumerate(block):
                    if isinstance(statement, ast.stmt):
                        found[id(statement)] = Place(owner, block, index)
    return found


def placement_edits(text: SourceText, node: ast.AST, where: dict[int, Place]) -> Found:
    """The moves of statement ``node`` to a neighbouring block (see the module's text)."""
    place = where.get(id(node))
    yield from _chain_edits(text, node, place)
    if not isinstance(node, ast.stmt) or place is None or not _whole_lines(text, node):
        return
    owner, block, index = place.owner, place.block, place.position
    shown = _shown(text, node)
    in_body = block is getattr(owner, "body", None)
    # ``break`` outside a loop; a ``while`` whose test never changes again
    must_stay = isinstance(owner, _LOOPS) and _jumps(node)
    if isinstance(owner, ast.While) and _stored(node) & _names(owner.test):
        must_stay = True
    if (
        isinstance(owner, (*_LOOPS, ast.If))
        and in_body
        and index == len(block) - 1 > 0
        and not must_stay
    ):
        yield IDIOM, f"`{shown}` moved out of the {_kind(owner)}", _moved_after(text, node, owner)
    if index > 0 and _loop_without_else(block[index - 1]):
        loop = block[index - 1]
        if isinstance(loop, ast.For | ast.AsyncFor) and _names(node) & _names(loop.target):
            edited = _moved(text, node, loop.body[-1].end_lineno or 0, _indent(text, loop.body[0]))
            yield IDIOM, f"`{shown}` moved into the {_kind(loop)}", edited
    name = _fresh_name(node)
    if name is None:
        return
    if isinstance(owner, _LOOPS) and in_body and len(block) > 1 and updates(block, name):
        edited = _moved(text, node, owner.lineno - 1, _indent(text, owner))
        yield IDIOM, f"`{shown}` moved before the {_kind(owner)}", edited
    following = block[index + 1] if index + 1 < len(block) else None
    if isinstance(following, _LOOPS) and _loop_without_else(following):
        inner_loops = [
            n for n in ast.walk(following) if isinstance(n, _LOOPS) and n is not following
        ]
        if any(updates(inner.body, name) for inner in inner_loops):
            first = following.body[0]
            edited = _moved(text, node, first.lineno - 1, _indent(text, first))
            yield IDIOM, f"`{shown}` moved into the outer {_kind(following)}", edited


def _chain_edits(text: SourceText, node: ast.AST, place: Place | None) -> Found:
    """An ``elif`` that should be a test of its own, an ``if`` that should be tried only
    when the ``if`` before it failed."""
    if not isinstance(node, ast.If):
        return
    start = text.offset(node.lineno, node.col_offset)
    if text.data[start : start + 5] == b"elif ":
        yield IDIOM, "`elif` -> `if`", text.replace(start, start + 4, "if")
        return
    before = place.block[place.position - 1] if place and place.position > 0 else None
    if isinstance(before, ast.If) and not before.orelse:
        yield IDIOM, "`if` -> `elif`", text.replace(start, start + 2, "elif")


def _kind(node: ast.AST) -> str:
    return {ast.For: "`for` loop", ast.AsyncFor: "`for` loop", ast.While: "`while` loop"}.get(
        type(node), "`if` block"
    )


def _loop_without_else(node: ast.AST | None) -> bool:
    return isinstance(node, _LOOPS) and not node.orelse and node.body[0].lineno > node.lineno


def _shown(text: SourceText, node: ast.stmt) -> str:
    words = " ".join(text.text(*text.span(node)).split())
    return words if len(words) <= 60 else words[:57] + "..."


def _indent(text: SourceText, node: ast.AST) -> str:
    line = text.lines[node.lineno - 1]  # type: ignore[attr-defined]
    return line[: len(line) - len(line.lstrip())]


def _whole_lines(text: SourceText, node: ast.stmt) -> bool:
    """Whether ``node`` has its lines to itself (comments after it aside) and no string
    over several lines (re-indenting would change its text)."""
    first = text.lines[node.lineno - 1]
    last = text.lines[(node.end_lineno or node.lineno) - 1].encode()
    if first.encode()[: node.col_offset].strip():
        return False
    rest = last[node.end_col_offset or 0 :].strip()
    if rest and not rest.startswith(b"#"):
        return False
    return not any(
        isinstance(n, ast.Constant | ast.JoinedStr) and n.lineno != n.end_lineno
        for n in ast.walk(node)
    )


def _moved_after(text: SourceText, node: ast.stmt, owner: ast.AST) -> str | None:
    return _moved(text, node, owner.end_lineno or 0, _indent(text, owner))  # type: ignore[attr-defined]


def _moved(text: SourceText, node: ast.stmt, after_line: int, indent: str) -> str | None:
    """The source with ``node``'s lines taken out, re-indented to ``indent`` and put after
    line ``after_line`` (of the source as it was); None where a line would lose text."""
    first, last = node.lineno, node.end_lineno or node.lineno
    old = _indent(text, node)
    moved = []
    for line in text.lines[first - 1 : last]:
        if line.startswith(old):
            moved.append(indent + line[len(old) :])
        elif not line.strip():
            moved.append(line)
        else:
            return None
    if not moved[-1].endswith("\n"):
        moved[-1] += "\n"
    lines = list(text.lines)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    kept = lines[: first - 1] + lines[last:]
    position = after_line - (last - first + 1) if after_line >= last else after_line
    return "".join(kept[:position] + moved + kept[position:])


def _jumps(node: ast.AST) -> bool:
    """Whether ``node`` holds a ``break`` or ``continue`` of the loop around it."""
    if isinstance(node, ast.Break | ast.Continue):
        return True
    if isinstance(node, (*_LOOPS, *_SCOPES)):
        return False
    return any(_jumps(child) for child in ast.iter_child_nodes(node))


def _stored(node: ast.AST) -> set[str]:
    """Names ``node`` sets (``i += 1``, ``n = n // 2``)."""
    return {
        n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _fresh_name(node: ast.stmt) -> str | None:
    """The name ``node`` sets to a fresh start (``total = 0``, ``seen = set()``), if it does."""
    if not isinstance(node, ast.Assign) or len(node.targets) != 1:
        return None
    target, value = node.targets[0], node.value
    if not isinstance(target, ast.Name):
        return None
    fresh = (
        isinstance(value, ast.Constant)
        or (isinstance(value, ast.List | ast.Set | ast.Tuple) and not value.elts)
        or (isinstance(value, ast.Dict) and not value.keys)
        or (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id in _FRESH_CALLS
            and all(isinstance(a, ast.Constant | ast.Name) for a in value.args)
            and not value.keywords
        )
    )
    return target.id if fresh else None


def updates(block: list[ast.stmt], name: str) -> bool:
    """Whether ``block`` adds to ``name`` (``+=``, a method call, an item set)."""
    for statement in block:
        for node in ast.walk(statement):
            if isinstance(node, ast.AugAssign) and _is_name(node.target, name):
                return True
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and _is_name(node.func.value, name)
            ):
                return True
            targets = node.targets if isinstance(node, ast.Assign) else []
            if any(isinstance(t, ast.Subscript) and _is_name(t.value, name) for t in targets):
                return True
    return False


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name
