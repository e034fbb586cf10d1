"""Whether a candidate that fixed no test came closer (core.closeness): pure functions over
recorded results, as pytest prints a failed equality."""

from __future__ import annotations

import pytest

from pytest_trace_opt.core.closeness import CLOSER, FARTHER, SAME, closer, distance, step
from pytest_trace_opt.model import Evaluation, TestResult


def failed(nodeid: str, left: object, right: object) -> TestResult:
    line = f"E       AssertionError: assert {left!r} == {right!r}"
    return TestResult(nodeid, "failed", feedback=[f"{nodeid}\n{line}"])


def raised(nodeid: str, error: str) -> TestResult:
    return TestResult(nodeid, "failed", feedback=[f"{nodeid}\nE       {error}"])


def passed(nodeid: str) -> TestResult:
    return TestResult(nodeid, "passed")


def ev(*results: TestResult) -> Evaluation:
    return Evaluation({r.nodeid: r for r in results}, {}, [], [], 0.0)


def test_distance_counts_the_parts_of_strings_and_collections() -> None:
    assert distance("Hola, there!", "Hola, Juan!") < distance("Hello, there!", "Hola, Juan!")
    assert distance([1, 2, 3], [1, 2, 3]) == 0.0
    assert distance([1, 2], [1, 2, 3]) < distance([9], [1, 2, 3])
    assert distance({"a": 1, "b": 2}, {"a": 1, "b": 3}) == pytest.approx(2 / 3)
    assert distance({1, 2}, {1, 2, 3}) < distance({4}, {1, 2, 3})


def test_numbers_booleans_and_mixed_kinds_are_not_measured() -> None:
    # 2 * 3 is nearer to 2 + 3 than 2 - 3 is: nearer in size is no sign of nearer code
    assert distance(6, 5) is None and distance(7.5, 7.0) is None
    assert distance(True, False) is None
    assert distance("1", 1) is None and distance([1], (1,)) is None


def test_the_operand_that_stayed_is_the_expected_value_whichever_side_it_is_on() -> None:
    before = failed("t::a", "Hello, there!", "Hola, Juan!")
    assert step(before, failed("t::a", "Hola, there!", "Hola, Juan!")) == CLOSER
    assert step(before, failed("t::a", "Bye", "Hola, Juan!")) == FARTHER
    expected_left = failed("t::a", [1, 2, 3], [3])
    assert step(expected_left, failed("t::a", [1, 2, 3], [2, 3])) == CLOSER
    assert step(expected_left, failed("t::a", [1, 2, 3], [4])) == FARTHER
    assert step(before, before) == SAME


def test_what_cannot_be_measured_is_none() -> None:
    before = failed("t::a", "ab", "abc")
    assert step(before, failed("t::a", "x", "xyz")) is None  # both operands changed
    assert step(before, raised("t::a", "ZeroDivisionError: division by zero")) is None
    assert step(raised("t::a", "KeyError: 'x'"), before) is None
    assert step(failed("t::a", ["ab"], "abc"), before) is None  # another kind
    assert step(failed("t::a", 6, 5), failed("t::a", 4, 5)) is None  # numbers
    # an exception unchanged is the same failure, not an unknown one
    assert step(raised("t::a", "KeyError: 'x'"), raised("t::a", "KeyError: 'x'")) == SAME


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        # both failing tests closer, the holdout too
        ((failed("t::b", "Hola, there!", "Hola, Juan!"),
          failed("t::c", "Hola, there!", "Hola, Lucía!"),
          failed("t::h", "Hola, there!", "Hola, Pedro!")), 2),
        # one closer, one unchanged: still a step
        ((failed("t::b", "Hola, there!", "Hola, Juan!"),
          failed("t::c", "Hello, there!", "Hola, Lucía!"),
          failed("t::h", "Hello, there!", "Hola, Pedro!")), 1),
        # a holdout farther: no step (the guard holds for closeness too)
        ((failed("t::b", "Hola, there!", "Hola, Juan!"),
          failed("t::c", "Hola, there!", "Hola, Lucía!"),
          failed("t::h", "Hello there, and goodbye", "Hola, Pedro!")), 0),
        # one failing test now raises: cannot be measured, no step
        ((failed("t::b", "Hola, there!", "Hola, Juan!"),
          raised("t::c", "AttributeError: 'NoneType' object has no attribute 'group'"),
          failed("t::h", "Hola, there!", "Hola, Pedro!")), 0),
    ],
)  # fmt: skip
def test_a_step_needs_one_test_closer_and_none_farther_or_unmeasured(
    candidate: tuple[TestResult, ...], expected: int
) -> None:
    best = ev(
        passed("t::a"),
        failed("t::b", "Hello, there!", "Hola, Juan!"),
        failed("t::c", "Hello, there!", "Hola, Lucía!"),
        failed("t::h", "Hello, there!", "Hola, Pedro!"),
    )
    assert closer(best, ev(passed("t::a"), *candidate), ["t::a", "t::b", "t::c"], ["t::h"]) == (
        expected
    )


def test_no_step_when_the_passing_tests_change() -> None:
    best = ev(passed("t::a"), failed("t::b", 1, 2))
    swapped = ev(failed("t::a", 0, 1), passed("t::b"))
    assert closer(best, swapped, ["t::a", "t::b"], []) == 0
