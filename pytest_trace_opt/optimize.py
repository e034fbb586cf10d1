"""The round loop: evaluate, propose, re-evaluate, accept only what does not lower the score.

Plain Python over two interfaces (an evaluator and an engine) so that it is tested
without pytest subprocesses or an LLM.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pytest_trace_opt.engine import Proposal, compose_feedback
from pytest_trace_opt.evaluate import Evaluation, EvaluationAborted
from pytest_trace_opt.feedback import clip
from pytest_trace_opt.result import Counts, RoundRecord


class EvaluatorLike(Protocol):
    def run(
        self,
        candidate: dict[str, Any],
        nodeids: Sequence[str],
        *,
        serialize_reports: bool = False,
        deadline: float | None = None,
    ) -> Evaluation: ...


class EngineLike(Protocol):
    def propose(
        self, current: dict[str, Any], failing: Sequence[Any], feedback: str,
        temperature: float | None,
    ) -> Proposal: ...  # fmt: skip


class LLMStatsLike(Protocol):
    calls: int
    prompt_tokens: int
    completion_tokens: int
    seconds: float


@dataclass
class LoopState:
    best_values: dict[str, Any]
    best: Evaluation
    history: list[RoundRecord] = field(default_factory=list)
    stop_reason: str = ""
    stopped_by_error: str = ""
    # nodeid -> round from which the test passes with the best candidate (0 = already did)
    passing_since: dict[str, int] = field(default_factory=dict)

    def note_passing(self, round_number: int, nodeids: Sequence[str]) -> None:
        for result in self.best.results(nodeids):
            if result.passed:
                self.passing_since.setdefault(result.nodeid, round_number)
            else:
                self.passing_since.pop(result.nodeid, None)


def counts(ev: Evaluation, visible: Sequence[str], holdout: Sequence[str]) -> Counts:
    scores = [s for r in ev.results([*visible, *holdout]) for s in r.scores]
    return Counts(
        visible_passed=ev.passed(visible),
        visible_total=ev.counted(visible),
        holdout_passed=ev.passed(holdout),
        holdout_total=ev.counted(holdout),
        score=(sum(scores) / len(scores)) if scores else None,
    )


def judge(
    best: Evaluation, candidate: Evaluation, visible: Sequence[str], holdout: Sequence[str]
) -> tuple[bool, str]:
    """Accept a candidate only if it keeps every passing holdout and does not lower the score.

    Reasons may reach the LLM: they never name holdout tests or their content.
    """
    broken = [
        n for n in holdout
        if n in best.tests and best.tests[n].passed
        and not (n in candidate.tests and candidate.tests[n].passed)
    ]  # fmt: skip
    if broken:
        return False, f"it broke {len(broken)} hidden check(s) that passed before"
    before, after = counts(best, visible, holdout), counts(candidate, visible, holdout)
    if after.passed < before.passed:
        return False, f"it passes fewer tests ({after.passed} instead of {before.passed})"
    if after.passed == before.passed and (after.score or 0.0) < (before.score or 0.0):
        return False, f"it lowers the score ({after.score:.3g} < {before.score:.3g})"
    if after.passed > before.passed:
        return True, f"{after.passed - before.passed} more test(s) pass"
    hard = _hard_failures(candidate, [*visible, *holdout])
    if hard > _hard_failures(best, [*visible, *holdout]):
        return False, "it makes tests time out, crash or error instead of failing"
    return True, "no test lost"


def _hard_failures(ev: Evaluation, nodeids: Sequence[str]) -> int:
    return sum(1 for r in ev.results(nodeids) if r.outcome in ("timeout", "crashed", "error"))


def failure_digest(ev: Evaluation, nodeids: Sequence[str], limit: int = 2) -> list[str]:
    """The first error line of a few failing tests: why a candidate was rejected."""
    lines = []
    for result in ev.failing(nodeids)[:limit]:
        text = result.feedback_text()
        errors = [ln.strip()[2:].strip() for ln in text.splitlines() if ln.startswith("E ")]
        if errors:
            reason = errors[0]  # "assert 6 == 5", "MemoryError", "...TestTimeout: timed out..."
        else:  # e.g. "<nodeid>: the test process died during this test ..."
            first = text.strip().splitlines()[0] if text.strip() else result.outcome
            reason = first.split(": ", 1)[-1] if first.startswith(result.nodeid) else first
        lines.append(clip(f"{result.nodeid.rsplit('::', 1)[-1]}: {reason}", 200))
    return lines


def temperature_for(attempt: int, base: float) -> float:
    """The same prompt at temperature 0 tends to return the same answer: raise it on retries."""
    if attempt == 0:
        return base
    return min(1.0, max(base, 0.0) + 0.3 * attempt)


def run_rounds(
    *,
    evaluator: EvaluatorLike,
    engine_factory: Callable[[Evaluation], EngineLike],
    visible: Sequence[str],
    holdout: Sequence[str],
    rounds: int,
    base_temperature: float,
    llm_stats: Callable[[], LLMStatsLike | None],
    on_round: Callable[[RoundRecord], None],
    stop_errors: tuple[type[BaseException], ...] = (),
    deadline: float | None = None,
    resume: LoopState | None = None,
    checkpoint: Callable[[LoopState], None] | None = None,
    start_round: int = 1,
) -> LoopState:
    tagged = [*visible, *holdout]
    if resume is None:
        baseline = evaluator.run({}, tagged, deadline=deadline)
        state = LoopState(best_values={}, best=baseline)
        state.note_passing(0, tagged)
        record = RoundRecord(0, "baseline", counts(baseline, visible, holdout),
                             eval_seconds=baseline.seconds)  # fmt: skip
        state.history.append(record)
        on_round(record)
        if checkpoint:
            checkpoint(state)
    else:
        state = resume
    engine: EngineLike | None = None
    attempt = 0
    last_rejection: list[str] = []
    for number in range(start_round, rounds + 1):
        best_counts = counts(state.best, visible, holdout)
        failing = state.best.failing(visible)
        if best_counts.passed == best_counts.total and (best_counts.score in (None, 1.0)):
            state.stop_reason = "all tagged tests pass"
            break
        if not failing:
            scored = [r for r in state.best.results(visible) if r.scores and min(r.scores) < 1]
            if not scored:
                state.stop_reason = (
                    "only holdout tests fail: the optimizer has no visible failure to learn from"
                )
                break
            failing = scored
        if deadline is not None and time.monotonic() > deadline:
            state.stop_reason = "the wall-clock budget (--trace-timeout) is spent"
            break
        if engine is None:
            try:
                engine = engine_factory(state.best)
            except stop_errors as exc:  # e.g. the LLM cannot be reached or loaded
                state.stop_reason = str(exc)
                state.stopped_by_error = type(exc).__name__
                break
        critiques = [c for r in state.best.results(visible) for c in r.critiques]
        scores = [s for r in state.best.results(visible) for s in r.scores]
        feedback = compose_feedback(failing, len(visible), critiques, scores, last_rejection)
        temperature = temperature_for(attempt, base_temperature)
        before = _snapshot(llm_stats())
        try:
            proposal = engine.propose(state.best_values, failing, feedback, temperature)
        except stop_errors as exc:
            state.stop_reason = str(exc)
            state.stopped_by_error = type(exc).__name__
            break
        llm = _delta(before, _snapshot(llm_stats()))
        record = RoundRecord(number, "no-proposal", best_counts, temperature=temperature,
                             notes=proposal.notes, feedback=feedback,
                             response=proposal.response, **llm)  # fmt: skip
        if not proposal.values:
            record.status = "terminated" if proposal.terminated else "no-proposal"
            record.reason = (
                "the optimizer asked to stop (TERMINATE)" if proposal.terminated
                else "; ".join(proposal.notes[-2:]) or "no usable suggestion in the reply"
            )  # fmt: skip
            attempt += 1
            last_rejection = _rejection_note(None, record.reason)
        else:
            candidate_values = {**state.best_values, **proposal.values}
            try:
                evaluation = evaluator.run(candidate_values, tagged, deadline=deadline)
            except EvaluationAborted as exc:
                state.stop_reason = str(exc)
                record.status, record.reason = "rejected", str(exc)
                state.history.append(record)
                on_round(record)
                break
            record.eval_seconds = evaluation.seconds
            record.changed = sorted(proposal.values)
            record.counts = counts(evaluation, visible, holdout)
            accepted, reason = judge(state.best, evaluation, visible, holdout)
            record.reason = reason
            if accepted:
                record.status = "accepted"
                state.best, state.best_values = evaluation, candidate_values
                state.note_passing(number, tagged)
                attempt = 0
                last_rejection = []
            else:
                record.status = "rejected"
                record.notes += failure_digest(evaluation, visible)
                attempt += 1
                last_rejection = _rejection_note(proposal, reason)
        state.history.append(record)
        on_round(record)
        if checkpoint:
            checkpoint(state)
    else:
        state.stop_reason = state.stop_reason or f"round limit ({rounds}) reached"
    if not state.stop_reason:
        state.stop_reason = f"round limit ({rounds}) reached"
    return state


def _rejection_note(proposal: Proposal | None, reason: str) -> list[str]:
    if proposal is None:
        return [f"Your previous reply could not be used ({reason}). Reply in the required format."]
    shown = "\n".join(clip(str(v), 900) for v in proposal.values.values())
    return [f"Your previous suggestion was tried and rejected because {reason}:\n{shown}\n"
            "Suggest a different change."]  # fmt: skip


def _snapshot(stats: LLMStatsLike | None) -> tuple[int, int, int, float]:
    if stats is None:
        return (0, 0, 0, 0.0)
    return (stats.calls, stats.prompt_tokens, stats.completion_tokens, stats.seconds)


def _delta(a: tuple[int, int, int, float], b: tuple[int, int, int, float]) -> dict[str, Any]:
    return {
        "llm_calls": b[0] - a[0],
        "prompt_tokens": b[1] - a[1],
        "completion_tokens": b[2] - a[2],
        "llm_seconds": round(b[3] - a[3], 3),
    }
