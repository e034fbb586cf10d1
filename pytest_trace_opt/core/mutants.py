"""Small edits of a trainable's suspicious lines, tried before any LLM call.

Many real one-function bugs are one token off: ``<`` for ``<=``, ``+ 1`` missing from a range
bound, ``and`` for ``or``, ``min`` for ``max``. Spectrum-based localization says which lines
the failing tests ran; trying the classic single-token edits of those lines (the mutation
operators of program repair) costs a test run each and no LLM call. Each edit replaces only
the span of text it changes, so comments and formatting survive into the patch.

Pure functions over source text, no opto, no pytest.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

_COMPARE_SWAPS: dict[type[ast.cmpop], tuple[type[ast.cmpop], ...]] = {
    ast.Lt: (ast.LtE, ast.Gt),
    ast.LtE: (ast.Lt, ast.GtE),
    ast.Gt: (ast.GtE, ast.Lt),
    ast.GtE: (ast.Gt, ast.LtE),
    ast.Eq: (ast.NotEq,),
    ast.NotEq: (ast.Eq,),
    ast.In: (ast.NotIn,),
    ast.NotIn: (ast.In,),
    ast.Is: (ast.IsNot,),
    ast.IsNot: (ast.Is,),
}
_BINARY_SWAPS: dict[type[ast.operator], tuple[type[ast.operator], ...]] = {
    ast.Add: (ast.Sub,),
    ast.Sub: (ast.Add,),
    ast.Mult: (ast.Div, ast.FloorDiv),
    ast.Div: (ast.FloorDiv, ast.Mult),
    ast.FloorDiv: (ast.Div, ast.Mod),
    ast.Mod: (ast.FloorDiv,),
}
_SYMBOLS: dict[type[ast.AST], str] = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.And: "and",
    ast.Or: "or",
}
# Names often confused for each other: builtins called by name, methods called on a value.
_BUILTIN_SWAPS = {"min": "max", "max": "min", "any": "all", "all": "any"}
_METHOD_SWAPS = {
    "startswith": "endswith",
    "endswith": "startswith",
    "lstrip": "rstrip",
    "rstrip": "lstrip",
    "find": "rfind",
    "rfind": "find",
    "append": "extend",
    "extend": "append",
    "upper": "lower",
    "lower": "upper",
    "keys": "values",
    "values": "keys",
}
MAX_CONSTANT = 10_000  # larger numbers are data, not bounds
# Kinds of edit, in the order they are tried on one line: the commonest slips first.
COMPARISON, BOUND, CONSTANT, OPERATOR, NAME = range(5)
# Operands that need parentheses before ``+ 1`` is added to them.
_LOOSER_THAN_PLUS = (ast.BoolOp, ast.Compare, ast.IfExp, ast.Lambda, ast.NamedExpr, ast.UnaryOp)
_BIT_OPERATORS = (ast.BitOr, ast.BitAnd, ast.BitXor, ast.LShift, ast.RShift)


@dataclass(frozen=True)
class Edit:
    line: int  # line within the source, 1-based
    description: str  # "`<` -> `<=`"
    source: str  # the whole edited source


class _Text:
    """Source lines with (line, byte column) addressing, as ``ast`` positions are given."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines = source.splitlines(keepends=True)
        self.starts: list[int] = []  # byte offset of each line in the encoded source
        offset = 0
        for line in self.lines:
            self.starts.append(offset)
            offset += len(line.encode())
        self.data = source.encode()

    def offset(self, line: int, col: int) -> int:
        return self.starts[line - 1] + col

    def span(self, node: ast.AST) -> tuple[int, int]:
        start = self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end = self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
        return start, end

    def between(self, a: ast.AST, b: ast.AST) -> tuple[int, int]:
        return self.span(a)[1], self.span(b)[0]

    def text(self, start: int, end: int) -> str:
        return self.data[start:end].decode()

    def replace(self, start: int, end: int, new: str) -> str:
        return (self.data[:start] + new.encode() + self.data[end:]).decode()


def _swap_in_gap(text: _Text, start: int, end: int, old: str, new: str) -> str | None:
    """Replace the operator ``old`` between two operands (the gap may hold parentheses);
    None when the gap holds anything else (a comment, a line continuation)."""
    gap = text.text(start, end)
    if " ".join(gap.strip("() \t\r\n").split()) != old:
        return None
    found = re.search(r"\s+".join(re.escape(word) for word in old.split()), gap)
    if found is None:
        return None
    return text.replace(start, end, gap[: found.start()] + new + gap[found.end() :])


def _plus_minus_one(text: _Text, node: ast.expr) -> Iterator[tuple[int, str, str | None]]:
    """``e`` -> ``e + 1`` / ``e - 1``, and ``e + 1`` / ``e - 1`` -> ``e``."""
    start, end = text.span(node)
    shown = text.text(start, end)
    if (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Add | ast.Sub)
        and isinstance(node.right, ast.Constant)
        and node.right.value == 1
    ):
        left = text.text(*text.span(node.left))
        yield BOUND, f"`{shown}` -> `{left}`", text.replace(start, end, left)
        return
    looser = isinstance(node, _LOOSER_THAN_PLUS) or (
        isinstance(node, ast.BinOp) and isinstance(node.op, _BIT_OPERATORS)
    )
    operand = f"({shown})" if looser else shown
    if isinstance(node, ast.Constant):
        return  # constants have their own edit
    for sign in ("+", "-"):
        edited = text.replace(start, end, f"{operand} {sign} 1")
        yield BOUND, f"`{shown}` -> `{operand} {sign} 1`", edited


