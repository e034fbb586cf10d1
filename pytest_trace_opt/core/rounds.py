"""The round loop: evaluate, propose, re-evaluate, accept only what does not lower the score.

Plain Python over an evaluator and an engine, tested without subprocesses or an LLM. One
method per phase of a round: stop?, ask each group, evaluate, judge each group's best.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from pytest_trace_opt.core import prompts
from pytest_trace_opt.core.acceptance import (
    counts,
    improves,
    judge,
    merge,
    only_real_passes,
    passing,
    rank_key,
)
from pytest_trace_opt.core.closeness import closer
from pytest_trace_opt.core.evaluator import EvaluationAborted, EvaluatorLike
from pytest_trace_opt.core.groups import Group, RejectedAttempt, learnable_failures, partition
from pytest_trace_opt.core.sampling import Sampling
from pytest_trace_opt.core.search_phases import Batch, SearchPhases
from pytest_trace_opt.core.state import LoopState
from pytest_trace_opt.core.techniques import Techniques
from pytest_trace_opt.core.usage import LLMStatsLike, usage_between, usage_now
from pytest_trace_opt.model import Evaluation, Proposal, ProposalRequest, RoundRecord, TestResult

ONLY_HOLDOUTS_FAIL = "only holdout tests fail: the optimizer has no visible failure to learn from"


class EngineLike(Protocol):
    def propose(self, request: ProposalRequest) -> list[Proposal]: ...


EngineFactory = Callable[[Evaluation, list[str]], EngineLike]


class RoundLoop(SearchPhases):
    """``candidates``: proposals asked per round and group after a miss (warmer each), all
    evaluated, the best kept; None: several where samples are cheap, else one.
    ``techniques``: what the benchmark may switch off (all on by default)."""

    def __init__(
        self,
        *,
        evaluator: EvaluatorLike,
        engine_factory: EngineFactory,
        visible: Sequence[str],
        holdout: Sequence[str],
        rounds: int,
        base_temperature: float,
        llm_stats: Callable[[], LLMStatsLike | None],
        on_round: Callable[[RoundRecord], None],
        stop_errors: tuple[type[BaseException], ...] = (),
        deadline: float | None = None,
        checkpoint: Callable[[LoopState], None] | None = None,
        candidates: int | None = None,
        edit_search: int = 0,
        techniques: Techniques | None = None,
        on_ask: Callable[[int, str], None] = lambda round_number, label: None,
    ) -> None:
        self.evaluator = evaluator
        self.on_ask = on_ask  # names what the next LLM calls are for (the live progress)
        self.engine_factory = engine_factory
        self.visible, self.holdout = list(visible), list(holdout)
        self.tagged = [*self.visible, *self.holdout]
        self.rounds = rounds
        self.base_temperature = base_temperature
        self.llm_stats = llm_stats
        self.on_round = on_round
        self.stop_errors = stop_errors
        self.deadline = deadline
        self.checkpoint = checkpoint or (lambda state: None)
        self.sampling = Sampling(candidates, base_temperature)
        self.edit_search = edit_search
        self.techniques = techniques or Techniques()

    # -- the loop ---------------------------------------------------------------------------
    def run(self, resume: LoopState | None = None, start_round: int = 1) -> LoopState:
        state = resume if resume is not None else self._baseline()
        if resume is None and self.edit_search and self.techniques.edit_search:
            self._search(state)
        for number in range(start_round, self.rounds + 1):
            reason = self._stop_reason(state)
            if reason:
                state.stop_reason = reason
                break
            if not state.groups:
                state.groups = partition(state.best, self.visible, self.holdout)
            active = [
                g for g in state.groups
                if learnable_failures(state.best, g.visible) or self._generalizing(state, g)
            ]  # fmt: skip
            if not active:
                state.stop_reason = (
                    "the remaining failures reach no trainable"
                    if learnable_failures(state.best, self.visible)
                    else ONLY_HOLDOUTS_FAIL
                )
                break
            if not self._round(state, number, active):
                break
        else:
            state.stop_reason = state.stop_reason or f"round limit ({self.rounds}) reached"
        if not state.stop_reason:
            state.stop_reason = f"round limit ({self.rounds}) reached"
        return state

    def _baseline(self) -> LoopState:
        baseline = self.evaluator.run({}, self.tagged, deadline=self.deadline)
        state = LoopState(best_values={}, best=baseline, baseline=baseline)
        state.note_passing(0, self.tagged)
        record = RoundRecord(
            0,
            "baseline",
            counts(baseline, self.visible, self.holdout),
            eval_seconds=baseline.seconds,
        )
        state.history.append(record)
        self.on_round(record)
        self.checkpoint(state)
        return state

    def _stop_reason(self, state: LoopState) -> str:
        best = counts(state.best, self.visible, self.holdout)
        if best.passed == best.total and best.score in (None, 1.0):
            return "all tagged tests pass"
        if not learnable_failures(state.best, self.visible) and not self._may_generalize(state):
            return ONLY_HOLDOUTS_FAIL
        if self.deadline is not None and time.monotonic() > self.deadline:
            return "the wall-clock budget (--trace-timeout) is spent"
        return ""

    def _may_generalize(self, state: LoopState) -> bool:
        on = self.techniques
        return on.generalize and on.holdout_guard and bool(state.best.failing(self.holdout))

    def _generalizing(self, state: LoopState, group: Group) -> bool:
        """Every visible test of ``group`` passes but a guarded holdout of it fails: the
        code likely fits the inputs shown only, and the next prompt asks for the general
        rule, telling how many held-out tests fail (never which, nor what they check)."""
        return (
            self._may_generalize(state)
            and bool(group.visible)
            and not learnable_failures(state.best, group.visible)
            and bool(state.best.failing(group.holdout))
        )

    def _round(self, state: LoopState, number: int, active: list[Group]) -> bool:
        """One round; False when the loop must stop after it."""
        record = RoundRecord(number, "no-proposal", counts(state.best, self.visible, self.holdout))
        before = usage_now(self.llm_stats())
        proposals, stopped = self._ask(state, record, active)
        for name, value in usage_between(before, usage_now(self.llm_stats())).items():
            setattr(record, name, value)
        if stopped and not proposals:
            if record.llm_calls:
                state.history.append(record)
                self.on_round(record)
            return False
        if proposals:
            batch = Batch(proposals)
            self._evaluate(state, batch)
            if not batch.evaluations:
                state.stop_reason = batch.aborted
                record.status, record.reason = "rejected", batch.aborted
                state.history.append(record)
                self.on_round(record)
                return False
            previous = dict(state.best_values)
            self._decide(state, record, active, batch)
            if record.stage == "infill":  # which statement its candidates filled in
                filled_in = [g.filled_in for g in active if g.filled_in]
                record.reason = "; ".join([*filled_in[:1], record.reason])
            if not batch.aborted:
                self._refine(state, record, active, batch, previous)
            if batch.aborted:
                state.stop_reason, stopped = batch.aborted, True
        state.history.append(record)
        self.on_round(record)
        self.checkpoint(state)
        return not stopped

    # -- phase 1: ask every active group for candidates ---------------------------------------
    def _ask(
        self, state: LoopState, record: RoundRecord, active: list[Group]
    ) -> tuple[dict[int, list[Proposal]], bool]:
        labelled = len(state.groups) > 1
        proposals: dict[int, list[Proposal]] = {}
        for index, group in enumerate(active):
            prefix = f"[{group.label}] " if labelled else ""
            found: list[Proposal] = []  # filled as they come: a budget stop keeps them
            try:
                self._ask_group(state, record, group, prefix, labelled, found)
            except self.stop_errors as exc:  # the LLM cannot be reached, a budget is spent
                state.stop_reason = str(exc)
                state.stopped_by_error = type(exc).__name__
                if found:
                    proposals[index] = found
                return proposals, True
            if found:
                proposals[index] = found
            else:
                group.attempt += self.samples_for(group)  # retry warmer
        return proposals, False

    def _ask_group(
        self,
        state: LoopState,
        record: RoundRecord,
        group: Group,
        prefix: str,
        labelled: bool,
        found: list[Proposal],
    ) -> None:
        if group.engine is None:
            group.engine = self.engine_factory(state.best, group.keys)
        failing = learnable_failures(state.best, group.visible)
        results = state.best.results(group.visible)
        memory: list[str] = []
        if self.techniques.rejection_memory:
            current = {k: state.best_values.get(k, state.best.targets[k].original)
                       for k in group.keys if k in state.best.targets}  # fmt: skip
            memory = prompts.attempts_note(group.rejected, current) + group.last_note
        group.last_note = []  # shown now; this round's replies say what the next one shows
        passing = [r for r in results if r.passed]
        generalizing = not failing and self._generalizing(state, group)
        if generalizing:
            hidden = len(state.best.failing(group.holdout))
            feedback = prompts.generalize_feedback(len(group.visible), hidden, passing, memory)
        else:
            feedback = prompts.compose_feedback(
                failing,
                len(group.visible),
                [c for r in results for c in r.critiques],
                [s for r in results for s in r.scores],
                memory,
                passing=passing,
                detailed=self.techniques.detailed_feedback,
            )
        record.feedback += (prefix + "\n" if labelled else "") + feedback + "\n"
        self.on_ask(
            record.round, f"round {record.round}" + (f" [{group.label}]" if labelled else "")
        )
        # a fill-in needs a suspicious statement, which only failing visible tests point at
        if not generalizing and self._infill(
            state, record, group, prefix, found, failing, passing, feedback
        ):
            return
        for request in self.sampling.requests(group, state.best_values, failing, passing, feedback):
            record.temperature = request.temperature
            for proposal in group.engine.propose(request):
                self._take(record, group, proposal, prefix, found)

    def _infill(
        self,
        state: LoopState,
        record: RoundRecord,
        group: Group,
        prefix: str,
        found: list[Proposal],
        failing: Sequence[TestResult],
        passing: Sequence[TestResult],
        feedback: str,
    ) -> bool:
        """A group's first call fills in its most suspicious statement when the model can
        (core.infill); after a whole reply that did not fix everything, the next call fills
        in the next statement not filled before: fill-ins and whole replies take turns.
        True when it did (its samples are the round's candidates)."""
        engine = group.engine
        again, group.filled_in = bool(group.filled_in), ""  # a whole reply follows a fill-in
        if again or not self.techniques.infill or not hasattr(engine, "infill"):
            return False
        if group.holes and not self.techniques.more_holes:
            return False
        # the first fill-in keeps a call for a whole reply; a later one follows one
        if not engine.infill_ready(calls_after=0 if group.holes else 1):
            return False
        request = ProposalRequest(
            dict(state.best_values),
            failing,
            feedback,
            0.0,
            passing=passing,
            tried=group.tried,
            filled=list(group.holes),
        )
        filled = engine.infill(request)
        if filled is None:
            return False
        group.filled_in = f"filled in {filled.where}"
        group.holes.append(filled.hole)
        record.stage, record.temperature = "infill", 0.0
        for proposal in filled.proposals:
            self._take(record, group, proposal, prefix, found)
        group.last_note = []  # the next prompt's model never saw these samples
        return True

    def samples_for(self, group: Group) -> int:
        return self.sampling.samples(group)

    def candidates_in_use(self, state: LoopState | None) -> int:
        """Candidates per round after a miss, as resolved (for the report)."""
        return self.sampling.candidates_in_use(state.groups if state is not None else [])

    def _take(
        self,
        record: RoundRecord,
        group: Group,
        proposal: Proposal,
        prefix: str,
        found: list[Proposal],
    ) -> None:
        """Keep a usable, new proposal; remember why another one was not."""
        record.notes += [prefix + note for note in proposal.notes]
        if proposal.response:
            record.response += ("\n\n---\n\n" if record.response else "") + proposal.response
        repeated = bool(proposal.values) and proposal.values in group.tried
        if proposal.values and not repeated:
            if proposal.values not in [p.values for p in found]:
                found.append(proposal)
            return
        if repeated:
            reason = prompts.ALREADY_TRIED  # judged before: another evaluation would tell nothing
        elif proposal.terminated:
            reason = prompts.TERMINATED
        else:
            reason = "; ".join(proposal.notes[-2:]) or prompts.NO_USABLE_SUGGESTION
        record.reason = "; ".join(filter(None, [record.reason, prefix + reason]))
        record.status = "terminated" if proposal.terminated else "no-proposal"
        if not found:
            if repeated:
                group.last_note = prompts.rejection_note(proposal, reason)
            elif proposal.unchanged and not proposal.terminated:
                group.last_note = prompts.unchanged_note(proposal.unchanged)
            elif not group.last_note:  # a draw that said more (unchanged, a repeat) stays
                group.last_note = prompts.rejection_note(None, reason)

    # -- phase 2: evaluate the candidates --------------------------------------------------
    def _evaluate(self, state: LoopState, batch: Batch) -> None:
        for i in range(max(len(c) for c in batch.proposals.values())):
            values = dict(state.best_values)
            for found in batch.proposals.values():
                if i < len(found):
                    values.update(found[i].values)
            batch.value_sets.append(values)
            try:
                batch.evaluations.append(self._run(state, values))
            except EvaluationAborted as exc:
                batch.aborted = str(exc)
                return

    def _run(self, state: LoopState, values: dict[str, Any]) -> Evaluation:
        evaluation = self.evaluator.run(values, self.tagged, deadline=self.deadline)
        if state.baseline is not None:
            only_real_passes(evaluation, state.baseline, self.tagged)
        return evaluation

    # -- phase 3: judge each group's best candidate ----------------------------------------
    def _decide(
        self, state: LoopState, record: RoundRecord, active: list[Group], batch: Batch
    ) -> None:
        evaluations = batch.evaluations
        record.eval_seconds = round(sum(e.seconds for e in evaluations), 3)
        record.changed = sorted(
            {k for found in batch.proposals.values() for p in found[: len(evaluations)]
             for k in p.values}
        )  # fmt: skip
        labelled = len(state.groups) > 1
        new_best, accepted_values = state.best, dict(state.best_values)
        accepted_ids: list[str] = []
        sources: set[int] = set()
        reasons: list[str] = []
        for index, found in batch.proposals.items():
            group = active[index]
            prefix = f"[{group.label}] " if labelled else ""
            pick, ok, reason = self._judge_group(state, record, group, found, batch, prefix)
            batch.picks[index] = pick
            reasons.append(prefix + reason)
            if not ok:
                continue
            ids = [*group.visible, *group.holdout]
            accepted_values.update(found[pick].values)
            accepted_ids += ids
            new_best = merge(new_best, evaluations[pick], ids)
            sources.add(pick)
        if batch.aborted:
            reasons.append(batch.aborted)
        record.reason = "; ".join(reasons)
        rerun_seconds = sum(r.seconds for r in batch.reruns.values())
        record.eval_seconds = round(record.eval_seconds + rerun_seconds, 3)
        if accepted_ids:
            record.status = "accepted"
            whole = len(sources) == 1 and len(accepted_ids) == len(self.tagged)
            state.best = evaluations[sources.pop()] if whole else new_best
            state.best_values = accepted_values
            state.note_passing(record.round, self.tagged)
            shown = state.best
        else:
            record.status = "rejected"
            shown = max(evaluations, key=lambda e: e.passed(self.tagged))
        record.counts = counts(shown, self.visible, self.holdout)

    def _judge_group(
        self,
        state: LoopState,
        record: RoundRecord,
        group: Group,
        found: list[Proposal],
        batch: Batch,
        prefix: str,
    ) -> tuple[int, bool, str]:
        """The group's best candidate, whether it is accepted, and why; updates the group's
        memory of what was tried."""
        evaluations = batch.evaluations
        asked = self.samples_for(group)
        guarded = group.holdout if self.techniques.holdout_guard else []
        ranked = sorted(
            range(min(len(found), len(evaluations))),
            key=lambda i: rank_key(state.best, evaluations[i], group.visible, guarded, i),
        )
        pick = ranked[0]
        ok, reason = judge(state.best, evaluations[pick], group.visible, guarded)
        flaky = self._rerun_check(state, group, pick, batch) if ok and not batch.aborted else []
        if flaky:
            ok, reason = False, prompts.not_deterministic(len(flaky))
        best_of = f" (best of {len(ranked)} candidates)" if len(found) > 1 else ""
        step = False
        if ok and not improves(
            counts(evaluations[pick], group.visible, group.holdout),
            counts(state.best, group.visible, group.holdout),
        ):
            # A tie does not replace the base: the next prompt starts from the best code,
            # with this attempt shown as tried (it may add a side effect and fix nothing).
            # Unless it brought failing results measurably closer, and none farther: a bug
            # that needs two changes is fixed in two steps, neither of which passes a test.
            nearer = closer(state.best, evaluations[pick], group.visible, guarded)
            if nearer and self.techniques.closer_steps:
                step, reason = True, prompts.closer(nearer)
            else:
                hidden_only = not learnable_failures(state.best, group.visible)
                no_gain = prompts.NO_HIDDEN_GAIN if hidden_only else prompts.NO_GAIN
                ok, reason, best_of = False, no_gain, ""
        reason += best_of
        if ok:
            group.attempt, group.last_note, group.rejected = 0, [], []
            if step:
                targets = state.best.targets
                names = [targets[k].name if k in targets else k for k in found[pick].values]
                group.last_note = prompts.step_kept(names)
        else:
            digest = prompts.failure_digest(evaluations[pick], group.visible)
            record.notes += [prefix + d for d in digest]
            group.attempt += asked
            group.tried += [p.values for p in found if p.values not in group.tried]
            group.last_note = []  # it is in the attempts, with its change and reason
            group.rejected.append(
                RejectedAttempt(
                    found[pick].values,
                    reason + (prompts.FLAKY_HINT if flaky else ""),
                    digest[0] if digest else "",
                )
            )
        return pick, ok, reason

    def _rerun_check(self, state: LoopState, group: Group, pick: int, batch: Batch) -> list[str]:
        """A candidate that makes tests pass is run once more in a fresh process, the same
        tests in the same order: code whose outcome depends on set order, randomness or the
        clock is caught here, not in the user's next run. Returns the tests that flipped."""
        ids = [*group.visible, *group.holdout]
        gained = passing(batch.evaluations[pick], ids) - passing(state.best, ids)
        if not gained:
            return []
        if pick not in batch.reruns:  # groups that picked the same candidate share one run
            try:
                values = batch.value_sets[pick]
                rerun = self._run(state, values)
            except EvaluationAborted as exc:
                batch.aborted = str(exc)  # kept unconfirmed: it passed once
                return []
            batch.reruns[pick] = rerun
        return sorted(gained - passing(batch.reruns[pick], ids))


def run_rounds(
    *,
    resume: LoopState | None = None,
    start_round: int = 1,
    **options: Any,
) -> LoopState:
    """Run the loop (see :class:`RoundLoop` for the options)."""
    return RoundLoop(**options).run(resume, start_round)
