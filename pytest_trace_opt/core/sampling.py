"""How many candidates a group asks for in a round, and at which temperatures.

A group's first attempt is one sample at the base temperature: the model's best guess,
often right and the cheapest. After a miss the same prompt at temperature 0 tends to
return the same answer, so later attempts are warmer, and where samples are cheap (an
optimizer that draws several from one request, and an LLM that evaluates the prompt once
for all of them: Repair with the in-process model) several new candidates are drawn per
round, with spare draws to replace a reply that brings nothing new.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pytest_trace_opt.core.groups import Group
from pytest_trace_opt.model import ProposalRequest, TestResult

WARM_TEMPERATURE = 0.8  # samples drawn together need it to differ
# Candidates per round after a miss when samples are cheap; where each sample is a call of
# its own, one.
CHEAP_CANDIDATES = 3
# Draws beyond the candidates wanted, when draws are cheap: a reply that gives the code back
# unchanged or repeats a rejected attempt is replaced by another sample, not a round.
SPARE_DRAWS = 2


def temperature_for(attempt: int, base: float) -> float:
    """The same prompt at temperature 0 tends to return the same answer: raise it on retries."""
    if attempt == 0:
        return base
    return min(1.0, max(base, 0.0) + 0.3 * attempt)


def cheap(group: Group) -> bool:
    return bool(getattr(group.engine, "cheap_samples", False))


class Sampling:
    """``candidates``: asked per round after a miss; None: several where samples are cheap,
    else one."""

    def __init__(self, candidates: int | None, base_temperature: float) -> None:
        self.candidates = candidates
        self.base_temperature = base_temperature

    def samples(self, group: Group) -> int:
        if group.attempt == 0:
            return 1
        if self.candidates is not None:
            return self.candidates
        return CHEAP_CANDIDATES if cheap(group) else 1

    def candidates_in_use(self, groups: Sequence[Group]) -> int:
        if self.candidates is not None:
            return self.candidates
        return CHEAP_CANDIDATES if any(cheap(g) for g in groups) else 1

    def requests(
        self,
        group: Group,
        current: dict[str, Any],
        failing: list[TestResult],
        passing: list[TestResult],
        feedback: str,
    ) -> list[ProposalRequest]:
        n = self.samples(group)
        if getattr(group.engine, "batch_samples", False):
            # One request, n new samples: the first at the round's temperature (the model's
            # best guess given this feedback), later draws warm so that they differ.
            spare = SPARE_DRAWS if cheap(group) else 0
            return [
                ProposalRequest(
                    current,
                    failing,
                    feedback,
                    temperature_for(min(group.attempt, 1), self.base_temperature),
                    passing,
                    samples=n,
                    draws=n + spare,
                    redraw_temperature=max(WARM_TEMPERATURE, self.base_temperature),
                    tried=list(group.tried),
                )
            ]
        return [
            ProposalRequest(
                current,
                failing,
                feedback,
                temperature_for(group.attempt + i, self.base_temperature),
                passing,
            )
            for i in range(n)
        ]