def _bound_expressions(node: ast.AST) -> Iterator[ast.expr]:
    """Expressions that are a bound or an index: range arguments, slice parts, subscripts."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
        yield from node.args
    elif isinstance(node, ast.Slice):
        yield from (part for part in (node.lower, node.upper) if part is not None)
    elif isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Slice | ast.Tuple):
        index = node.slice
        if not isinstance(index, ast.Constant) or isinstance(index.value, int):
            yield index


_Found = Iterator[tuple[int, str, str | None]]  # kind, description, edited source (None: skip)


def _swaps(text: _Text, gap: tuple[int, int], old: str, news: Sequence[str], kind: int) -> _Found:
    for new in news:
        yield kind, f"`{old}` -> `{new}`", _swap_in_gap(text, *gap, old, new)


def _comparison_edits(text: _Text, node: ast.Compare) -> _Found:
    operands = [node.left, *node.comparators]
    for i, op in enumerate(node.ops):
        news = [_SYMBOLS[new] for new in _COMPARE_SWAPS.get(type(op), ())]
        gap = text.between(operands[i], operands[i + 1])
        yield from _swaps(text, gap, _SYMBOLS[type(op)], news, COMPARISON)


def _operator_edits(text: _Text, node: ast.AST) -> _Found:
    if isinstance(node, ast.BinOp | ast.AugAssign):
        left = node.left if isinstance(node, ast.BinOp) else node.target
        right = node.right if isinstance(node, ast.BinOp) else node.value
        suffix = "=" if isinstance(node, ast.AugAssign) else ""
        news = [_SYMBOLS[new] + suffix for new in _BINARY_SWAPS.get(type(node.op), ())]
        old = _SYMBOLS.get(type(node.op), "?") + suffix
        yield from _swaps(text, text.between(left, right), old, news, OPERATOR)
    elif isinstance(node, ast.BoolOp):
        old = _SYMBOLS[type(node.op)]
        new = "or" if old == "and" else "and"
        for a, b in zip(node.values, node.values[1:], strict=False):
            yield from _swaps(text, text.between(a, b), old, [new], OPERATOR)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        operand = text.text(*text.span(node.operand))
        yield OPERATOR, "`not` removed", text.replace(*text.span(node), operand)


def _constant_edits(text: _Text, node: ast.Constant) -> _Found:
    start, end = text.span(node)
    if type(node.value) is bool:
        flipped = str(not node.value)
        yield CONSTANT, f"`{node.value}` -> `{flipped}`", text.replace(start, end, flipped)
    elif type(node.value) is int and abs(node.value) <= MAX_CONSTANT:
        written = text.text(start, end).isdigit()  # not 0x10, 1_000 or True
        for number in (node.value + 1, node.value - 1) if written else ():
            if number >= 0:
                edited = text.replace(start, end, str(number))
                yield CONSTANT, f"`{node.value}` -> `{number}`", edited


def _call_edits(text: _Text, node: ast.Call) -> _Found:
    """Only a called name: a variable called ``values`` is not the method ``.values()``."""
    func = node.func
    if isinstance(func, ast.Name):
        name, other = func.id, _BUILTIN_SWAPS.get(func.id)
    elif isinstance(func, ast.Attribute):
        name, other = func.attr, _METHOD_SWAPS.get(func.attr)
    else:
        return
    start, end = text.span(func)
    shown = text.text(start, end)
    if other is not None and shown.endswith(name):
        edited = text.replace(start, end, shown[: len(shown) - len(name)] + other)
        yield NAME, f"`{name}` -> `{other}`", edited


def _edits_of_node(text: _Text, node: ast.AST) -> _Found:
    if isinstance(node, ast.Compare):
        yield from _comparison_edits(text, node)
    elif isinstance(node, ast.Constant):
        yield from _constant_edits(text, node)
    elif isinstance(node, ast.Call):
        yield from _call_edits(text, node)
    else:
        yield from _operator_edits(text, node)
    for bound in _bound_expressions(node):
        yield from _plus_minus_one(text, bound)


def edits(source: str, lines: Sequence[int]) -> list[Edit]:
    """Single-token edits of the nodes that start on ``lines`` (1-based lines of
    ``source``), in the order the lines are given; each edit parses and differs from the
    source. The ``def`` line itself is left alone (its defaults and signature)."""
    code = textwrap.dedent(source)
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    text = _Text(code)
    wanted = set(lines)
    by_line: dict[int, list[tuple[int, str, str]]] = {}
    header_lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            header_lines.update(range(node.lineno, node.body[0].lineno))
    seen = {ast.dump(tree)}
    for node in ast.walk(tree):
        line = getattr(node, "lineno", None)
        if line not in wanted or line in header_lines:
            continue
        for category, description, edited in _edits_of_node(text, node):
            if edited is None:
                continue
            try:
                dumped = ast.dump(ast.parse(edited))
            except SyntaxError:
                continue
            if dumped in seen:
                continue
            seen.add(dumped)
            by_line.setdefault(line, []).append((category, description, edited))
    found: list[Edit] = []
    for line in lines:
        for _, description, edited in sorted(by_line.get(line, []), key=lambda e: e[0]):
            found.append(Edit(line, description, edited))
    return found
