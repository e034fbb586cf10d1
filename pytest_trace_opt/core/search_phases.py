"""The round loop's edit-search phases: small edits before the first LLM call, and parts
of and small edits around each round's best LLM candidate when it fell short (core.search).
A mixin of :class:`.rounds.RoundLoop`, which holds what these read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pytest_trace_opt.core.acceptance import counts
from pytest_trace_opt.core.evaluator import EvaluatorLike
from pytest_trace_opt.core.groups import Group, learnable_failures
from pytest_trace_opt.core.search import EditSearch
from pytest_trace_opt.core.state import LoopState
from pytest_trace_opt.core.techniques import Techniques
from pytest_trace_opt.model import Evaluation, Proposal, RoundRecord

# After an LLM candidate, a quarter of the edit budget per trainable: every round pays it
# (on examples/ the full budget cost 80 s of evaluations in one round of three groups).
NEAR_MISS_SHARE = 4


@dataclass
class Batch:
    """The candidates of one round: candidate i of every group is evaluated together."""

    proposals: dict[int, list[Proposal]]  # index into the active groups -> its candidates
    value_sets: list[dict[str, Any]] = field(default_factory=list)
    evaluations: list[Evaluation] = field(default_factory=list)
    reruns: dict[int, Evaluation] = field(default_factory=dict)  # candidate index -> 2nd run
    picks: dict[int, int] = field(default_factory=dict)  # group index -> candidate judged
    aborted: str = ""


class SearchPhases:
    """The edit search before round 1 and after each round's LLM candidates."""

    evaluator: EvaluatorLike
    visible: list[str]
    holdout: list[str]
    tagged: list[str]
    techniques: Techniques
    deadline: float | None
    edit_search: int
    on_round: Callable[[RoundRecord], None]
    checkpoint: Callable[[LoopState], None]

    def _stop_reason(self, state: LoopState) -> str:
        raise NotImplementedError

    def _search(self, state: LoopState) -> None:
        """Small edits of the suspicious lines before any LLM call (core.search)."""
        search = self._edit_searcher()
        found = None if self._stop_reason(state) else search.run(state.best, self.edit_search)
        if found is not None:
            if found.evaluation is not None:
                state.best, state.best_values = found.evaluation, dict(found.values)
                state.note_passing(0, self.tagged)
            state.history.append(found.record)
            self.on_round(found.record)
            self.checkpoint(state)

    def _edit_searcher(self) -> EditSearch:
        on = self.techniques
        return EditSearch(
            self.evaluator,
            self.visible,
            self.holdout,
            guard_holdouts=on.holdout_guard,
            deadline=self.deadline,
            patterns=on.fix_patterns,
            partial=on.partial_changes,
            pairs=on.edit_pairs,
        )

    # -- phase 4: small edits of what the LLM changed, when it fell short -----------------
    def _refine(
        self,
        state: LoopState,
        record: RoundRecord,
        active: list[Group],
        batch: Batch,
        previous: dict[str, Any],
    ) -> None:
        """``previous``: the best values before this round (what the LLM changed)."""
        if not (self.edit_search and self.techniques.edit_search):
            return
        search = self._edit_searcher()
        for index, pick in batch.picks.items():
            group = active[index]
            if not learnable_failures(state.best, group.visible):
                continue  # this group is done
            candidate = batch.proposals[index][pick].values
            evaluation = batch.evaluations[pick]
            start = state.best_values | candidate
            limit = max(1, self.edit_search // NEAR_MISS_SHARE)
            found = search.refine(state.best, previous, start, evaluation, limit)
            if found is None:
                continue
            record.eval_seconds = round(record.eval_seconds + found.record.eval_seconds, 3)
            if found.evaluation is None:
                continue
            state.best, state.best_values = found.evaluation, found.values
            state.note_passing(record.round, self.tagged)
            record.status, record.reason = "accepted", f"{record.reason}; {found.record.reason}"
            record.counts = counts(state.best, self.visible, self.holdout)
            record.changed = sorted(set(record.changed) | set(found.values))
            group.attempt, group.last_note, group.rejected = 0, [], []
