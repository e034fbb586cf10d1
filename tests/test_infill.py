"""Filling in the suspicious statement (core.infill): which statement, the text around the
hole, and the candidate a fill makes. Pure text; the real model's fill is in
test_e2e_real_llm.py."""

from __future__ import annotations

import ast

from pytest_trace_opt.core.infill import (
    Hole,
    call_hints,
    filled,
    pick_hole,
    prompt_parts,
    statement_span,
)
from pytest_trace_opt.model import TestResult
from pytest_trace_opt.protocol import CallRecord

KEY = "durations.py::format_duration"
MODULE = '''\
"""Durations for the dashboard."""

from pytest_trace_opt import trainable

SEPARATOR = ":"


@trainable
def format_duration(seconds):
    """H:MM:SS."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes}:{secs}"


def unrelated():
    return 1
'''
SOURCE = MODULE.split("@trainable\n", 1)[1].split("\n\n\n", 1)[0] + "\n"
DEF_LINE = 9


def result(
    nodeid: str, passed: bool, lines: list[int], call: CallRecord | None = None, error: str = ""
) -> TestResult:
    return TestResult(
        nodeid,
        "passed" if passed else "failed",
        feedback=[f"E   {error}"] if error else [],
        calls=[call] if call else [],
        lines={KEY: lines},
    )


def call(seconds: int, output: str) -> CallRecord:
    return CallRecord(KEY, "format_duration", {"seconds": str(seconds)}, output=repr(output))


def test_a_statement_is_its_lines_and_a_compound_statement_its_header() -> None:
    source = (
        "def f(xs):\n"
        "    total = sum(\n"
        "        xs)\n"
        "    for x in xs:\n"
        "        total += x\n"
        "    return total\n"
    )
    assert statement_span(source, 3) == (2, 3)  # a call over two lines is one statement
    assert statement_span(source, 4) == (4, 4)  # the loop's header, not its body
    assert statement_span(source, 5) == (5, 5)
    assert statement_span(source, 1) is None  # the def line is never filled in
    assert statement_span("def f(:\n", 1) is None
    assert statement_span("def f(x): return x + 1\n", 1) is None  # its body is on the def line
    assert statement_span("def f(x):\n    if x: return 1\n    return 2\n", 2) == (2, 2)


def test_the_most_suspicious_line_is_filled_in_and_of_equals_the_last() -> None:
    # every test runs every line (straight-line code): the last, nearest the result
    failing = [result("t::a", False, [11, 12, 13])]
    passing = [result("t::b", True, [11, 12, 13])]
    hole = pick_hole(KEY, SOURCE, DEF_LINE, failing, passing)
    assert hole == Hole(5, 5, '    return f"{hours}:{minutes}:{secs}"')
    # a line only the failing tests run is more suspicious than the last one
    failing = [result("t::a", False, [11, 12, 13])]
    passing = [result("t::b", True, [12, 13])]
    assert pick_hole(KEY, SOURCE, DEF_LINE, failing, passing) == Hole(
        3, 3, "    hours, rest = divmod(int(seconds), 3600)"
    )
    assert pick_hole(KEY, SOURCE, DEF_LINE, [result("t::a", False, [])], passing) is None


def test_a_later_fill_in_takes_the_next_statement_by_suspicion_not_filled_before() -> None:
    failing = [result("t::a", False, [11, 12, 13])]
    passing = [result("t::b", True, [12, 13])]
    first = pick_hole(KEY, SOURCE, DEF_LINE, failing, passing)
    assert first is not None and first.first == 3  # only the failing tests ran it
    # then the lines that tie below it, from the last; whitespace does not make it new
    filled = ["hours,  rest = divmod(int(seconds), 3600)"]
    second = pick_hole(KEY, SOURCE, DEF_LINE, failing, passing, filled)
    assert second == Hole(5, 5, '    return f"{hours}:{minutes}:{secs}"')
    third = pick_hole(KEY, SOURCE, DEF_LINE, failing, passing, [*filled, second.text])
    assert third == Hole(4, 4, "    minutes, secs = divmod(rest, 60)")
    everything = [*filled, second.text, third.text]
    assert pick_hole(KEY, SOURCE, DEF_LINE, failing, passing, everything) is None


def test_a_statement_that_hands_a_value_on_comes_after_the_ones_that_compute_it() -> None:
    source = "def f(xs):\n    total = sum(xs)\n    scaled = total * 2\n    return scaled\n"
    key, failing = "m.py::f", [TestResult("t::a", "failed", lines={"m.py::f": [2, 3, 4]})]
    done = ["scaled = total * 2", "total = sum(xs)"]
    order = [pick_hole(key, source, 1, failing, [], filled) for filled in ([], done[:1])]
    assert [h.text.strip() if h else None for h in order] == done
    last = pick_hole(key, source, 1, failing, [], done)
    assert last is not None and last.text.strip() == "return scaled"  # when nothing else is left


def test_the_hints_are_the_smallest_failing_calls_with_their_assertion_then_passing_calls() -> None:
    failing = [
        result("t::big", False, [], call(3725, "1:2:5"), "assert '1:2:5' == '1:02:05'"),
        result("t::small", False, [], call(65, "0:1:5"), "assert '0:1:5' == '0:01:05'"),
    ]
    passing = [result("t::ok", True, [], call(40271, "11:11:11"))]
    assert call_hints("format_duration", failing, passing) == [
        "# Failing test: format_duration(seconds=65) returned '0:1:5'; assert '0:1:5' == '0:01:05'",
        "# Failing test: format_duration(seconds=3725) returned '1:2:5'; "
        "assert '1:2:5' == '1:02:05'",
        "# Passing test: format_duration(seconds=40271) returned '11:11:11'",
    ]


