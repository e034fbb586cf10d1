"""Unit tests of the evidence the optimizer is shown: fault localization, module context,
per-test evidence, collapsed recursion, line recording, and the Repair reply parsing.

Pure logic over real code objects and real source text; the one stand-in is
``FakeItem`` (a test double for a pytest item: ``callspec``, ``funcargs``, ``obj``)."""

from __future__ import annotations

import sys
import textwrap
from types import SimpleNamespace
from typing import Any

import pytest

from pytest_trace_opt.child.coverage import LineRecorder
from pytest_trace_opt.child.evidence import arguments_of, source_of
from pytest_trace_opt.child.failure_text import collapse_repeats
from pytest_trace_opt.child.steps import EXEC_FILENAME, MAX_STEPS, Steps, exec_source
from pytest_trace_opt.core.context import code_context, shared_context, value_context
from pytest_trace_opt.core.localize import rank_lines, suspicious_lines
from pytest_trace_opt.core.prompts.evidence import describe_call, evidence_text
from pytest_trace_opt.core.prompts.repair import CodeShown, strip_marks, user_prompt
from pytest_trace_opt.model import TestResult
from pytest_trace_opt.protocol import CallRecord


def result(nodeid: str, passed: bool, lines: list[int] | None = None, **extra: Any) -> TestResult:
    return TestResult(
        nodeid=nodeid,
        outcome="passed" if passed else "failed",
        lines={"m.f": lines or []},
        **extra,
    )


# -- localization ----------------------------------------------------------------------------
def test_the_line_only_failing_tests_run_ranks_first() -> None:
    failing = [result("t::a", False, [1, 2, 5]), result("t::b", False, [1, 2, 5])]
    passing = [result("t::c", True, [1, 2, 3]), result("t::d", True, [1, 2, 4])]
    ranked = rank_lines("m.f", failing, passing)
    assert ranked[0].line == 5 and ranked[0].score == 1.0
    assert (ranked[0].failing, ranked[0].passing) == (2, 0)
    assert [s.line for s in suspicious_lines("m.f", failing, passing)] == [5]


def test_straight_line_code_marks_nothing() -> None:
    failing = [result("t::a", False, [1, 2, 3])]
    passing = [result("t::b", True, [1, 2, 3])]
    assert suspicious_lines("m.f", failing, passing) == []


def test_no_spectrum_marks_nothing() -> None:
    assert suspicious_lines("m.f", [result("t::a", False)], [result("t::b", True, [1])]) == []


# -- module context --------------------------------------------------------------------------
MODULE = textwrap.dedent('''\
    """Prices in cents. Discounts never make a price negative."""

    RATE = 0.2  # the discount rate
    UNUSED = 3

    SPEC = """A member pays the price minus the discount, rounded down to whole cents."""


    def _floor(x):
        return int(x // 1)


    # Applies the member discount.
    # Called once per basket line.
    def discount(price):
        return _floor(price * (1 + RATE))


    class Basket:
        """A list of prices."""

        def __init__(self):
            self.items = []

        def add(self, price):
            self.items.append(price)

        def total(self):
            return sum(self.items) + self.fee

        def unrelated(self):
            return 1
''')


def test_context_holds_the_docs_comments_and_what_the_code_reads() -> None:
    context = code_context(MODULE, "discount", 15, whole_up_to=0)  # by what the code reads
    assert "Discounts never make a price negative" in context
    assert "rounded down to whole cents" in context
    assert "# Applies the member discount." in context and "# Called once" in context
    assert "RATE = 0.2" in context and "def _floor(x):" in context
    assert "UNUSED" not in context and "class Basket" not in context


def test_context_of_a_method_outlines_its_class() -> None:
    context = code_context(MODULE, "Basket.total", 27, whole_up_to=0)
    assert "class Basket" in context and "A list of prices." in context
    assert "self.items = []" in context  # __init__ in full
    assert "def unrelated(self):" in context  # other members by signature
    assert "return sum(self.items)" not in context  # the method itself is shown elsewhere


def test_context_is_bounded_and_excludes_the_targets_shown() -> None:
    context = code_context(
        MODULE, "discount", 15, exclude=frozenset({"_floor"}), limit=120, whole_up_to=0
    )
    assert "def _floor" not in context
    assert len(context) <= 200
    assert code_context("def broken(:\n", "broken", 1) == ""
    assert code_context(MODULE, "missing", 999) == ""


