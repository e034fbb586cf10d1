"""The edit search before the first LLM call (core.search), over an in-process evaluator fake.

``InProcessEvaluatorFake`` compiles the candidate function and calls the test functions in this
process; the lines each test "ran" are given by the test, as the child's line recorder would
report them. The real evaluation children are covered end to end in test_edit_search_e2e.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pytest_trace_opt.core.search import Candidate, EditSearch, Step, candidates, pair_bases
from pytest_trace_opt.model import Evaluation, TestResult
from pytest_trace_opt.protocol import TargetInfo

KEY = "grades.py::passed"
BUGGY = "def passed(score, pass_mark=50):\n    return score > pass_mark\n"
FIXED = "def passed(score, pass_mark=50):\n    return score >= pass_mark\n"


class InProcessEvaluatorFake:
    """Runs ``tests`` (nodeid -> function of the trainable) against the candidate code."""

    def __init__(
        self,
        original: str,
        tests: dict[str, Callable[[Callable[..., Any]], None]],
        lines: dict[str, list[int]],
        flaky: Callable[[str, int], bool] = lambda nodeid, run: False,
    ) -> None:
        self.original, self.tests, self.lines, self.flaky = original, tests, lines, flaky
        self.runs: list[tuple[str, list[str]]] = []
        self.info = TargetInfo(KEY, "code", "passed", "grades.py", 1, original, "passed")

    def run(
        self,
        candidate: dict[str, Any],
        nodeids: Sequence[str],
        *,
        serialize_reports: bool = False,
        deadline: float | None = None,
        first_failure: bool = False,
    ) -> Evaluation:
        code = candidate.get(KEY, self.original)
        self.runs.append((code, list(nodeids)))
        namespace: dict[str, Any] = {}
        exec(compile(code, "grades.py", "exec"), namespace)
        results = {}
        for nodeid in nodeids:
            try:
                self.tests[nodeid](namespace["passed"])
                outcome = "failed" if self.flaky(nodeid, len(self.runs)) else "passed"
            except Exception:  # noqa: BLE001 - as a child reports any error of a test
                outcome = "failed"
            results[nodeid] = TestResult(
                nodeid, outcome, used=[KEY], lines={KEY: self.lines.get(nodeid, [])}
            )
        return Evaluation(results, {KEY: self.info}, [], [], 0.01)


def check(expected: bool, score: int) -> Callable[[Callable[..., Any]], None]:
    def test(passed: Callable[..., Any]) -> None:
        assert passed(score) is expected

    return test


TESTS = {
    "t::fifty_passes": check(True, 50),
    "t::seventy_passes": check(True, 70),
    "t::ten_fails": check(False, 10),
    "t::holdout_forty_nine": check(False, 49),
}
LINES = {nodeid: [2] for nodeid in TESTS}
VISIBLE = ["t::fifty_passes", "t::seventy_passes", "t::ten_fails"]
HOLDOUT = ["t::holdout_forty_nine"]


def search(evaluator: InProcessEvaluatorFake, limit: int = 40) -> Any:
    baseline = evaluator.run({}, [*VISIBLE, *HOLDOUT])
    return baseline, EditSearch(evaluator, VISIBLE, HOLDOUT).run(baseline, limit)


def test_the_first_edit_that_passes_every_tagged_test_is_kept_and_the_search_stops() -> None:
    evaluator = InProcessEvaluatorFake(BUGGY, TESTS, LINES)
    _, found = search(evaluator)
    assert found.values == {KEY: FIXED}
    assert found.record.status == "accepted"
    assert found.record.stage == "search"
    assert found.record.counts.passed == 4
    assert "`>` -> `>=` on line 2 of passed: every tagged test passes" in found.record.reason
    assert "no LLM call" in found.record.reason
    # the first edit is tried on the failing test alone, then on all, then once more
    assert [ids for _, ids in evaluator.runs[1:]] == [
        ["t::fifty_passes"],
        [*VISIBLE, *HOLDOUT],
        [*VISIBLE, *HOLDOUT],
    ]


def test_an_edit_that_breaks_a_passing_holdout_is_not_kept_unless_the_guard_is_off() -> None:
    # The holdout wants "strictly above" for a custom mark: `>=` fixes the visible test but
    # breaks it, and no other single edit fixes the visible test.
    tests = dict(TESTS, **{"t::holdout_forty_nine": lambda passed: _is(passed(60, 60), False)})
    evaluator = InProcessEvaluatorFake(BUGGY, tests, LINES)
    baseline, found = search(evaluator)
    assert baseline.tests["t::holdout_forty_nine"].passed
    assert found.values == {}
    assert found.record.status == "rejected"
    unguarded = EditSearch(evaluator, VISIBLE, HOLDOUT, guard_holdouts=False).run(baseline, 40)
    assert unguarded is not None
    assert unguarded.values == {KEY: FIXED}


def _is(value: object, expected: object) -> None:
    assert value is expected


def test_an_outcome_that_changes_on_a_re_run_is_not_a_fix() -> None:
    def flaky(nodeid: str, run: int) -> bool:
        return nodeid == "t::fifty_passes" and run % 2 == 1  # fails on every other run

    evaluator = InProcessEvaluatorFake(BUGGY, TESTS, LINES, flaky=flaky)
    _, found = search(evaluator)
    assert found.values == {}
    assert found.record.status == "rejected"
    assert "none of" in found.record.reason


def test_no_failing_code_or_no_line_data_means_nothing_to_try() -> None:
    evaluator = InProcessEvaluatorFake(BUGGY, TESTS, {})
    baseline = evaluator.run({}, VISIBLE)
    assert candidates(baseline, VISIBLE, 40) == {}
    assert EditSearch(evaluator, VISIBLE, []).run(baseline, 40) is None


def test_the_limit_bounds_the_edits_tried_and_the_reason_says_so() -> None:
    # the fix (`+` -> `-`) is the fifth edit of line 2; two are allowed (and no pair: a
    # second edit goes to another line than the first, and there is none)
    evaluator = InProcessEvaluatorFake(
        "def passed(score, pass_mark=50):\n    return score > pass_mark + 1\n", TESTS, LINES
    )
    _, found = search(evaluator, limit=2)
    assert len({code for code, _ in evaluator.runs[1:]}) == 2
    assert found.values == {}
    assert found.record.reason == (
        "edit search: none of 2 small edit(s) of line 2 of passed fixes its failing "
        "tests (no LLM call)"
    )
    _, unlimited = search(InProcessEvaluatorFake(evaluator.original, TESTS, LINES))
    assert "`+` -> `-`" in unlimited.record.reason


def test_a_fix_pattern_is_found_and_is_not_tried_when_patterns_are_off() -> None:
    # Integer division with its arguments the wrong way round: no one-token slip fixes it
    # (`<=` passes the visible tests but breaks the holdout), swapping the arguments does.
    swapped = "def passed(score, pass_mark=50):\n    return divmod(pass_mark, score)[0] >= 1\n"
    evaluator = InProcessEvaluatorFake(swapped, TESTS, LINES)
    baseline, found = search(evaluator)
    fixed = swapped.replace("divmod(pass_mark, score)", "divmod(score, pass_mark)")
    assert found.values == {KEY: fixed}
    assert "arguments `pass_mark` and `score` swapped" in found.record.reason
    slips_only = EditSearch(evaluator, VISIBLE, HOLDOUT, patterns=False).run(baseline, 40)
    assert slips_only is not None and slips_only.values == {}
    assert slips_only.record.status == "rejected"


def test_a_candidate_right_in_one_part_and_wrong_in_another_is_finished_by_its_right_part() -> None:
    # The LLM fixed the comparison and added a special case that breaks the fix: the
    # candidate without its added part is the fix; edits of its line alone find only a
    # number that happens to pass.
    candidate = "def passed(score, pass_mark=50):\n    return score >= pass_mark and score != 50\n"
    evaluator = InProcessEvaluatorFake(BUGGY, TESTS, LINES)
    best = evaluator.run({}, [*VISIBLE, *HOLDOUT])
    tried = evaluator.run({KEY: candidate}, [*VISIBLE, *HOLDOUT])
    assert not tried.tests["t::fifty_passes"].passed

    found = EditSearch(evaluator, VISIBLE, HOLDOUT).refine(best, {}, {KEY: candidate}, tried, 10)
    assert found is not None and found.values == {KEY: FIXED}
    assert found.record.reason.startswith(
        "then small edits of the lines it changed: the LLM's change without "
        "`and score != 50` added after `pass_mark` on line 2 of passed: every tagged test passes"
    )
    edits_only = EditSearch(evaluator, VISIBLE, HOLDOUT, partial=False)
    other = edits_only.refine(best, {}, {KEY: candidate}, tried, 10)
    assert other is not None and other.values != {KEY: FIXED}
    assert "the LLM's change" not in other.record.reason


def test_a_candidate_that_fixes_one_of_two_bugs_is_finished_by_a_slip_on_a_line_it_left() -> None:
    # Two bugs: a `not` too many (line 3) and `>` for `>=` (line 2). The LLM removed the
    # `not`; no edit of its line finishes it, one of the line it left does.
    original = "def passed(score, pass_mark=50):\n    ok = score > pass_mark\n    return not ok\n"
    candidate = original.replace("return not ok", "return ok")
    lines = {nodeid: [2, 3] for nodeid in TESTS}
    evaluator = InProcessEvaluatorFake(original, TESTS, lines)
    best = evaluator.run({}, [*VISIBLE, *HOLDOUT])
    tried = evaluator.run({KEY: candidate}, [*VISIBLE, *HOLDOUT])
    found = EditSearch(evaluator, VISIBLE, HOLDOUT).refine(best, {}, {KEY: candidate}, tried, 10)
    assert found is not None
    assert found.values == {KEY: candidate.replace(">", ">=")}
    assert "`>` -> `>=` on line 2 of passed: every tagged test passes" in found.record.reason


def test_a_method_edit_that_imports_what_it_calls_imports_it_in_its_body() -> None:
    key = "stars.py::Reader.stars"
    method = "def stars(self, average):\n    return round(average * 2) / 2\n"
    info = TargetInfo(key, "code", "Reader.stars", "stars.py", 5, method, "stars", True)
    failing = TestResult("t::half", "failed", used=[key], lines={key: [6]})
    baseline = Evaluation({"t::half": failing}, {key: info}, [], [], 0.01)
    found = candidates(baseline, ["t::half"], limit=40)[key]
    half_up = next(c for c in found if "halves up" in c.description)
    assert half_up.value == (
        "def stars(self, average):\n    import math\n    return math.floor(average * 2 + 0.5) / 2\n"
    )


def test_a_trainable_number_gets_its_nearest_neighbours_as_candidates() -> None:
    from pytest_trace_opt.core.value_edits import numeric_neighbours

    assert numeric_neighbours(0.9)[:3] == [0.85, 0.95, 0.8]  # a share: steps of 0.05
    assert numeric_neighbours(10)[:4] == [9, 11, 8, 12]
    assert numeric_neighbours(2.5)[:2] == [2.25, 2.75]
    assert numeric_neighbours(True) == [] and numeric_neighbours("0.9") == []
    key = "spam.py::SPAM_THRESHOLD"
    info = TargetInfo(key, "value", "SPAM_THRESHOLD", "spam.py", 3, 0.9)
    failing = TestResult("t::spam", "failed", used=[key])
    baseline = Evaluation({"t::spam": failing}, {key: info}, [], [], 0.01)
    found = candidates(baseline, ["t::spam"], limit=4)[key]
    assert [(c.description, c.value) for c in found[:2]] == [
        ("`0.9` -> `0.85`", 0.85),
        ("`0.9` -> `0.95`", 0.95),
    ]
    assert len(found) == 4
    assert candidates(baseline, ["t::spam"], limit=0) == {}


def test_two_slips_are_fixed_by_a_second_edit_on_top_of_one_that_fixed_some_tests() -> None:
    # Each slip fails its own test: `>=` alone fixes fifty_passes, `100` alone fixes
    # hundred_one_fails; neither single edit is kept, the pair is.
    two_slips = (
        "def passed(score, pass_mark=50):\n"
        "    low = score > pass_mark\n"
        "    high = score <= 101\n"
        "    return low and high\n"
    )
    tests = {
        "t::fifty_passes": check(True, 50),
        "t::hundred_passes": check(True, 100),
        "t::hundred_one_fails": check(False, 101),
        "t::ten_fails": check(False, 10),
        "t::holdout_hundred_two_fails": check(False, 102),
    }
    visible, holdout = list(tests)[:4], list(tests)[4:]
    lines = {nodeid: [2, 3, 4] for nodeid in tests}
    evaluator = InProcessEvaluatorFake(two_slips, tests, lines)
    baseline = evaluator.run({}, list(tests))
    found = EditSearch(evaluator, visible, holdout).run(baseline, 40)
    assert found is not None and found.record.counts.passed == 5
    fixed = found.values[KEY].splitlines()
    assert fixed[1] == "    low = score >= pass_mark"
    assert fixed[2] in ("    high = score <= 100", "    high = score < 101")
    assert " and " in found.record.reason and "every tagged test passes" in found.record.reason

    singles = EditSearch(evaluator, visible, holdout, pairs=False).run(baseline, 40)
    assert singles is not None and singles.values == {}


def test_a_second_edit_finds_its_line_after_the_first_one_added_lines_above_it() -> None:
    # The guard for an empty list fixes two tests (the base of the pairs, two lines added on
    # entry); the comparison on what was line 2, now line 4, is the second edit.
    source = (
        "def passed(scores, pass_mark=50):\n"
        "    share = sum(1 for s in scores if s > pass_mark)\n"
        "    return share / len(scores)\n"
    )

    def share(expected: float, scores: list[int], mark: int = 50) -> Callable[..., None]:
        def test(passed: Callable[..., Any]) -> None:
            assert passed(scores, mark) == expected

        return test

    tests = {
        "t::no_scores": share(0, []),
        "t::no_scores_other_mark": share(0, [], 60),
        "t::half": share(0.5, [50, 10]),
        "t::all": share(1.0, [70, 90]),
        "t::holdout": share(0.5, [60, 59], 60),
    }
    visible, holdout = list(tests)[:4], list(tests)[4:]
    evaluator = InProcessEvaluatorFake(source, tests, {nodeid: [2, 3] for nodeid in tests})
    baseline = evaluator.run({}, list(tests))
    found = EditSearch(evaluator, visible, holdout).run(baseline, 40)
    assert found is not None and found.record.status == "accepted"
    assert found.values[KEY].splitlines()[1:4] == [
        "    if not scores:",
        "        return 0",
        "    share = sum(1 for s in scores if s >= pass_mark)",
    ]
    assert found.record.reason.startswith("edit search: `if not scores: return 0` added on entry")


def test_pairs_go_on_the_steps_that_fixed_most_one_per_outcome_sharing_by_what_each_fixed() -> None:
    def step(gained: int, passed: set[str], name: str) -> Step:
        return Step(gained, frozenset(passed), Candidate(KEY, "passed", 2, name, name))

    both, same, half, other = (
        step(2, {"a", "b"}, "`==` -> `!=`"),
        step(2, {"a", "b"}, "`0` -> `1`"),  # the same tests passed: the same step made again
        step(1, {"a"}, "`-=` -> `+=`"),
        step(1, {"c"}, "`x` -> `y`"),
    )
    bases = pair_bases([half, both, same, other], 20)
    assert [(b.candidate.description, share) for b, share in bases] == [
        ("`==` -> `!=`", 13),  # fixed two: two thirds of the budget
        ("`-=` -> `+=`", 6),  # the first of the steps that fixed one
    ]
    assert [share for _, share in pair_bases([half], 1)] == [1]
    assert pair_bases([half], 0) == []  # an edit limit of 1: half of it is no pair
