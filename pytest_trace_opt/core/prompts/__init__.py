"""Every sentence the optimizer's LLM reads, written here and nowhere else.

The feedback text of a round, the notes about earlier attempts, the reasons a candidate
was rejected, the words for a crashed or stuck evaluation, and the hints added to
OptoPrime's prompt. (One exception: a child words its own per-test timeout, because only
it sees the frame that was running; see ``child.limits.describe_timeout``.)
Pure functions over the data model; no opto, no pytest.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pytest_trace_opt.core.prompts.evidence import evidence_text, first_error_line, passing_line
from pytest_trace_opt.text import clip

if TYPE_CHECKING:
    from pytest_trace_opt.core.groups import RejectedAttempt
    from pytest_trace_opt.model import Evaluation, Proposal, TestResult


# OptoPrime's objective, made concrete: the feedback comes from tests.
OBJECTIVE = (
    "You need to change the <value> of the variables in #Variables so that the failing tests "
    "described in #Feedback pass, and the passing ones keep passing. Fix the root cause for every "
    "input of the kind shown; do not special-case the inputs that appear in the tests."
)


# -- the feedback of a round ------------------------------------------------------------


def compose_feedback(
    failing: Sequence[TestResult],
    visible_total: int,
    critiques: Sequence[str] = (),
    scores: Sequence[float] = (),
    notes: Sequence[str] = (),
    *,
    passing: Sequence[TestResult] = (),
    detailed: bool = True,
) -> str:
    """One feedback text for the whole round: the evidence of each failing test, smallest
    first, then critiques, scores and notes about earlier attempts.

    ``detailed=False`` is the plain text a hand-written loop would pass (one pytest-style
    ``FAILED`` line per test), kept to measure what the detail is worth.
    """
    if not detailed:
        plain = [f"{len(failing)} of {visible_total} tests fail."]
        plain += [f"FAILED {r.nodeid} - {first_error_line(r)}" for r in failing]
        return "\n".join([*plain, *notes])
    lines = [
        f"{len(failing)} of {visible_total} tests fail. Make every test pass for any input of "
        "the kind shown, without special-casing test inputs."
    ]
    lines += evidence_text(failing, passing)
    if critiques:
        lines.append("Critiques: " + " | ".join(dict.fromkeys(critiques)))
    if scores:
        mean = sum(scores) / len(scores)
        lines.append(f"Mean score {mean:.3g} (higher is better; 1 is the best).")
    lines += list(notes)
    return "\n".join(lines)


def generalize_feedback(
    visible_total: int,
    hidden_failing: int,
    passing: Sequence[TestResult] = (),
    notes: Sequence[str] = (),
) -> str:
    """The feedback when every visible test passes but held-out tests of the same code
    fail: only their count, never which tests or what they check."""
    lines = [
        f"All {visible_total} tests shown pass, but {hidden_failing} held-out test(s) of the "
        "same code still fail. They are not shown: they check other inputs of the behaviour "
        "the docstring and comments describe. The code likely handles only the inputs the "
        "tests show (a special case, a table of known values, a bound that happens to fit). "
        "Rewrite it to follow the documented rule for every input, and keep the tests shown "
        "passing."
    ]
    passed = passing_line(passing)
    if passed:
        lines.append(clip(passed, 1200))
    lines += list(notes)
    return "\n".join(lines)


def failure_digest(ev: Evaluation, nodeids: Sequence[str], limit: int = 2) -> list[str]:
    """The first error line of a few failing tests: why a candidate was rejected."""
    lines = []
    for result in ev.failing(nodeids)[:limit]:
        text = result.feedback_text()
        errors = [ln.strip()[2:].strip() for ln in text.splitlines() if ln.startswith("E ")]
        if errors:
            reason = errors[0]  # "assert 6 == 5", "MemoryError", "...TestTimeout: timed out..."
        else:  # e.g. "<nodeid>: the test process died during this test ..."
            lines = [ln.strip() for ln in text.strip().splitlines()] or [result.outcome]
            # past a bare heading ("<nodeid> failed:"), to what it says
            first = lines[1] if len(lines) > 1 and lines[0].endswith(":") else lines[0]
            reason = first.split(": ", 1)[-1] if first.startswith(result.nodeid) else first
        lines.append(clip(f"{result.nodeid.rsplit('::', 1)[-1]}: {reason}", 200))
    return lines


# -- verdicts (never naming a holdout test) -----------------------------------------------

NO_TEST_LOST = "no test lost"
HARDER_FAILURES = "it makes tests time out, crash or error instead of failing"


ALREADY_TRIED = "it is the same code as an attempt already tried and rejected"
FORGED_RESULTS = (
    "it wrote to the plugin's result channel: results come from the tests, not from the code"
)


def tampered(files: Sequence[str]) -> str:
    names = ", ".join(files[:4]) + (f" and {len(files) - 4} more" if len(files) > 4 else "")
    return (
        f"it changed source, test or configuration files on disk ({names}): a candidate "
        "may only change the code it is asked to fix"
    )


def dodged_tests(count: int) -> str:
    return (
        f"it skipped or xfailed {count} test(s) that ran before: only a real pass counts, "
        "never call pytest.skip or pytest.xfail"
    )


def dodged_test(nodeid: str, outcome: str) -> str:
    return f"{nodeid}: {outcome} under this candidate, but it ran before; counted as failed"


def broke_holdouts(count: int) -> str:
    return f"it broke {count} hidden check(s) that passed before"


def fewer_pass(after: int, before: int) -> str:
    return f"it passes fewer tests ({after} instead of {before})"


def lower_score(after: float, before: float) -> str:
    return f"it lowers the score ({after:.3g} < {before:.3g})"


def more_pass(gained: int) -> str:
    return f"{gained} more test(s) pass"


def not_deterministic(flaky: int) -> str:
    return (
        f"its outcome changed on a re-run: {flaky} test(s) it passed "
        "failed the second time (the code is not deterministic)"
    )


TERMINATED = "the optimizer asked to stop (TERMINATE)"


NO_USABLE_SUGGESTION = "no usable suggestion in the reply"


# -- notes about the previous attempt ------------------------------------------------------


FLAKY_HINT = (
    "; make the result independent of set or dict iteration order, randomness and the clock"
)

NO_GAIN = "it fixed none of the failing tests (no test gained)"
NOT_RUN_AFTER_FAILURE = "not run: an earlier test of this short run failed"
NO_HIDDEN_GAIN = "the held-out tests still fail with it (no test gained)"


def closer(tests: int) -> str:
    return (
        f"no test passes yet, but {tests} failing test(s) now get results closer to what they "
        "expect: kept as a step"
    )


def step_kept(names: Sequence[str]) -> list[str]:
    """The next prompt's note after a step that fixed no test but came closer."""
    return [
        f"The last change (to {', '.join(names)}) was kept: the failing tests' results came "
        "closer to what they expect, but none passes yet. The code shown includes it; keep "
        "that part and change what still differs."
    ]


