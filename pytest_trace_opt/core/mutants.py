"""Small edits of a trainable's suspicious lines, tried before any LLM call.

Many real one-function bugs are one token off: ``<`` for ``<=``, ``+ 1`` missing from a range
bound, ``and`` for ``or``, ``min`` for ``max``; others follow a fix pattern of program repair:
a list walked or sorted the wrong way, its wrong end used (``insert(0, x)`` for ``append(x)``,
``pop()`` for ``pop(0)``, ``[0]`` for ``[-1]``), two arguments swapped, a condition negated,
``break`` for ``continue``, one statement too many. Spectrum-based localization says which
lines the failing tests ran; trying these small edits of those lines (the one-token slips
first, a removed statement last) costs a test run each and no LLM call. Each edit replaces only
the span of text it changes, so comments and formatting survive into the patch.

Pure functions over source text, no opto, no pytest.
"""

from __future__ import annotations

import ast
import textwrap
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from pytest_trace_opt.core.argument_edits import (
    dropped_transform_edits,
    fewer_argument_edits,
    unary_minus_edits,
)
from pytest_trace_opt.core.callee_edits import callee_edits, calls_by_callee
from pytest_trace_opt.core.default_edits import Changed, changed_argument_edits, changed_parameters
from pytest_trace_opt.core.edit_kinds import (
    BOUND,
    COMPARISON,
    CONSTANT,
    IDIOM,
    OPERATOR,
    REMOVAL,
    VARIABLE,
    Found,
    ValueKinds,
    is_int,
    value_kinds,
)
from pytest_trace_opt.core.extreme_edits import extreme_edits, extreme_starts
from pytest_trace_opt.core.format_edits import format_spec_edits
from pytest_trace_opt.core.guard_edits import empty_returns, guard_edits
from pytest_trace_opt.core.identifier_edits import Scope, identifier_edits, scopes
from pytest_trace_opt.core.idiom_edits import idiom_edits
from pytest_trace_opt.core.index_edits import scaled_index_edits
from pytest_trace_opt.core.placement_edits import Place, placement_edits, places
from pytest_trace_opt.core.regex_edits import REGEX_FUNCTIONS, repetition_edits
from pytest_trace_opt.core.sort_edits import mixed_order_edits, order_edits
from pytest_trace_opt.core.source_text import SourceText, swap_in_gap
from pytest_trace_opt.core.statement_edits import (
    Entry,
    discarded_result_edits,
    entry_of,
    exception_edits,
    missing_entry_edits,
    missing_return_edits,
    normalization_edits,
    removal_edits,
    unreturned_results,
)
from pytest_trace_opt.core.swap_edits import operand_swap_edits, tuple_swap_edits
from pytest_trace_opt.core.systematic_edits import Kin, comparison_kin, same_slip_edits

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
MAX_CONSTANT = 10_000  # larger numbers are data, not bounds
MAX_VARIABLE_EDITS = 6  # per line: a long expression has many names
# Operands that need parentheses before ``+ 1`` is added to them.
_LOOSER_THAN_PLUS = (ast.BoolOp, ast.Compare, ast.IfExp, ast.Lambda, ast.NamedExpr, ast.UnaryOp)
_BIT_OPERATORS = (ast.BitOr, ast.BitAnd, ast.BitXor, ast.LShift, ast.RShift)


class _TreeFacts(NamedTuple):  # what edits of one node read from the whole tree
    scopes: list[Scope]
    unreturned: dict[int, list[str]]  # statement id -> the variables it may mean to return
    kin: dict[Kin, list[ast.Compare]]
    entry: Entry | None  # where a statement added at the function's start goes
    places: dict[int, Place]  # each statement's block
    calls: dict[str, list[ast.Call]]  # calls of a function with siblings, by callee
    changed: dict[str, Changed]  # parameters the function may change in place
    extremes: dict[int, str]  # numbers a running minimum or maximum starts from
    returns: list[str]  # what a guard for an empty input may return
    kinds: ValueKinds  # names bound to text or a list: ``+`` joins them in an order


@dataclass(frozen=True)
class Edit:
    line: int  # line within the source, 1-based
    description: str  # "`<` -> `<=`"
    source: str  # the whole edited source


def _plus_minus_one(text: SourceText, node: ast.expr) -> Iterator[tuple[int, str, str | None]]:
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


def _slice_edits(text: SourceText, node: ast.AST) -> Found:
    """A slice that cuts what it should keep: each of its bounds dropped (``[:-1]`` -> ``[:]``)."""
    if not isinstance(node, ast.Slice) or node.step is not None:
        return
    parts = {"lower": node.lower, "upper": node.upper}
    shown = text.text(*text.span(node))
    for name, part in parts.items():
        if part is None:
            continue
        kept = [
            text.text(*text.span(p)) if p is not None and k != name else ""
            for k, p in parts.items()
        ]
        new = ":".join(kept)
        yield BOUND, f"`[{shown}]` -> `[{new}]`", text.replace(*text.span(node), new)


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


