"""The round loop: evaluate, propose, re-evaluate, accept only what does not lower the score.

Plain Python over two interfaces (an evaluator and an engine) so that it is tested
without pytest subprocesses or an LLM.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pytest_trace_opt.ablation import Techniques
from pytest_trace_opt.engine import compose_feedback
from pytest_trace_opt.evaluate import EvaluationAborted
from pytest_trace_opt.feedback import clip
from pytest_trace_opt.model import Counts, Evaluation, Proposal, RoundRecord


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
    baseline: Evaluation | None = None
    groups: list[Group] = field(default_factory=list)

    def drop_non_improvements(self) -> list[str]:
        """Keep only changes that improve their own group's tests over the baseline.

        Ties are accepted while exploring, but a group whose tests end no better than they
        started proposes nothing. Returns the keys dropped.
        """
        if self.baseline is None:
            return []
        dropped: list[str] = []
        for group in self.groups:
            changed = [k for k in group.keys if k in self.best_values]
            if not changed:
                continue
            after = counts(self.best, group.visible, group.holdout)
            before = counts(self.baseline, group.visible, group.holdout)
            if not improves(after, before):
                for key in changed:
                    del self.best_values[key]
                dropped += changed
        return dropped

    def note_passing(self, round_number: int, nodeids: Sequence[str]) -> None:
        for result in self.best.results(nodeids):
            if result.passed:
                self.passing_since.setdefault(result.nodeid, round_number)
            else:
                self.passing_since.pop(result.nodeid, None)


def improves(after: Counts, before: Counts) -> bool:
    """More tests pass, or as many with a higher mean score."""
    if after.passed != before.passed:
        return after.passed > before.passed
    return (after.score or 0.0) > (before.score or 0.0)


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


@dataclass
class Group:
    """Trainables linked by the tests that exercise them, optimized with their own prompt.

    Unrelated trainables (a prompt here, a parser there) each get a focused problem
    instead of one prompt mixing everything; their tests are disjoint, so each group's
    change is judged on its own tests.
    """

    keys: list[str]
    visible: list[str]
    holdout: list[str]
    engine: Any = None
    attempt: int = 0
    last_rejection: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return ", ".join(k.rsplit("::", 1)[-1] for k in self.keys) or "all"


def partition(ev: Evaluation, visible: Sequence[str], holdout: Sequence[str]) -> list[Group]:
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        while parent.setdefault(key, key) != key:
            key = parent[key]
        return key

    tagged = [*visible, *holdout]
    for result in ev.results(tagged):
        keys = [k for k in result.targets if k in ev.targets]
        for key in keys:
            find(key)
        for a, b in zip(keys, keys[1:], strict=False):
            parent[find(a)] = find(b)
    roots: dict[str, Group] = {}
    for key in parent:
        roots.setdefault(find(key), Group([], [], [])).keys.append(key)
    groups = list(roots.values()) or [Group([], [], [])]
    by_key = {key: g for g in groups for key in g.keys}
    for nodeid in tagged:
        found = ev.tests.get(nodeid)
        keys = [k for k in (found.targets if found else []) if k in by_key]
        group = by_key[keys[0]] if keys else (groups[0] if len(groups) == 1 else None)
        if group is not None:
            (group.holdout if nodeid in holdout else group.visible).append(nodeid)
    return groups


def _learnable_failures(ev: Evaluation, visible: Sequence[str]) -> list[Any]:
    failing = ev.failing(visible)
    if failing:
        return failing
    return [r for r in ev.results(visible) if r.scores and min(r.scores) < 1]


def _merge(best: Evaluation, new: Evaluation, nodeids: Sequence[str]) -> Evaluation:
    """``best`` with the results of ``nodeids`` taken from ``new``."""
    tests = dict(best.tests)
    tests.update({n: new.tests[n] for n in nodeids if n in new.tests})
    return Evaluation(tests, best.targets | new.targets, best.collect_errors, best.problems,
                      new.seconds)  # fmt: skip


def run_rounds(
    *,
    evaluator: EvaluatorLike,
    engine_factory: Callable[[Evaluation, list[str]], EngineLike],
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
    candidates: int = 1,
    techniques: Techniques | None = None,
) -> LoopState:
    """``candidates``: proposals asked per round and group (warmer each), all evaluated,
    the best kept. ``techniques``: what the benchmark may switch off (all on by default)."""
    techniques = techniques or Techniques()
    tagged = [*visible, *holdout]
    if resume is None:
        baseline = evaluator.run({}, tagged, deadline=deadline)
        state = LoopState(best_values={}, best=baseline, baseline=baseline)
        state.note_passing(0, tagged)
        record = RoundRecord(0, "baseline", counts(baseline, visible, holdout),
                             eval_seconds=baseline.seconds)  # fmt: skip
        state.history.append(record)
        on_round(record)
        if checkpoint:
            checkpoint(state)
    else:
        state = resume
    groups: list[Group] | None = None
    for number in range(start_round, rounds + 1):
        best_counts = counts(state.best, visible, holdout)
        if best_counts.passed == best_counts.total and (best_counts.score in (None, 1.0)):
            state.stop_reason = "all tagged tests pass"
            break
        if not _learnable_failures(state.best, visible):
            state.stop_reason = (
                "only holdout tests fail: the optimizer has no visible failure to learn from"
            )
            break
        if deadline is not None and time.monotonic() > deadline:
            state.stop_reason = "the wall-clock budget (--trace-timeout) is spent"
            break
        if groups is None:
            groups = partition(state.best, visible, holdout)
            state.groups = groups
        active = [g for g in groups if _learnable_failures(state.best, g.visible)]
        if not active:
            state.stop_reason = "the remaining failures reach no trainable"
            break
        record = RoundRecord(number, "no-proposal", best_counts)
        labelled = len(groups) > 1
        # per group, the usable candidates of this round (at most ``candidates`` each)
        proposals: dict[int, list[Proposal]] = {}
        before = _snapshot(llm_stats())
        stopped = False
        for index, group in enumerate(active):
            prefix = f"[{group.label}] " if labelled else ""
            try:
                if group.engine is None:
                    group.engine = engine_factory(state.best, group.keys)
                failing = _learnable_failures(state.best, group.visible)
                results = state.best.results(group.visible)
                critiques = [c for r in results for c in r.critiques]
                scores = [s for r in results for s in r.scores]
                memory = group.last_rejection if techniques.rejection_memory else []
                feedback = compose_feedback(
                    failing, len(group.visible), critiques, scores, memory,
                    detailed=techniques.detailed_feedback,
                )  # fmt: skip
                record.feedback += (prefix + "\n" if labelled else "") + feedback + "\n"
                for sample in range(candidates):
                    temperature = temperature_for(group.attempt + sample, base_temperature)
                    proposal = group.engine.propose(
                        state.best_values, failing, feedback, temperature
                    )
                    record.temperature = temperature
                    record.notes += [prefix + note for note in proposal.notes]
                    record.response += proposal.response
                    if proposal.values:
                        if proposal.values not in [p.values for p in proposals.get(index, [])]:
                            proposals.setdefault(index, []).append(proposal)
                    else:
                        reason = (
                            "the optimizer asked to stop (TERMINATE)" if proposal.terminated
                            else "; ".join(proposal.notes[-2:])
                            or "no usable suggestion in the reply"
                        )  # fmt: skip
                        record.reason = "; ".join(filter(None, [record.reason, prefix + reason]))
                        record.status = "terminated" if proposal.terminated else "no-proposal"
                        if index not in proposals:
                            group.last_rejection = (
                                _unchanged_note(proposal.unchanged)
                                if proposal.unchanged and not proposal.terminated
                                else _rejection_note(None, reason)
                            )
                if index not in proposals:
                    group.attempt += candidates  # retry warmer
            except stop_errors as exc:  # e.g. the LLM cannot be reached, a budget is spent
                state.stop_reason = str(exc)
                state.stopped_by_error = type(exc).__name__
                stopped = True
                break
        for field_name, value in _delta(before, _snapshot(llm_stats())).items():
            setattr(record, field_name, value)
        if stopped and not proposals:
            if record.llm_calls:
                state.history.append(record)
                on_round(record)
            break
        if proposals:
            # Candidate i of every group is evaluated together: the groups' tests are
            # disjoint, so each group's candidates are compared on its own tests.
            evaluations: list[Evaluation] = []
            candidate_sets: list[dict[str, Any]] = []
            aborted = ""
            for i in range(max(len(c) for c in proposals.values())):
                candidate_values = dict(state.best_values)
                for found in proposals.values():
                    if i < len(found):
                        candidate_values.update(found[i].values)
                candidate_sets.append(candidate_values)
                try:
                    evaluations.append(evaluator.run(candidate_values, tagged, deadline=deadline))
                except EvaluationAborted as exc:
                    aborted = str(exc)
                    break
            if not evaluations:
                state.stop_reason = aborted
                record.status, record.reason = "rejected", aborted
                state.history.append(record)
                on_round(record)
                break
            record.eval_seconds = round(sum(e.seconds for e in evaluations), 3)
            record.changed = sorted(
                {k for found in proposals.values() for p in found[: len(evaluations)]
                 for k in p.values}
            )  # fmt: skip
            new_best, accepted_values = state.best, dict(state.best_values)
            reruns: dict[int, Evaluation] = {}  # candidate index -> its second run
            accepted_ids: list[str] = []
            sources: set[int] = set()
            reasons = []
            for index, found in proposals.items():
                group = active[index]
                prefix = f"[{group.label}] " if labelled else ""
                guarded = group.holdout if techniques.holdout_guard else []
                ranked = sorted(
                    range(min(len(found), len(evaluations))),
                    key=lambda i: _rank(state.best, evaluations[i], group, guarded, i),
                )
                pick = ranked[0]
                ok, reason = judge(state.best, evaluations[pick], group.visible, guarded)
                flaky: list[str] = []
                if ok and not aborted:
                    # A candidate that makes tests pass is run once more in a fresh process,
                    # the same tests in the same order: code whose outcome depends on set
                    # order, randomness or the clock is caught here, not in the user's next run.
                    ids = [*group.visible, *group.holdout]
                    gained = _passing(evaluations[pick], ids) - _passing(state.best, ids)
                    if gained and pick not in reruns:  # groups sharing a candidate: one run
                        try:
                            reruns[pick] = evaluator.run(
                                candidate_sets[pick], tagged, deadline=deadline
                            )
                        except EvaluationAborted as exc:
                            aborted = str(exc)  # kept unconfirmed: it passed once
                        else:
                            record.eval_seconds = round(
                                record.eval_seconds + reruns[pick].seconds, 3
                            )
                    if gained and pick in reruns:
                        flaky = sorted(gained - _passing(reruns[pick], ids))
                    if flaky:
                        ok = False
                        reason = (
                            f"its outcome changed on a re-run: {len(flaky)} test(s) it passed "
                            "failed the second time (the code is not deterministic)"
                        )
                if len(found) > 1:
                    reason += f" (best of {len(ranked)} candidates)"
                reasons.append(prefix + reason)
                if ok:
                    accepted_values.update(found[pick].values)
                    accepted_ids += [*group.visible, *group.holdout]
                    new_best = _merge(new_best, evaluations[pick], [*group.visible, *group.holdout])
                    sources.add(pick)
                    group_before = counts(state.best, group.visible, group.holdout)
                    group_after = counts(evaluations[pick], group.visible, group.holdout)
                    if improves(group_after, group_before):
                        group.attempt, group.last_rejection = 0, []
                    else:
                        # Kept (nothing was lost) but nothing was fixed: at the same
                        # temperature the model tends to return this very code again.
                        group.attempt += len(found)
                        group.last_rejection = [_TIE_NOTE]
                else:
                    digest = failure_digest(evaluations[pick], group.visible)
                    record.notes += [prefix + d for d in digest]
                    group.attempt += len(found)
                    group.last_rejection = _rejection_note(
                        found[pick], reason + (_FLAKY_HINT if flaky else "")
                    )
            if aborted:
                reasons.append(aborted)
                state.stop_reason, stopped = aborted, True
            record.reason = "; ".join(reasons)
            if accepted_ids:
                record.status = "accepted"
                whole = len(sources) == 1 and len(accepted_ids) == len(tagged)
                state.best = evaluations[sources.pop()] if whole else new_best
                state.best_values = accepted_values
                state.note_passing(number, tagged)
            else:
                record.status = "rejected"
            shown = state.best if record.status == "accepted" else max(
                evaluations, key=lambda e: e.passed(tagged)
            )  # fmt: skip
            record.counts = counts(shown, visible, holdout)
        state.history.append(record)
        on_round(record)
        if checkpoint:
            checkpoint(state)
        if stopped:
            break
    else:
        state.stop_reason = state.stop_reason or f"round limit ({rounds}) reached"
    if not state.stop_reason:
        state.stop_reason = f"round limit ({rounds}) reached"
    return state


def _passing(ev: Evaluation, nodeids: Sequence[str]) -> set[str]:
    return {n for n in nodeids if n in ev.tests and ev.tests[n].passed}


def _rank(
    best: Evaluation, candidate: Evaluation, group: Group, guarded: Sequence[str], index: int
) -> tuple[Any, ...]:
    """Sort key over a group's candidates: accepted first, then most passing, best score,
    fewest hard failures, earliest (the lowest temperature)."""
    ok, _ = judge(best, candidate, group.visible, guarded)
    c = counts(candidate, group.visible, guarded)
    hard = _hard_failures(candidate, [*group.visible, *guarded])
    return (not ok, -c.passed, -(c.score or 0.0), hard, index)


_FLAKY_HINT = (
    "; make the result independent of set or dict iteration order, randomness and the clock"
)

_TIE_NOTE = (
    "Your previous suggestion was kept, as it lost no test, but it fixed none of the failing "
    "tests shown above: suggest a different change."
)


def _unchanged_note(names: Sequence[str]) -> list[str]:
    # "Reply in the required format" would be the wrong advice: the format was fine, the
    # model found nothing to change. About a quarter of the benchmark's calls went this way.
    return [
        f"Your previous reply gave back {', '.join(names)} unchanged, and that code still fails "
        "the tests above. Find the line that produces the wrong result and suggest changed code."
    ]


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
