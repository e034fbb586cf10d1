"""Whether a candidate that fixed no test brought the failing results closer to what the
tests expect: a step worth keeping when a bug needs two changes (a language switch and a
name pattern) and neither alone makes a test pass.

Read from failed equalities of strings and collections, whose parts can be counted
(``E   assert A == B`` with literal operands, as pytest prints them): in the same test, the
operand that stayed the same from the best code to the candidate is the expected value and
the other is the result, so the two results can be compared against it. Anything else (an
exception, a number, a truncated repr, both operands changed) cannot be compared, and then
no step is taken. Pure functions.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from typing import Any

from pytest_trace_opt.core.prompts.difference import first_compared
from pytest_trace_opt.core.prompts.evidence import error_lines
from pytest_trace_opt.model import Evaluation, TestResult

FARTHER, SAME, CLOSER = -1, 0, 1


def _failure_text(lines: list[str]) -> list[str]:
    """The ``E`` lines (without where it was raised: line numbers move with the code)."""
    return [ln for ln in lines if ln.startswith("E ")] or lines


def distance(value: Any, expected: Any) -> float | None:
    """How much of ``expected`` ``value`` lacks or gets wrong, from 0 (equal) to 1; None when
    it cannot be said in parts: numbers and booleans (a number nearer in size is no sign of
    nearer code: ``a * b`` is nearer to ``a + b`` than ``a - b`` for small inputs) and
    values of different kinds."""
    if type(value) is not type(expected):
        return None
    if isinstance(value, str):
        parts, wanted = list(value), list(expected)
    elif isinstance(value, list | tuple):
        parts, wanted = [repr(v) for v in value], [repr(v) for v in expected]
    elif isinstance(value, set | frozenset | dict):
        have = {repr(v) for v in (value.items() if isinstance(value, dict) else value)}
        want = {repr(v) for v in (expected.items() if isinstance(expected, dict) else expected)}
        union = have | want
        return len(have ^ want) / len(union) if union else 0.0
    else:
        return None
    return 1.0 - difflib.SequenceMatcher(None, parts, wanted, autojunk=False).ratio()


def step(before: TestResult, after: TestResult) -> int | None:
    """CLOSER, SAME or FARTHER for one test failing in both; None when it cannot be said."""
    lines_before, lines_after = error_lines(before), error_lines(after)
    if _failure_text(lines_before) == _failure_text(lines_after):
        return SAME
    was, now = first_compared(lines_before), first_compared(lines_after)
    if was is None or now is None:
        return None
    if was[1] == now[1] and type(was[1]) is type(now[1]):
        expected, old, new = was[1], was[0], now[0]
    elif was[0] == now[0] and type(was[0]) is type(now[0]):
        expected, old, new = was[0], was[1], now[1]
    else:
        return None  # both operands changed: no fixed point to measure from
    old_gap, new_gap = distance(old, expected), distance(new, expected)
    if old_gap is None or new_gap is None:
        return None
    if math.isclose(old_gap, new_gap, rel_tol=1e-9, abs_tol=1e-12):
        return SAME
    return CLOSER if new_gap < old_gap else FARTHER


def closer(
    best: Evaluation, candidate: Evaluation, visible: Sequence[str], guarded: Sequence[str]
) -> int:
    """How many failing visible tests ``candidate`` brought closer to their expected values,
    when it passes the same tests as ``best`` and every test failing in both is measurably
    no farther (the guarded holdouts included); 0 otherwise."""
    ids = [*visible, *guarded]
    passed = {n for n in ids if n in best.tests and best.tests[n].passed}
    now = {n for n in ids if n in candidate.tests and candidate.tests[n].passed}
    if passed != now:
        return 0
    gained = 0
    for nodeid in ids:
        if nodeid in passed:
            continue
        if nodeid not in best.tests or nodeid not in candidate.tests:
            return 0
        moved = step(best.tests[nodeid], candidate.tests[nodeid])
        if moved is None or moved == FARTHER:
            return 0
        if moved == CLOSER and nodeid in visible:
            gained += 1
    return gained