def _swaps(
    text: SourceText, gap: tuple[int, int], old: str, news: Sequence[str], kind: int
) -> Found:
    for new in news:
        yield kind, f"`{old}` -> `{new}`", swap_in_gap(text, *gap, old, new)


def _comparison_edits(text: SourceText, node: ast.Compare) -> Found:
    operands = [node.left, *node.comparators]
    for i, op in enumerate(node.ops):
        news = [_SYMBOLS[new] for new in _COMPARE_SWAPS.get(type(op), ())]
        gap = text.between(operands[i], operands[i + 1])
        yield from _swaps(text, gap, _SYMBOLS[type(op)], news, COMPARISON)


def _operator_edits(text: SourceText, node: ast.AST, kinds: ValueKinds) -> Found:
    if isinstance(node, ast.BinOp | ast.AugAssign):
        left = node.left if isinstance(node, ast.BinOp) else node.target
        right = node.right if isinstance(node, ast.BinOp) else node.value
        if isinstance(node.op, ast.Add) and any(kinds.is_sequence(n) for n in (left, right)):
            return  # text or lists joined: `-` is a TypeError
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


def _constant_edits(text: SourceText, node: ast.Constant) -> Found:
    start, end = text.span(node)
    if type(node.value) is bool:
        flipped = str(not node.value)
        yield CONSTANT, f"`{node.value}` -> `{flipped}`", text.replace(start, end, flipped)
    elif type(node.value) is int and abs(node.value) <= MAX_CONSTANT:
        written = text.text(start, end).isdigit()  # not 0x10, 1_000 or True
        numbers = [node.value + 1, node.value - 1]
        if node.value >= 10 and str(node.value).rstrip("0") == "1":  # 10, 100: a unit slip
            numbers += [node.value * 10, node.value // 10]
        for number in numbers if written else ():
            if number >= 0:
                edited = text.replace(start, end, str(number))
                yield CONSTANT, f"`{node.value}` -> `{number}`", edited


def _regex_edits(text: SourceText, node: ast.Call) -> Found:
    """The pattern of ``re.sub(...)`` and its kin with a repetition added, changed or dropped
    (:mod:`.regex_edits`)."""
    func = node.func
    if not (
        isinstance(func, ast.Attribute)
        and func.attr in REGEX_FUNCTIONS
        and isinstance(func.value, ast.Name)
        and func.value.id == "re"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return
    start, end = text.span(node.args[0])
    for description, literal in repetition_edits(text.text(start, end), node.args[0].value):
        yield IDIOM, description, text.replace(start, end, literal)


def _branch_edits(text: SourceText, node: ast.AST) -> Found:
    """A negated condition, ``break`` <-> ``continue``, the first <-> last item."""
    if isinstance(node, ast.If | ast.While | ast.IfExp):
        test = node.test
        negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
        inverted = (  # a comparison with an exact inverse is already swapped for it
            isinstance(test, ast.Compare)
            and len(test.ops) == 1
            and isinstance(
                test.ops[0], ast.Eq | ast.NotEq | ast.In | ast.NotIn | ast.Is | ast.IsNot
            )
        )
        if not negated and not inverted:
            shown = text.text(*text.span(test))
            wrapped = (
                shown if isinstance(test, ast.Name | ast.Call | ast.Attribute) else f"({shown})"
            )
            edited = text.replace(*text.span(test), f"not {wrapped}")
            yield IDIOM, f"`{shown}` -> `not {wrapped}`", edited
    elif isinstance(node, ast.Break | ast.Continue):
        old, new = ("break", "continue") if isinstance(node, ast.Break) else ("continue", "break")
        yield IDIOM, f"`{old}` -> `{new}`", text.replace(*text.span(node), new)
    elif isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Slice | ast.Tuple):
        index = node.slice
        minus_one = (
            isinstance(index, ast.UnaryOp)
            and isinstance(index.op, ast.USub)
            and is_int(index.operand, 1)
        )
        if is_int(index, 0) or minus_one:
            new = "-1" if is_int(index, 0) else "0"
            old = text.text(*text.span(index))
            yield IDIOM, f"index `{old}` -> `{new}`", text.replace(*text.span(index), new)


def _clause_edits(text: SourceText, node: ast.AST) -> Found:
    """A condition with one clause too many: each clause of ``a and b or ...`` dropped."""
    if not isinstance(node, ast.BoolOp) or len(node.values) < 2:
        return
    spans = [text.span(v) for v in node.values]
    for i, span in enumerate(spans):
        shown = text.text(*span)
        if i == 0:
            edited = text.replace(spans[0][0], spans[1][0], "")
        else:
            edited = text.replace(spans[i - 1][1], span[1], "")
        yield IDIOM, f"`{' '.join(shown.split())}` dropped from the condition", edited


def _edits_of_node(text: SourceText, node: ast.AST, tree: _TreeFacts) -> Found:
    if isinstance(node, ast.stmt) and id(node) in tree.unreturned:
        yield from missing_return_edits(text, node, tree.unreturned[id(node)])
    yield from identifier_edits(text, node, tree.scopes)
    yield from _clause_edits(text, node)
    if isinstance(node, ast.Compare):
        yield from _comparison_edits(text, node)
        yield from same_slip_edits(text, node, tree.kin)
    elif isinstance(node, ast.Constant):
        yield from _constant_edits(text, node)
    elif isinstance(node, ast.Call):
        yield from callee_edits(text, node, tree.calls)
        yield from _regex_edits(text, node)
    else:
        yield from _operator_edits(text, node, tree.kinds)
        yield from unary_minus_edits(text, node)
    for bound in _bound_expressions(node):
        yield from _plus_minus_one(text, bound)
    yield from scaled_index_edits(text, node)
    yield from extreme_edits(text, node, tree.extremes)
    yield from guard_edits(text, node, tree.entry, tree.returns)
    yield from format_spec_edits(text, node)
    yield from _slice_edits(text, node)
    yield from exception_edits(text, node)
    yield from discarded_result_edits(text, node)
    yield from normalization_edits(text, node, tree.entry)
    yield from missing_entry_edits(text, node)
    yield from changed_argument_edits(text, node, tree.changed, tree.entry)
    yield from order_edits(text, node)
    yield from operand_swap_edits(text, node, tree.kinds)
    yield from fewer_argument_edits(text, node)
    yield from dropped_transform_edits(text, node)
    yield from mixed_order_edits(text, node)
    yield from tuple_swap_edits(text, node)
    yield from _branch_edits(text, node)
    yield from idiom_edits(text, node, tree.kinds)
    yield from placement_edits(text, node, tree.places)
    yield from removal_edits(text, node)


def _compiles(tree: ast.Module) -> bool:
    try:
        compile(tree, "<source>", "exec", dont_inherit=True)
    except SyntaxError:
        return False  # out of its context (a nested function's ``nonlocal``): parsing will do
    return True


def edits(
    source: str, lines: Sequence[int], patterns: bool = True, tiers: Sequence[int] | None = None
) -> list[Edit]:
    """Small edits of the nodes that start on ``lines`` (1-based lines of
    ``source``), in the order the lines are given; each edit compiles and differs from the
    source. The ``def`` line itself is left alone (its defaults and signature).
    ``tiers`` (one per line, ascending): lines of one tier are ranked alike, and their
    edits are ordered by kind across them. ``patterns=False`` keeps the one-token slips
    only (no fix pattern, no removal)."""
    code = textwrap.dedent(source)
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    text = SourceText(code)
    wanted = set(lines)
    by_line: dict[int, list[tuple[int, str, str]]] = {}
    header_lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            header_lines.update(range(node.lineno, node.body[0].lineno))
    seen = {ast.dump(tree)}
    compiles = _compiles(tree)
    facts = _TreeFacts(
        scopes(tree),
        unreturned_results(tree),
        comparison_kin(tree),
        entry_of(tree),
        places(tree),
        calls_by_callee(tree),
        changed_parameters(tree),
        extreme_starts(tree),
        empty_returns(tree),
        value_kinds(tree),
    )
    for node in ast.walk(tree):
        line = getattr(node, "lineno", None)
        if line not in wanted or line in header_lines:
            continue
        for category, description, edited in _edits_of_node(text, node, facts):
            if edited is None or (not patterns and category >= IDIOM):
                continue
            try:
                edited_tree = ast.parse(edited)
                if compiles:  # a ``nonlocal`` left unbound, a ``break`` out of its loop
                    compile(edited_tree, "<edit>", "exec", dont_inherit=True)
            except SyntaxError:
                continue
            dumped = ast.dump(edited_tree)
            if dumped in seen:
                continue
            seen.add(dumped)
            by_line.setdefault(line, []).append((category, description, edited))
    found: list[tuple[int, int, Edit]] = []  # tier, kind, edit
    for position, line in enumerate(lines):
        tier = tiers[position] if tiers is not None else position
        variables = 0
        for category, description, edited in sorted(by_line.get(line, []), key=lambda e: e[0]):
            variables += category == VARIABLE
            if category != VARIABLE or variables <= MAX_VARIABLE_EDITS:
                found.append((tier, category, Edit(line, description, edited)))
    # Lines the spectrum ranks alike (a tier) are one place: its edits go round the kinds,
    # the first edit of each kind (likelier kinds first), then the second of each, so that a
    # long tier's many slips do not use up the limit before any fix pattern is tried.
    # Sorting is stable: within a kind, lines keep their order.
    # A removal stays last; a tier of one line keeps the kinds' order.
    lines_in = Counter(tiers or ())
    seen_of_kind: Counter[tuple[int, int]] = Counter()
    ordered = []
    for tier, category, edit in found:
        turn = seen_of_kind[(tier, category)]
        seen_of_kind[(tier, category)] += 1
        turn = turn if lines_in[tier] > 1 and category != REMOVAL else 0
        ordered.append(((tier, category == REMOVAL, turn, category), edit))
    ordered.sort(key=lambda pair: pair[0])
    return [edit for _, edit in ordered]