def unchanged_note(names: Sequence[str]) -> list[str]:
    # "Reply in the required format" would be the wrong advice: the format was fine, the
    # model found nothing to change. About a quarter of the benchmark's calls went this way.
    return [
        f"Your previous reply gave back {', '.join(names)} unchanged, and that code still fails "
        "the tests above. Find the line that produces the wrong result and suggest changed code."
    ]


def rejection_note(proposal: Proposal | None, reason: str) -> list[str]:
    """The previous reply, when it was not judged by the tests: unusable, or a repeat."""
    if proposal is None:
        return [f"Your previous reply could not be used ({reason}). Reply in the required format."]
    return [f"Your previous reply was not tried: {reason}. Suggest a different change."]


MAX_ATTEMPTS_SHOWN = 3
MAX_LINES_NAMED = 3


def change_summary(before: Any, after: Any) -> str:
    """Where a rejected change touched the code, not what it wrote: a small model copies
    any code it is shown, a rejected attempt's lines (whole or as a diff) included."""
    if not (isinstance(before, str) and isinstance(after, str)) or "\n" not in before.strip():
        return f"tried the value {clip(repr(after), 300)}"  # a prompt, a number: the value
    old, new = before.splitlines(), after.splitlines()
    changed: list[str] = []
    added = 0  # lines beyond those it replaced
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new).get_opcodes():
        if tag in ("replace", "delete"):
            changed += [ln.strip() for ln in old[i1:i2] if ln.strip()]
        if tag in ("replace", "insert"):
            added += max(0, (j2 - j1) - (i2 - i1))
    if not changed:
        return f"added {added} line(s), changing none of the lines above"
    named = " | ".join(f"`{clip(ln, 80)}`" for ln in changed[:MAX_LINES_NAMED])
    more = f" and {len(changed) - MAX_LINES_NAMED} more" if len(changed) > MAX_LINES_NAMED else ""
    return f"changed {named}{more}" + (f" and added {added} line(s)" if added else "")


