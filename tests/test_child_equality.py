"""The always-equal guard of the child runtime (child/equality.py ``forged_equality``), as a
pure function: nested containers, dict keys, honest objects, and its bound."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pytest_trace_opt.child import equality
from pytest_trace_opt.child.equality import forged_equality


class AlwaysEqual:
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = object.__hash__


@dataclass
class Point:
    x: int
    y: int


def test_an_always_equal_object_is_found_at_any_nesting_within_the_bound() -> None:
    assert forged_equality(AlwaysEqual()) == "AlwaysEqual"
    assert forged_equality([1, (2, {"k": [AlwaysEqual()]})]) == "AlwaysEqual"
    assert forged_equality({AlwaysEqual(): 1}) == "AlwaysEqual"  # as a dict key too
    deep: Any = AlwaysEqual()
    for _ in range(equality.MAX_EQUALITY_DEPTH):
        deep = [deep]
    assert forged_equality(deep) == "AlwaysEqual"
    assert forged_equality([deep]) is None  # past the depth bound: not looked at


def test_honest_values_pass() -> None:
    assert forged_equality(None) is None
    assert forged_equality([1, "a", 2.5, b"x", (Point(1, 2), {"p": Point(3, 4)})]) is None
    assert forged_equality({1, 2, 3}) is None


def test_the_number_of_values_compared_is_bounded() -> None:
    # 63 lists of 10 honest values come first: 693 values, more than the budget
    honest_then_forged: list[Any] = [list(range(10)) for _ in range(63)] + [[AlwaysEqual()]]
    assert equality.MAX_EQUALITY_ITEMS < 63 * 11
    assert forged_equality(honest_then_forged) is None  # past the budget: not compared
    assert forged_equality(honest_then_forged[-2:]) == "AlwaysEqual"  # within it: found