def test_the_prompt_is_the_module_around_the_hole_with_the_hints_above_the_function() -> None:
    hole = Hole(5, 5, '    return f"{hours}:{minutes}:{secs}"')
    prompt = prompt_parts(MODULE, DEF_LINE, SOURCE, hole, ["# Failing test: x"])
    assert prompt is not None
    assert prompt.prefix.endswith(
        'SEPARATOR = ":"\n\n\n# Failing test: x\n@trainable\ndef format_duration(seconds):\n'
        '    """H:MM:SS."""\n    hours, rest = divmod(int(seconds), 3600)\n'
        "    minutes, secs = divmod(rest, 60)\n    "
    )
    assert prompt.prefix.startswith('"""Durations for the dashboard."""')
    assert prompt.suffix == "\n\n\ndef unrelated():\n    return 1\n"
    assert prompt.indent == ""
    assert prompt_parts(MODULE, 3, SOURCE, hole, []) is None  # no function there


def test_a_method_is_shown_at_its_indentation_and_its_fill_comes_back_dedented() -> None:
    module = (
        "class Clock:\n"
        "    @staticmethod\n"
        "    def label(seconds):\n"
        "        minutes = seconds // 60\n"
        "        return str(minutes)\n"
    )
    source = "def label(seconds):\n    minutes = seconds // 60\n    return str(minutes)\n"
    hole = Hole(3, 3, "    return str(minutes)")
    prompt = prompt_parts(module, 3, source, hole, ["# Failing test: label(seconds=60)"])
    assert prompt is not None
    assert prompt.prefix == (
        "class Clock:\n    # Failing test: label(seconds=60)\n    @staticmethod\n"
        "    def label(seconds):\n        minutes = seconds // 60\n        "
    )
    assert prompt.suffix == "\n"
    fill = "if minutes:\n            return f'{minutes} min'\n        return 'now'"
    new = filled(source, hole, fill, prompt.indent)
    assert new == (
        "def label(seconds):\n    minutes = seconds // 60\n    if minutes:\n"
        "        return f'{minutes} min'\n    return 'now'\n"
    )
    assert new is not None and ast.parse(new)


def test_a_fill_that_is_empty_or_the_statement_as_it_was_makes_no_candidate() -> None:
    hole = Hole(5, 5, '    return f"{hours}:{minutes}:{secs}"')
    assert filled(SOURCE, hole, "") is None
    assert filled(SOURCE, hole, '  return f"{hours}:{minutes}:{secs}"\n') is None
    new = filled(SOURCE, hole, 'return f"{hours}:{minutes:02}:{secs:02}"')
    assert new is not None
    assert new.splitlines()[-1] == '    return f"{hours}:{minutes:02}:{secs:02}"'
    assert new.splitlines()[:-1] == SOURCE.splitlines()[:-1]


def test_a_fill_that_writes_on_past_the_hole_is_cut_where_it_repeats_the_code_after() -> None:
    source = "def f(xs):\n    total = 0\n    for x in xs:\n        total += x\n    return total\n"
    hole = Hole(4, 4, "        total += x")
    fill = "total += x * 2\n    return total\n"  # the return is the code after the hole
    assert filled(source, hole, fill) == (
        "def f(xs):\n    total = 0\n    for x in xs:\n        total += x * 2\n    return total\n"
    )
    assert filled(source, hole, "total += x\n    return total") is None  # the same, then more
    assert filled(source, hole, "return total") is None  # nothing but the code after


def test_a_tied_statement_that_computes_nothing_is_passed_over_for_the_one_before() -> None:
    source = (
        "def plan(items):\n"
        "    plans = []\n"
        "    for item in items:\n"
        "        plans.append(item * 2)\n"
        "    return plans\n"
    )
    every_line = [2, 3, 4, 5]  # file lines, the def on line 1
    failing = [result("t::a", False, every_line)]
    passing = [result("t::b", True, every_line)]
    # ``return plans`` hands on a value made earlier: the statement that made it is filled
    assert pick_hole(KEY, source, 1, failing, passing) == Hole(
        4, 4, "        plans.append(item * 2)"
    )
    # alone at the top it goes one group down: a hole there gets the name back unchanged
    # (filled five times in a row with the real model), the statements that compute first
    top_alone = [result("t::b", True, [2, 3, 4])]
    assert pick_hole(KEY, source, 1, failing, top_alone) == Hole(
        4, 4, "        plans.append(item * 2)"
    )
    filled = ["plans.append(item * 2)", "for item in items:", "plans = []"]
    assert pick_hole(KEY, source, 1, failing, top_alone, filled) == Hole(5, 5, "    return plans")
    # a statement that returns a computed value is filled as before
    computed = source.replace("return plans", "return plans[:-1]")
    assert pick_hole(KEY, computed, 1, failing, passing) == Hole(5, 5, "    return plans[:-1]")
    # a loop whose last statements only hand on or leave: the assignment is filled
    leaving = (
        "def first_big(xs):\n"
        "    for x in xs:\n"
        "        big = x * 3\n"
        "        if big > 10:\n"
        "            break\n"
        "    return big\n"
    )
    lines = [2, 3, 4, 5, 6]
    picked = pick_hole(
        KEY, leaving, 1, [result("t::a", False, lines)], [result("t::b", True, lines)]
    )
    assert picked == Hole(4, 4, "        if big > 10:")
