"""What the round loop carries from round to round (and what a checkpoint restores)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_trace_opt.core.acceptance import counts, improves
from pytest_trace_opt.core.groups import Group
from pytest_trace_opt.model import Evaluation, RoundRecord


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