def test_a_small_module_is_shown_whole_without_the_code_to_fix() -> None:
    context = code_context(MODULE, "Basket.total", 27, exclude=frozenset({"discount"}))
    assert "UNUSED = 3" in context and "def _floor(x):" in context  # read or not
    assert "# discount: the code to fix, shown below" in context
    assert "\n    # total: the code to fix, shown below" in context
    assert "return sum(self.items)" not in context and "_floor(price *" not in context
    assert "def unrelated(self):\n        return 1" in context
    assert len(code_context(MODULE, "discount", 15, whole_up_to=100)) < len(MODULE) // 2


MAILER = '''\
"""Dispatch e-mails."""

from opto.trace import node

# Customers track parcels with the carrier's code.
SUBJECT = node(
    "Your order {order_id} has shipped",
    trainable=True,
)
FIELDS = ("order_id", "carrier", "tracking_code")
PADDING = "x"


def subject_line(order):
    return SUBJECT.data.format(**{f: order[f] for f in FIELDS})


def unrelated():
    return PADDING


class Mailer:
    def send(self):
        return self.greeting
'''


def test_a_value_is_shown_with_the_code_that_fills_it_in() -> None:
    whole = value_context(MAILER, "SUBJECT", 7)  # a line inside the node(...) call
    assert "# SUBJECT: the value to change, shown below" in whole
    assert "has shipped" not in whole  # shown once, as the value to change
    assert "FIELDS = (" in whole and "def subject_line(order):" in whole
    by_reader = value_context(MAILER, "SUBJECT", 6, whole_up_to=0)
    assert "# Customers track parcels with the carrier's code." in by_reader
    assert "def subject_line(order):" in by_reader and "FIELDS = (" in by_reader
    assert "def unrelated" not in by_reader and "PADDING" not in by_reader
    member = value_context(MAILER, "greeting", 6, whole_up_to=0)
    assert "return self.greeting" in member
    assert value_context("x = (\n", "x", 1) == ""
    assert value_context(MAILER, "SUBJECT", 999) == ""


def test_several_trainables_of_one_small_module_share_one_context_shown_once() -> None:
    shown = [("SUBJECT", 7, False), ("subject_line", 14, True)]
    shared = shared_context(MAILER, shown)
    assert "# SUBJECT: the value to change, shown below" in shared
    assert "# subject_line: the code to fix, shown below" in shared
    assert "has shipped" not in shared and "SUBJECT.data.format" not in shared
    assert "def unrelated():" in shared
    assert shared_context(MAILER, shown, whole_up_to=10) == ""  # each its own, as before
    assert shared_context(MAILER, [("SUBJECT", 7, False), ("nowhere", 99, True)]) == ""
    inside = "def f():\n    LIMIT = node(3)\n    return LIMIT\n"
    assert shared_context(inside, [("f", 1, True), ("LIMIT", 2, False)]) == ""  # nested
    codes = [
        CodeShown("SUBJECT", None, "mail.py", 6, "'Your order {order_id}'", context=shared),
        CodeShown("subject_line", "subject_line", "mail.py", 14, "def subject_line(order):\n"
                  "    return 1", context=shared),
    ]  # fmt: skip
    prompt = user_prompt(codes, "1 of 1 tests fail.")
    assert prompt.count("## Context from mail.py") == 1
    assert prompt.index("## Context") < prompt.index("## Value to change: SUBJECT")
    assert prompt.index("## Value to change") < prompt.index("## Code to fix: subject_line")


# -- a failing test's own evidence -----------------------------------------------------------
class FakeItem:
    """Test double for a pytest item (only what ``child.evidence`` reads)."""

    def __init__(self, obj: Any, params: dict[str, Any], funcargs: dict[str, Any]) -> None:
        self.obj = obj
        self.callspec = SimpleNamespace(params=params)
        self.funcargs = funcargs


@pytest.mark.parametrize("word,expected", [("ab", "ba")])
def sample_test(word: str, expected: str) -> None:
    assert word[::-1] == expected


def test_arguments_keep_parametrize_values_and_plain_fixtures_only() -> None:
    item = FakeItem(
        sample_test,
        {"word": "ab", "expected": "ba"},
        {"word": "ab", "expected": "ba", "limit": 3, "tmp_path": "/x", "db": object()},
    )
    assert arguments_of(item) == {"word": "'ab'", "expected": "'ba'", "limit": "3"}
    big = FakeItem(sample_test, {"data": list(range(10_000))}, {})
    assert len(arguments_of(big)["data"]) <= 220


def test_source_of_a_test_includes_its_decorators() -> None:
    text, line = source_of(FakeItem(sample_test, {}, {}))
    assert text.startswith("@pytest.mark.parametrize") and "def sample_test" in text
    assert line > 0
    assert source_of(FakeItem(len, {}, {})) == ("", 0)


