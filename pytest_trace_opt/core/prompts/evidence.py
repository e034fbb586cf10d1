"""The feedback of a round: the evidence of every failing test, bounded.

Per failing test, what a developer would look at: the test's source (with its
parametrize decorator, which holds the expected values), the arguments it ran with, the
calls it made to the trainables and what they returned or raised (a recursion that did not
shrink its arguments is said so), the error, and how a failed equality missed, in words.
Parametrized cases of one test share its source. The smallest failing case (the shortest
run, then the smallest inputs) comes first; the passing tests are named briefly, as what
must keep working.
"""

from __future__ import annotations

import re
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field

from pytest_trace_opt.core.prompts.difference import describe_miss
from pytest_trace_opt.model import TestResult
from pytest_trace_opt.protocol import MAX_CALL_STEPS, YIELDED, CallRecord
from pytest_trace_opt.text import clip

MAX_FEEDBACK_CHARS = 4000
MAX_CASES_SHOWN = 6  # parametrized cases of one test shown in full
MAX_PASSING_NAMED = 8
# Passing tests shown with what their trainable calls returned (the first calls of each):
# a small model that sees only the failing inputs tends to break the working ones.
MAX_PASSING_WITH_CALLS = 3
MAX_PASSING_CALLS = 2
MAX_ERROR_LINES = 8
MAX_ERROR_LINE_CHARS = 400  # the children print whole reprs (verbosity_assertions=2)
_LOCATION = re.compile(r"^\S.*:\d+$")  # "calc.py:12", "<trace-opt candidate f>:12"


def first_error_line(result: TestResult) -> str:
    for line in result.feedback_text().splitlines():
        if line.startswith("E "):
            return clip(line[2:].strip(), 200)
    return result.outcome


def error_lines(result: TestResult) -> list[str]:
    """The ``E`` lines of the failure, and where it was raised when that was not the test."""
    text = result.feedback_text().strip()
    lines = text.splitlines()[1:] if text.startswith(result.nodeid) else text.splitlines()
    errors = [ln for ln in lines if ln.startswith("E ")][:MAX_ERROR_LINES]
    errors = [clip(ln, MAX_ERROR_LINE_CHARS) for ln in errors]
    if not errors:  # a crash, a timeout, a child that died: its own words
        return [clip(ln, 240) for ln in lines[:MAX_ERROR_LINES]] or [result.outcome]
    test_file = result.nodeid.split("::", 1)[0]
    places = [ln for ln in lines if _LOCATION.match(ln)]
    raised_in = [p for p in places if not p.startswith(test_file)]
    return [*(f"raised at {p}" for p in raised_in[-1:]), *errors]


def describe_call(call: CallRecord) -> str:
    args = ", ".join(f"{k}={v}" for k, v in call.args.items())
    head = f"{call.function}({args})"
    if call.exception:
        outcome = f"raised {call.exception}"
    elif call.types.get("return") == YIELDED:  # a generator: the values it yielded
        outcome = f"yielded {call.output}"
    else:
        outcome = f"returned {call.output}"
    text = f"{head} {outcome}"
    if call.depth > 1:
        text += f"; it called itself {call.depth - 1} level(s) deep"
        if call.recursion:
            inner = [", ".join(f"{k}={v}" for k, v in a.items()) for a in call.recursion]
            text += ": first with (" + "), (".join(inner) + ")"
            if len(call.recursion) > 1 and all(a == call.recursion[0] for a in call.recursion):
                text += " - the arguments did not change between calls"
            elif call.recursion[0] == call.args:
                text += " - the same arguments as the outer call"
    return clip(text, 600)


def _function_id(result: TestResult) -> str:
    return result.nodeid.split("[", 1)[0]


def _case_id(result: TestResult) -> str:
    return result.nodeid[len(_function_id(result)) :] or result.nodeid.rsplit("::", 1)[-1]


@dataclass
class _TestGroup:
    """The failing cases of one test function (one case unless parametrized)."""

    nodeid: str
    source: str
    line: int
    cases: list[TestResult] = field(default_factory=list)

    @property
    def size(self) -> tuple[int, int, int]:
        return min(case_size(r) for r in self.cases)


def lines_run(result: TestResult) -> int | None:
    """How many lines the case's traced call ran (the one its trace shows), or None."""
    traced = [c for c in result.calls if c.steps]
    if not traced:
        return None
    return len(traced[-1].steps) + traced[-1].more_steps


def case_size(result: TestResult) -> tuple[int, int, int]:
    """How big a failing case is: how many lines its traced call ran (the shortest run that
    still goes wrong is the easiest to follow, and its trace is whole), then the inputs it
    gave the trainables (its parametrize values when no call was recorded), then the length
    of its failure text. A case with no trace comes after every traced one."""
    ran = lines_run(result)
    inputs = sum(len(v) for call in result.calls for v in call.args.values())
    return (
        ran if ran is not None else sys.maxsize,
        inputs or len(str(result.arguments)),
        len(result.feedback_text()),
    )