def _shown_name(key: str) -> str:
    """``calc.py::Cart.total`` -> ``Cart.total``; a value's ``SUBJECT@5`` -> ``SUBJECT``."""
    return re.sub(r"@\d+$", "", key.rsplit("::", 1)[-1])


def attempts_note(attempts: Sequence[RejectedAttempt], current: dict[str, Any]) -> list[str]:
    """The attempts tried and rejected since the code shown was last improved, each as
    where it changed that code, why it was rejected and what failed with it (the latest
    ``MAX_ATTEMPTS_SHOWN``)."""
    if not attempts:
        return []
    shown = attempts[-MAX_ATTEMPTS_SHOWN:]
    first = len(attempts) - len(shown) + 1
    lines = ["Attempts already tried on the code above and rejected:"]
    for number, attempt in enumerate(shown, start=first):
        changes = "; ".join(
            f"in {_shown_name(key)} it {change_summary(current.get(key), value)}"
            for key, value in attempt.values.items()
        )
        lines.append(f"- attempt {number}: {changes}. Rejected: {attempt.reason}.")
        if attempt.evidence:
            lines.append(f"  With it: {attempt.evidence}")
    lines.append("Find what these attempts missed, and fix that instead.")
    return lines


# -- OptoPrime prompt hints --------------------------------------------------------------


def suggestion_keys_hint(hints: Sequence[str], *, code_block: bool) -> str:
    hint = (
        '\nThe keys of "suggestion" must be exactly: ' + "; ".join(hints) + ". "
        "Never suggest values for #Inputs or #Outputs."
    )
    if code_block:
        hint += (
            " If escaping the code inside JSON is hard, write the complete function "
            "in a ```python block right after the JSON instead."
        )
    return hint


def code_key_hint(name: str, function_name: str | None) -> str:
    return f"{name} (the complete new definition of {function_name})"


def value_key_hint(name: str, type_name: str) -> str:
    return f"{name} (a new {type_name})"


# -- evaluations that went wrong ---------------------------------------------------------


def crash_feedback(
    nodeid: str, status: str, eval_timeout: float, test_timeout: float, output: str
) -> str:
    if status == "test timeout":
        return (
            f"{nodeid}: timed out: still running {test_timeout:g} s after it started, so the "
            "test process was stopped from outside (its own timer did not fire: blocked "
            "signals or a long call that cannot be interrupted)"
        )
    if status == "timeout":
        return (
            f"{nodeid}: the evaluation was killed after {eval_timeout:g} s while this test "
            "ran: likely an infinite loop that the per-test timeout could not interrupt"
        )
    tail = "\n".join(output.strip().splitlines()[-5:])
    if status == "ok":  # a clean exit in the middle of a test: os._exit(0) or sys.exit()
        status = "it exited with status 0 before the test finished"
    return (
        f"{nodeid}: the test process died during this test ({status}): the code under "
        f"test called os._exit, crashed the interpreter or ran out of memory.\n{tail}"
    )


def no_progress_reason(status: str, output: str, collect_errors: list[str]) -> str:
    if collect_errors:
        return "collection failed: " + collect_errors[-1].strip().splitlines()[-1][:300]
    tail = " | ".join(output.strip().splitlines()[-3:])[:400]
    return f"the test process ran no test ({status}): {tail}"
