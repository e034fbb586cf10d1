"""When a candidate is better: counting passes, judging a candidate against the best so far.

One rule for "better than the baseline", shared by the round loop and the final result.
Reasons are words the LLM may read (from :mod:`.prompts`); they never name holdout tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pytest_trace_opt.core import prompts
from pytest_trace_opt.core.closeness import closer
from pytest_trace_opt.model import DODGES, Counts, Evaluation, TestResult

HARD_OUTCOMES = ("timeout", "crashed", "error")


def counts(ev: Evaluation, visible: Sequence[str], holdout: Sequence[str]) -> Counts:
    scores = [s for r in ev.results([*visible, *holdout]) for s in r.scores]
    return Counts(
        visible_passed=ev.passed(visible),
        visible_total=ev.counted(visible),
        holdout_passed=ev.passed(holdout),
        holdout_total=ev.counted(holdout),
        score=(sum(scores) / len(scores)) if scores else None,
    )


def only_real_passes(
    candidate: Evaluation, baseline: Evaluation, nodeids: Sequence[str]
) -> Evaluation:
    """``candidate`` with every test that ran at baseline and was skipped or xfailed now
    counted as failed (``pytest.skip``/``pytest.xfail`` called by candidate code), so that
    no candidate gains by not running a test. Returns the same object, changed."""
    for nodeid in nodeids:
        before, now = baseline.tests.get(nodeid), candidate.tests.get(nodeid)
        if before is None or now is None or before.outcome in DODGES:
            continue
        if now.outcome in DODGES:
            why = prompts.dodged_test(nodeid, now.outcome)
            candidate.tests[nodeid] = TestResult(
                nodeid, "failed", duration=now.duration, feedback=[why], calls=now.calls,
                used=now.used, explicit=now.explicit, lines=now.lines,
            )  # fmt: skip
            if nodeid not in candidate.dodged:
                candidate.dodged.append(nodeid)
    return candidate


def improves(after: Counts, before: Counts) -> bool:
    """More tests pass, or as many with a higher mean score."""
    if after.passed != before.passed:
        return after.passed > before.passed
    return (after.score or 0.0) > (before.score or 0.0)


def hard_failures(ev: Evaluation, nodeids: Sequence[str]) -> int:
    return sum(1 for r in ev.results(nodeids) if r.outcome in HARD_OUTCOMES)


def passing(ev: Evaluation, nodeids: Sequence[str]) -> set[str]:
    return {n for n in nodeids if n in ev.tests and ev.tests[n].passed}


def judge(
    best: Evaluation, candidate: Evaluation, visible: Sequence[str], holdout: Sequence[str]
) -> tuple[bool, str]:
    """Accept a candidate only if it keeps every passing holdout and does not lower the score."""
    if candidate.forged:
        return False, prompts.FORGED_RESULTS
    if candidate.tampered:
        return False, prompts.tampered(candidate.tampered)
    if candidate.dodged:
        return False, prompts.dodged_tests(len(candidate.dodged))
    broken = [
        n for n in holdout
        if n in best.tests and best.tests[n].passed
        and not (n in candidate.tests and candidate.tests[n].passed)
    ]  # fmt: skip
    if broken:
        return False, prompts.broke_holdouts(len(broken))
    before, after = counts(best, visible, holdout), counts(candidate, visible, holdout)
    if after.passed < before.passed:
        return False, prompts.fewer_pass(after.passed, before.passed)
    if after.passed == before.passed and (after.score or 0.0) < (before.score or 0.0):
        return False, prompts.lower_score(after.score or 0.0, before.score or 0.0)
    if after.passed > before.passed:
        return True, prompts.more_pass(after.passed - before.passed)
    tagged = [*visible, *holdout]
    if hard_failures(candidate, tagged) > hard_failures(best, tagged):
        return False, prompts.HARDER_FAILURES
    return True, prompts.NO_TEST_LOST


def rank_key(
    best: Evaluation,
    candidate: Evaluation,
    visible: Sequence[str],
    guarded: Sequence[str],
    index: int,
) -> tuple[Any, ...]:
    """Sort key over a group's candidates: accepted first, then most passing, best score,
    most failing tests brought closer to their expected values, fewest hard failures,
    earliest (the lowest temperature)."""
    ok, _ = judge(best, candidate, visible, guarded)
    c = counts(candidate, visible, guarded)
    hard = hard_failures(candidate, [*visible, *guarded])
    nearer = closer(best, candidate, visible, guarded)
    return (not ok, -c.passed, -(c.score or 0.0), -nearer, hard, index)


def merge(best: Evaluation, new: Evaluation, nodeids: Sequence[str]) -> Evaluation:
    """``best`` with the results of ``nodeids`` taken from ``new``."""
    tests = dict(best.tests)
    tests.update({n: new.tests[n] for n in nodeids if n in new.tests})
    return Evaluation(
        tests, best.targets | new.targets, best.collect_errors, best.problems, new.seconds
    )