def _groups(failing: Sequence[TestResult]) -> list[_TestGroup]:
    groups: dict[str, _TestGroup] = {}
    for result in failing:
        key = _function_id(result)
        group = groups.setdefault(key, _TestGroup(key, result.test_source, result.test_line))
        group.cases.append(result)
    for group in groups.values():
        group.cases.sort(key=case_size)
    return sorted(groups.values(), key=lambda g: g.size)


def steps_lines(result: TestResult) -> list[str]:
    """The line-by-line trace of the failing case's last traced call (child.steps)."""
    traced = [c for c in result.calls if c.steps]
    if not traced:
        return []
    call = traced[-1]
    args = ", ".join(f"{k}={v}" for k, v in call.args.items())
    head = f"    what {call.function.rsplit('.', 1)[-1]}({clip(args, 120)}) did, line by line"
    body = textwrap.dedent("\n".join(call.steps)).splitlines()
    if call.more_steps:
        body.append(f"... ({call.more_steps} more lines ran)")
    elif len(call.steps) >= MAX_CALL_STEPS:
        body.append("... (more lines ran)")
    return [head + " (# the values each line set):", *("      " + ln for ln in body)]


def _case_lines(result: TestResult, *, parametrized: bool, traced: bool = False) -> list[str]:
    out: list[str] = []
    if parametrized:
        out.append(f"  case {_case_id(result)}")
    if result.arguments:
        shown = ", ".join(f"{k}={v}" for k, v in result.arguments.items())
        out.append(f"    arguments: {clip(shown, 400)}")
    calls = [describe_call(c) for c in result.calls[:3]]
    if calls:
        out.append("    calls: " + "\n           ".join(calls))
    errors = error_lines(result)
    out += ["    " + ln for ln in errors]
    outputs = [c.output for c in result.calls if c.output is not None]
    miss = describe_miss(errors, outputs)
    if miss:
        out.append(f"    in words: {miss}")
    if traced:
        out += steps_lines(result)
    return out


def _group_lines(group: _TestGroup, full: bool, traced: bool = False) -> list[str]:
    """``traced``: show the trace of the group's first (smallest) case."""
    parametrized = any("[" in r.nodeid for r in group.cases)
    where = f" ({group.nodeid.split('::', 1)[0]}:{group.line})" if group.line else ""
    count = f": {len(group.cases)} case(s) fail" if parametrized else ""
    out = [f"FAILED {group.nodeid}{where}{count}"]
    if full and group.source:
        out += ["    " + ln for ln in group.source.splitlines()]
    for index, result in enumerate(group.cases[: MAX_CASES_SHOWN if full else 1]):
        out += _case_lines(result, parametrized=parametrized, traced=traced and index == 0)
    hidden = len(group.cases) - (MAX_CASES_SHOWN if full else 1)
    if hidden > 0:
        out.append(f"  ... and {hidden} more failing case(s) of this test")
    return out


def passing_line(passing: Sequence[TestResult]) -> str:
    if not passing:
        return ""
    named = []
    with_calls = 0
    for result in passing[:MAX_PASSING_NAMED]:
        name = result.nodeid.rsplit("::", 1)[-1]
        if result.arguments:
            shown = ", ".join(f"{k}={v}" for k, v in result.arguments.items())
            name += f" ({clip(shown, 80)})"
        if result.calls and with_calls < MAX_PASSING_WITH_CALLS:
            calls = [describe_call(c) for c in result.calls[:MAX_PASSING_CALLS]]
            more_calls = len(result.calls) - len(calls)
            name += ": " + clip("; ".join(calls) + ("; ..." if more_calls > 0 else ""), 240)
            with_calls += 1
        named.append(name)
    more = len(passing) - len(named)
    tail = f", and {more} more" if more > 0 else ""
    if with_calls:
        return "Passing tests (keep them passing):\n" + "\n".join(f"  {n}" for n in named) + tail
    return "Passing tests (keep them passing): " + "; ".join(named) + tail


def evidence_text(
    failing: Sequence[TestResult],
    passing: Sequence[TestResult] = (),
    budget: int = MAX_FEEDBACK_CHARS,
) -> list[str]:
    """The failing tests, smallest first; the first ones in full, the rest briefly."""
    lines: list[str] = []
    for index, group in enumerate(_groups(failing)):
        block = _group_lines(group, full=True, traced=index == 0)  # one trace per prompt
        size = sum(len(ln) + 1 for ln in block)
        if size > budget:
            block = _group_lines(group, full=False, traced=index == 0)
            size = sum(len(ln) + 1 for ln in block)
        if size > budget:
            lines.append(f"... and more failing tests, such as {group.nodeid}")
            break
        budget -= size
        lines += block
    passed = passing_line(passing)
    if passed:
        lines.append(clip(passed, max(200, min(budget, 1200))))
    return lines
