"""How a failed equality missed, in words (core/prompts/difference.py), and how rejected
attempts are shown (core/prompts): pure functions."""

from __future__ import annotations

import pytest

from pytest_trace_opt.core.groups import RejectedAttempt
from pytest_trace_opt.core.prompts import NO_GAIN, attempts_note, change_summary
from pytest_trace_opt.core.prompts.difference import compared_literals, describe_miss, difference
from pytest_trace_opt.core.prompts.evidence import evidence_text
from pytest_trace_opt.model import TestResult
from pytest_trace_opt.protocol import CallRecord


@pytest.mark.parametrize(
    "line, expected",
    [
        ("E   assert 4 == 5", (4, 5)),
        ("E   AssertionError: assert 'a' == 'b'", ("a", "b")),
        ("assert [1, (2, 3)] == []", ([1, (2, 3)], [])),
        ("E   assert f(3) == 4", None),  # not a literal
        ("E   assert 4 != 5", None),
        ("E   assert 1 == 2 == 3", None),
        ("E   assert 'x' == 'x' + 'y'", None),
        ("E   AssertionError: boom", None),
        ("E   assert '" + "a" * 300 + "' == 'b'", None),  # pytest would have shortened it
        # shortened in the middle, as pytest does at -q: not the values
        ("E   assert '/blog/2024/w...-new-in-3-0-/' == '/blog/2024/w...s-new-in-3-0/'", None),
    ],
)
def test_compared_literals(line, expected):
    assert compared_literals(line) == expected


@pytest.mark.parametrize(
    "actual, wanted, words",
    [
        ("442079460958", "+442079460958",
         "the expected value has '+' at the start, which the result lacks"),
        ("abc!", "abc", "the result has an extra '!' at position 3"),
        ("abd", "abc", "the result has 'd' at position 2 where the expected value has 'c'"),
        ("a-b-c", "a_b_c", "the result has '-' where the expected value has '_' (2 places)"),
        ("Hello", "hello", "the result differs from the expected value only in upper/lower case"),
        ("a  b", "a b", "the result differs from the expected value only in whitespace"),
        (4, 5, "the result is 1 less than expected"),
        (10, 5, "the result is 5 more than expected (2 times the expected value)"),
        (-3, 3, "the result has the wrong sign"),
        (0.1 + 0.2, 0.3, "the result differs from expected only by floating-point rounding"),
        ([3, 2, 1], [1, 2, 3], "the result has the same items as the expected value in "
         "reverse order"),
        ([1, 2], [1, 2, 3], "the result has 2 item(s), the expected value 3; missing: 3; the "
         "last expected item is missing"),
        ((1, 2), [1, 2], "the result is a tuple, the expected value a list"),
        ([["a", "b"], ["b"]], [["a", "b"], ["b", "a"]],
         "the result has 2 item(s), the expected value 2; missing: ['b', 'a']; extra: ['b']"),
        ({"a": 1}, {"a": 2, "b": 3}, "the result lacks the key(s) 'b'; at 'a': 1 where the "
         "expected value has 2"),
        ({1, 2}, {2, 3}, "the result lacks 3; the result has extra 1"),
        ("abc", "xyz", None),  # nothing in common: the assert line says it better
        (True, False, None),
    ],
)  # fmt: skip
def test_difference_in_words(actual, wanted, words):
    assert difference(actual, wanted) == words


def test_the_result_is_the_side_a_trainable_returned():
    lines = ["E   assert 5 == 4"]
    assert describe_miss(lines, ["4"]) == "the result is 1 less than expected"
    assert describe_miss(lines, ["5"]) == "the result is 1 more than expected"
    # unknown, or both returned: the sides are named as they stand
    assert describe_miss(lines, []) == "the left side is 1 more than the right side"
    assert describe_miss(lines, ["4", "5"]) == "the left side is 1 more than the right side"
    assert describe_miss(["E   assert 5 == 5"], []) is None
    assert describe_miss(["E   ZeroDivisionError: division by zero"], ["1"]) is None


def test_the_words_reach_the_feedback_of_a_failing_case():
    result = TestResult(
        nodeid="test_phone.py::test_international",
        outcome="failed",
        feedback=[
            "test_phone.py::test_international",
            "E   AssertionError: assert '4420' == '+4420'",
        ],
        calls=[CallRecord("phone.py::canonical", "canonical", {"raw": "'+44 20'"},
                          output="'4420'")],
    )  # fmt: skip
    text = "\n".join(evidence_text([result]))
    assert "in words: the expected value has '+' at the start, which the result lacks" in text


# -- rejected attempts: where they changed the code, never their lines ---------------------

CURRENT = """def canonical(raw):
    digits = "".join(ch for ch in raw if ch.isdigit())
    if len(digits) < 6:
        raise ValueError(raw)
    return digits
"""
ATTEMPT = """def canonical(raw):
    raw = raw.strip()
    digits = "".join(ch for ch in raw if ch.isdigit() or ch == "(")
    if len(digits) < 6:
        raise ValueError(raw)
    return digits
"""


def test_a_rejected_attempt_is_shown_by_where_it_changed_the_code_not_by_its_lines():
    attempts = [
        RejectedAttempt({"m.py::canonical": ATTEMPT}, "it passes fewer tests (7 instead of 8)",
                        "test_dots: assert '(020)' == '020'"),
        RejectedAttempt({"m.py::PROMPT": "Say hi to {name}"}, NO_GAIN),
    ]  # fmt: skip
    text = "\n".join(attempts_note(attempts, {"m.py::canonical": CURRENT, "m.py::PROMPT": "x"}))
    assert (
        "- attempt 1: in canonical it changed "
        '`digits = "".join(ch for ch in raw if ch.isdigit())` and added 1 line(s). '
        "Rejected: it passes fewer tests (7 instead of 8)." in text
    )
    assert "With it: test_dots: assert '(020)' == '020'" in text
    assert "- attempt 2: in PROMPT it tried the value 'Say hi to {name}'." in text
    assert "raw.strip()" not in text and 'ch == "("' not in text  # nothing to copy back
    assert attempts_note([], {}) == []


def test_only_the_latest_attempts_are_shown_numbered_as_they_came():
    attempts = [RejectedAttempt({"m.py::K": n}, NO_GAIN) for n in range(1, 6)]
    text = "\n".join(attempts_note(attempts, {"m.py::K": 0}))
    assert "attempt 1:" not in text and "attempt 2:" not in text
    assert [f"attempt {n}:" in text for n in (3, 4, 5)] == [True] * 3


def test_an_attempt_that_only_adds_lines_says_so():
    added = CURRENT.replace("    return digits", "    if raw.startswith('+'):\n"
                            "        digits = '+' + digits\n    return digits")  # fmt: skip
    assert change_summary(CURRENT, added) == "added 2 line(s), changing none of the lines above"
