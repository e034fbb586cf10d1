"""How a failing equality missed, in words: "the expected value starts with '+', which the
result lacks", "the result is 1 less than expected", "the same items in another order".

pytest prints ``assert '442079460958' == '+442079460958'`` and a character diff that a
developer reads at a glance and a small model mostly does not; the words name the edit to
make. Read from the first ``E   assert A == B`` line whose operands are Python literals (the
reprs pytest prints); which side is the result is known when it is the repr a trainable
returned in that test, and otherwise the sides are named left and right. Pure functions.
"""

from __future__ import annotations

import ast
import difflib
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from pytest_trace_opt.text import clip

MAX_STRING_EDITS = 3  # more edits than this and the words would be a second diff
MAX_ITEMS_NAMED = 4
TRUNCATED_REPR = 200  # pytest shortens longer reprs with "...": no longer the value


def compared_literals(error_line: str) -> tuple[Any, Any] | None:
    """The two operands of ``assert A == B`` when both are literals, else None."""
    text = error_line.strip()
    if text.startswith("E "):
        text = text[2:].strip()
    text = text.removeprefix("AssertionError: ")
    if not text.startswith("assert "):
        return None
    try:
        tree = ast.parse(text, mode="exec")
    except SyntaxError:
        return None
    stmt = tree.body[0] if len(tree.body) == 1 else None
    if not isinstance(stmt, ast.Assert) or stmt.msg is not None:
        return None
    test = stmt.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    if not isinstance(test.ops[0], ast.Eq):
        return None
    operands = (test.left, test.comparators[0])
    sources = [ast.get_source_segment(text, node) or "" for node in operands]
    if any(len(s) >= TRUNCATED_REPR or not s or "..." in s for s in sources):
        return None  # pytest shortens a long repr in the middle with "...": not the value
    try:
        return ast.literal_eval(operands[0]), ast.literal_eval(operands[1])
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def first_compared(error_lines: Iterable[str]) -> tuple[Any, Any] | None:
    """The operands of the first ``assert A == B`` of literals among ``error_lines``."""
    for line in error_lines:
        pair = compared_literals(line)
        if pair is not None:
            return pair
    return None


def describe_miss(error_lines: Iterable[str], outputs: Sequence[str] = ()) -> str | None:
    """One sentence on how the result differs from the expected value, or None.

    ``outputs``: the reprs the trainables returned in the test, to tell which operand is
    the result."""
    pair = first_compared(error_lines)
    if pair is None:
        return None
    left, right = pair
    left_returned, right_returned = _repr_in(left, outputs), _repr_in(right, outputs)
    if left_returned and not right_returned:
        found = difference(left, right)
    elif right_returned and not left_returned:
        found = difference(right, left)
    else:
        found = difference(left, right, result="the left side", expected="the right side")
    return clip(found, 300) if found else None


def _repr_in(value: Any, outputs: Sequence[str]) -> bool:
    """Whether a trainable returned ``value`` in the test (its repr is what was recorded)."""
    for output in outputs:
        if len(output) >= TRUNCATED_REPR:
            continue
        try:
            if type(found := ast.literal_eval(output)) is type(value) and found == value:
                return True
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue
    return False


def difference(
    actual: Any, wanted: Any, *, result: str = "the result", expected: str = "expected"
) -> str | None:
    """The difference between ``actual`` and ``wanted`` in a sentence, or None when no
    short sentence says it."""
    the_expected = "the expected value" if expected == "expected" else expected
    if actual == wanted:
        return None
    if isinstance(actual, bool) or isinstance(wanted, bool):
        return None  # True/False: the assert line already says all there is
    if isinstance(actual, int | float) and isinstance(wanted, int | float):
        return _numbers(actual, wanted, result, expected, the_expected)
    if isinstance(actual, str) and isinstance(wanted, str):
        return _strings(actual, wanted, result, the_expected)
    if type(actual) is not type(wanted):
        kinds = (type(actual).__name__, type(wanted).__name__)
        return f"{result} is a {kinds[0]}, {the_expected} a {kinds[1]}"
    if isinstance(actual, list | tuple):
        return _sequences(list(actual), list(wanted), result, the_expected)
    if isinstance(actual, set | frozenset):
        return _collections_apart(actual, wanted, result)
    if isinstance(actual, dict):
        return _dicts(actual, wanted, result, the_expected)
    return None


def _numbers(
    actual: float, wanted: float, result: str, expected: str, the_expected: str
) -> str | None:
    if not (math.isfinite(actual) and math.isfinite(wanted)):
        return None
    if wanted and actual == -wanted:
        return f"{result} has the wrong sign"
    if math.isclose(actual, wanted, rel_tol=1e-9, abs_tol=1e-12):
        return f"{result} differs from {expected} only by floating-point rounding"
    gap = actual - wanted
    words = f"{result} is {abs(gap):.6g} {'more' if gap > 0 else 'less'} than {expected}"
    if wanted and actual:
        ratio = actual / wanted
        if ratio >= 1.5 or 0 < ratio <= 2 / 3:
            words += f" ({ratio:.3g} times {the_expected})"
    return words