def test_feedback_shows_expected_values_arguments_and_calls_smallest_first() -> None:
    source = (
        '@pytest.mark.parametrize("n,expected", [(3, 6), (50, 1275)])\ndef test_tri(n, expected):'
    )
    common = {"test_source": source, "test_line": 4}
    small = result(
        "t.py::test_tri[3-6]", False, arguments={"n": "3", "expected": "6"},
        calls=[CallRecord(key="m.tri", function="tri", args={"n": "3"}, output="3")],
        feedback="E   assert 3 == 6", **common,
    )  # fmt: skip
    large = result(
        "t.py::test_tri[50-1275]", False, arguments={"n": "50", "expected": "1275"},
        feedback="E   assert 50 == 1275\n" + "E   detail\n" * 40, **common,
    )  # fmt: skip
    text = "\n".join(evidence_text([large, small], [result("t.py::test_one", True)]))
    assert "FAILED t.py::test_tri (t.py:4): 2 case(s) fail" in text
    assert "(3, 6), (50, 1275)" in text  # the decorator: the expected values
    assert text.index("case [3-6]") < text.index("case [50-1275]")
    assert "arguments: n=3, expected=6" in text
    assert "tri(n=3) returned 3" in text
    assert "Passing tests (keep them passing): test_one" in text
    # a passing test that called the trainable shows what it returned: what must keep working
    ok = result(
        "t.py::test_tri[1-1]", True, arguments={"n": "1", "expected": "1"},
        calls=[CallRecord(key="m.tri", function="tri", args={"n": "1"}, output="1")] * 3,
    )  # fmt: skip
    text = "\n".join(evidence_text([small], [ok, result("t.py::test_one", True)]))
    assert (
        "Passing tests (keep them passing):\n"
        "  test_tri[1-1] (n=1, expected=1): tri(n=1) returned 1; tri(n=1) returned 1; ...\n"
        "  test_one"
    ) in text


def test_feedback_is_bounded() -> None:
    many = [
        result(
            f"t{i}.py::test_x", False, feedback="E   " + "x" * 900, test_source="def test_x(): ..."
        )
        for i in range(40)
    ]
    text = "\n".join(evidence_text(many, budget=3000))
    assert len(text) < 3600 and "... and more failing tests" in text


def test_a_recursion_that_does_not_shrink_its_arguments_is_said_so() -> None:
    call = CallRecord(
        key="m.search", function="search", args={"lo": "3", "hi": "5"}, exception="RecursionError",
        depth=998, recursion=[{"lo": "3", "hi": "5"}, {"lo": "3", "hi": "5"}],
    )  # fmt: skip
    text = describe_call(call)
    assert "called itself 997 level(s) deep" in text
    assert "the arguments did not change between calls" in text


def test_repeated_frames_are_collapsed() -> None:
    frames = [("t.py:3", "t.py:3: in test\n    search(0, 9)")]
    frames += [("f.py:11", "f.py:11: in search\n    return search(mid, end)")] * 6
    frames += [("f.py:2", "f.py:2: RecursionError")]
    out = collapse_repeats(frames)
    assert out.count("f.py:11: in search\n    return search(mid, end)") == 1
    assert "... the call at f.py:11 repeated 5 more time(s) (recursion)" in out
    assert out[0].startswith("t.py:3") and out[-1] == "f.py:2: RecursionError"
    pair = [("a.py:1", "a"), ("b.py:2", "b")] * 4
    assert collapse_repeats(pair) == [
        "a",
        "b",
        "... the call at a.py:1 and b.py:2 repeated 3 more time(s) (recursion)",
    ]


# -- recording the lines a trainable runs ----------------------------------------------------
def clamp(x: int) -> int:
    if x < 0:
        return 0
    return x


def test_line_recorder_sees_only_the_watched_code_while_it_runs() -> None:
    if sys.gettrace() is not None and sys.version_info < (3, 12):
        pytest.skip("another tracer (coverage, a debugger) is active")
    seen: list[tuple[str, int]] = []
    recorder = LineRecorder(lambda key, line: seen.append((key, line)))
    recorder.watch(clamp.__code__, "mod.clamp")
    first = clamp.__code__.co_firstlineno
    clamp(-1)  # not between enter and exit: not recorded
    assert seen == []
    recorder.begin_test()
    recorder.enter()
    try:
        clamp(-1)
    finally:
        recorder.exit()
    assert sorted(set(seen)) == [("mod.clamp", first + 1), ("mod.clamp", first + 2)]
    seen.clear()
    recorder.begin_test()
    recorder.enter()
    try:
        clamp(5)
    finally:
        recorder.exit()
    assert sorted(set(seen)) == [("mod.clamp", first + 1), ("mod.clamp", first + 3)]