def _position(index: int, length: int) -> str:
    if index == 0:
        return "at the start"
    if index >= length:
        return "at the end"
    return f"at position {index}"


def _strings(actual: str, wanted: str, result: str, expected: str) -> str | None:
    if actual.lower() == wanted.lower():
        return f"{result} differs from {expected} only in upper/lower case"
    if actual.split() == wanted.split():
        return f"{result} differs from {expected} only in whitespace"
    if actual.strip() == wanted.strip():
        return f"{result} differs from {expected} only in leading or trailing whitespace"
    matcher = difflib.SequenceMatcher(None, actual, wanted, autojunk=False)
    edits = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    if not edits or len(edits) > MAX_STRING_EDITS or matcher.ratio() < 0.5:
        return None
    pairs = {(tag, actual[a0:a1], wanted[b0:b1]) for tag, a0, a1, b0, b1 in edits}
    if len(edits) > 1 and len(pairs) == 1 and edits[0][0] == "replace":
        _, have, want = pairs.pop()
        return f"{result} has {have!r} where {expected} has {want!r} ({len(edits)} places)"
    parts = []
    for tag, a0, a1, b0, b1 in edits:
        where = _position(a0, len(actual))
        if tag == "insert":
            parts.append(f"{expected} has {wanted[b0:b1]!r} {where}, which {result} lacks")
        elif tag == "delete":
            parts.append(f"{result} has an extra {actual[a0:a1]!r} {where}")
        else:
            parts.append(f"{result} has {actual[a0:a1]!r} {where} where {expected} has "
                         f"{wanted[b0:b1]!r}")  # fmt: skip
    return "; ".join(parts)


def _items(values: Iterable[Any]) -> str:
    shown = [clip(repr(v), 60) for v in list(values)[:MAX_ITEMS_NAMED]]
    return ", ".join(shown)


def _sequences(actual: list[Any], wanted: list[Any], result: str, expected: str) -> str | None:
    try:
        have, want = Counter(map(_hashable, actual)), Counter(map(_hashable, wanted))
        originals = {_hashable(v): v for v in [*wanted, *actual]}  # shown as written
    except TypeError:
        return None
    if have == want:
        first = next(i for i, (a, b) in enumerate(zip(actual, wanted, strict=True)) if a != b)
        if actual == wanted[::-1]:
            return f"{result} has the same items as {expected} in reverse order"
        return (
            f"{result} has the same items as {expected} in another order (first difference "
            f"at index {first}: {clip(repr(actual[first]), 60)} where {expected} has "
            f"{clip(repr(wanted[first]), 60)})"
        )
    missing, extra = want - have, have - want
    parts = [f"{result} has {len(actual)} item(s), {expected} {len(wanted)}"]
    if missing:
        parts.append(f"missing: {_items(originals[v] for v in missing.elements())}")
    if extra:
        parts.append(f"extra: {_items(originals[v] for v in extra.elements())}")
    if len(actual) + 1 == len(wanted) and wanted[:-1] == actual:
        parts.append("the last expected item is missing")
    elif len(actual) + 1 == len(wanted) and wanted[1:] == actual:
        parts.append("the first expected item is missing")
    elif len(actual) == len(wanted) + 1 and actual[:-1] == wanted:
        parts.append("the last item is extra")
    elif len(actual) == len(wanted) + 1 and actual[1:] == wanted:
        parts.append("the first item is extra")
    return "; ".join(parts)


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((repr(k), _hashable(v)) for k, v in value.items()))
    if isinstance(value, set):
        return frozenset(value)
    hash(value)
    return value


def _collections_apart(actual: Any, wanted: Any, result: str) -> str | None:
    missing, extra = [v for v in wanted if v not in actual], [v for v in actual if v not in wanted]
    parts = []
    if missing:
        parts.append(f"{result} lacks {_items(sorted(missing, key=repr))}")
    if extra:
        parts.append(f"{result} has extra {_items(sorted(extra, key=repr))}")
    return "; ".join(parts) or None


def _dicts(actual: dict[Any, Any], wanted: dict[Any, Any], result: str, expected: str) -> str:
    parts = []
    missing = [k for k in wanted if k not in actual]
    extra = [k for k in actual if k not in wanted]
    if missing:
        parts.append(f"{result} lacks the key(s) {_items(missing)}")
    if extra:
        parts.append(f"{result} has extra key(s) {_items(extra)}")
    wrong = [k for k in wanted if k in actual and actual[k] != wanted[k]]
    for key in wrong[:MAX_ITEMS_NAMED]:
        parts.append(
            f"at {clip(repr(key), 40)}: {clip(repr(actual[key]), 60)} where {expected} has "
            f"{clip(repr(wanted[key]), 60)}"
        )
    if len(wrong) > MAX_ITEMS_NAMED:
        parts.append(f"and {len(wrong) - MAX_ITEMS_NAMED} more key(s) differ")
    return "; ".join(parts)