def digits_of(text: str) -> int:
    number = 0
    for ch in text:
        number = int(ch)
    return number


def fails_on_empty(text: str) -> str:
    first = text[0]
    return first


def traced_call(fn: Any, *args: Any) -> CallRecord:
    record = CallRecord(key="m.f", function=fn.__name__, args={})
    steps = Steps()
    recorder = LineRecorder(lambda key, line: None, steps)
    recorder.watch(fn.__code__, "m.f")
    recorder.begin_test()
    steps.begin(record)
    recorder.enter()
    try:
        fn(*args)
    except Exception:
        pass
    finally:
        recorder.exit()
    return record


def test_the_outer_call_is_traced_line_by_line_with_the_values_each_line_set() -> None:
    if sys.gettrace() is not None and sys.version_info < (3, 12):
        pytest.skip("another tracer (coverage, a debugger) is active")
    record = traced_call(digits_of, "45")
    shown = [" ".join(step.split()) for step in record.steps]
    assert shown[:5] == [
        "number = 0 # number=0",
        "for ch in text: # ch='4'",
        "number = int(ch) # number=4",
        "for ch in text: # ch='5'",
        "number = int(ch) # number=5",
    ]
    if sys.version_info < (3, 12):  # sys.monitoring's LINE events do not see the return
        assert shown[-1] == "return number # returns 5"


def test_a_traced_call_that_raises_says_so_and_long_loops_are_bounded() -> None:
    if sys.gettrace() is not None and sys.version_info < (3, 12):
        pytest.skip("another tracer (coverage, a debugger) is active")
    if sys.version_info < (3, 12):
        assert (
            traced_call(fails_on_empty, "")
            .steps[-1]
            .split("# ")[-1]
            .startswith("raises IndexError")
        )
    record = traced_call(digits_of, "7" * 200)
    assert len(record.steps) == MAX_STEPS
    if sys.version_info < (3, 12):  # sys.monitoring stops reporting once the steps are full
        assert record.more_steps > 300


def slug_of(title):
    cleaned = title.lower().replace(
        " ",
        "-",
    )
    total = 0
    for ch in cleaned: total += len(ch)  # noqa: E701  # fmt: skip
    return cleaned.strip(
        "-"
    )


def test_a_statement_over_several_lines_is_one_step_and_a_one_line_loop_repeats() -> None:
    if sys.gettrace() is not None and sys.version_info < (3, 12):
        pytest.skip("another tracer (coverage, a debugger) is active")
    record = traced_call(slug_of, "a b")
    shown = [" ".join(step.split()) for step in record.steps]
    assert shown[0] == "cleaned = title.lower().replace( ... # cleaned='a-b'"
    assert shown[1] == "total = 0 # total=0"
    assert len([s for s in shown if s.startswith("for ch in cleaned: total += len(ch)")]) >= 3
    assert shown[-1] == "return cleaned.strip( ... # returns 'a-b'"
    assert not any(s.startswith(('" "', '"-"', ")")) for s in shown)


def test_the_smallest_failing_input_comes_first_whatever_its_message_length() -> None:
    big = CallRecord(key="m.f", function="m.f", args={"graph": "{" + "'a': ['b'], " * 20 + "}"})
    small = CallRecord(key="m.f", function="m.f", args={"graph": "{'a': ['b']}"})
    short_message = TestResult("t.py::test_big", "failed", feedback=["E   x"], calls=[big])
    long_message = TestResult(
        "t.py::test_small", "failed", feedback=["E   " + "diff " * 40], calls=[small]
    )
    text = "\n".join(evidence_text([short_message, long_message]))
    assert text.index("test_small") < text.index("test_big")


def test_the_failing_case_whose_call_ran_the_fewest_lines_comes_first_and_is_traced() -> None:
    # fewest_coins(0, EURO) runs four lines and shows the bug (best[0] is never 0) whole;
    # fewest_coins(30, [1, 15, 25]) has the shorter arguments but runs hundreds of lines
    short_run = CallRecord(
        key="m.f", function="m.fewest_coins",
        args={"amount": "0", "coins": "[1, 2, 5, 10, 20, 50]"},
        steps=["    best = [inf] * (amount + 1)  # best=[inf]", "    return None  # returns None"],
    )  # fmt: skip
    long_run = CallRecord(
        key="m.f", function="m.fewest_coins", args={"amount": "30", "coins": "[1, 15]"},
        steps=["    for value in range(1, amount + 1):  # value=1"] * MAX_STEPS, more_steps=200,
    )  # fmt: skip
    untraced = CallRecord(key="m.f", function="m.fewest_coins", args={"amount": "1"})
    results = [
        TestResult("t.py::test_untraced", "failed", feedback=["E   x"], calls=[untraced]),
        TestResult("t.py::test_long", "failed", feedback=["E   x"], calls=[long_run]),
        TestResult("t.py::test_short", "failed", feedback=["E   x"], calls=[short_run]),
    ]
    text = "\n".join(evidence_text(results))
    assert text.index("test_short") < text.index("test_long") < text.index("test_untraced")
    assert "what fewest_coins(amount=0, coins=[1, 2, 5, 10, 20, 50]) did, line by line" in text
    assert text.count("line by line") == 1


def test_the_feedback_shows_the_trace_of_the_smallest_failing_case_only() -> None:
    call = CallRecord(
        key="m.f", function="m.digits_of", args={"text": "'45'"}, output="5",
        steps=["    number = 0  # number=0", "    for ch in text:  # ch='4'"], more_steps=3,
    )  # fmt: skip
    small = TestResult("t.py::test_a", "failed", feedback=["E   assert 5 == 45"], calls=[call])
    other = TestResult(
        "t.py::test_b", "failed", feedback=["E   assert 5 == 4500, and a longer message"],
        calls=[call],
    )  # fmt: skip
    text = "\n".join(evidence_text([other, small]))
    assert text.count("line by line") == 1
    assert "what digits_of(text='45') did, line by line" in text
    assert "      number = 0  # number=0\n      for ch in text:  # ch='4'" in text
    assert "... (3 more lines ran)" in text
    assert text.index("line by line") < text.index("t.py::test_b")


# -- the Repair prompt and its replies -------------------------------------------------------
def test_prompt_marks_suspicious_lines_and_a_copied_mark_is_removed() -> None:
    code = CodeShown(
        name="clamp", function_name="clamp", file="m.py", line=10,
        text="def clamp(x):\n    if x < 0:\n        return 1\n    return x",
        context="LIMIT = 0", suspicious=((12, 2, 2, 0),),
    )  # fmt: skip
    prompt = user_prompt([code], "FAILED t.py::test_neg")
    assert "        return 1  # <- line 12: suspicious, run by 2 of 2 failing tests" in prompt
    assert "## Context from m.py (not to be changed)" in prompt and "LIMIT = 0" in prompt
    assert prompt.index("## Tests") < prompt.index("Reply with the complete corrected definition")
    copied = "    return 1  # <- line 12: suspicious, run by 2 of 2 failing tests\n"
    assert strip_marks(copied) == "    return 1\n"
    reworded = "    return 0  # <- line 12: fixed, run by 2 of 2 failing tests and 2 passing\n"
    assert strip_marks(reworded) == "    return 0\n"


def test_value_from_reply_reads_the_assignment_or_a_bare_literal() -> None:
    from pytest_trace_opt.core.repair import value_from_reply

    assert value_from_reply("Here:\n```python\nRATE = 0.25\n```", "RATE") == (True, 0.25)
    assert value_from_reply("```python\n{'a': 1}\n```", "RATE") == (True, {"a": 1})
    assert value_from_reply("```python\nRATE = compute()\n```", "RATE") == (False, None)
    assert value_from_reply("no code at all", "RATE") == (False, None)


def test_a_value_is_shown_under_its_own_description() -> None:
    shown = CodeShown(
        "SUBJECT", None, "mail.py", 6, "'Your order {order_id}'",
        context="# SUBJECT: the value to change, shown below",
        description="Subject line, filled with str.format(**fields)",
    )  # fmt: skip
    prompt = user_prompt([shown], "1 of 2 tests fail.")
    assert (
        "```python\n# Subject line, filled with str.format(**fields)\n"
        "SUBJECT = 'Your order {order_id}'\n```" in prompt
    )
    assert "## Context from mail.py (not to be changed)" in prompt


def test_lines_of_exec_source_are_read_from_its_text_and_a_nested_one_restores_it() -> None:
    import linecache

    assert linecache.getline(EXEC_FILENAME, 1) == ""
    with exec_source("def f():\n    return 1\n"):
        assert linecache.getline(EXEC_FILENAME, 2) == "    return 1\n"
        with exec_source("def g():\n    pass\n"):
            assert linecache.getline(EXEC_FILENAME, 1) == "def g():\n"
        assert linecache.getline(EXEC_FILENAME, 1) == "def f():\n"
    assert linecache.getline(EXEC_FILENAME, 1) == ""
