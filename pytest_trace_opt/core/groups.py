"""Groups of trainables: those the tagged tests link together are optimized as one.

Unrelated trainables (a prompt here, a parser there) each get a focused problem instead
of one prompt mixing everything; their tests are disjoint, so each group's change is
judged on its own tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_trace_opt.model import Evaluation, TestResult


@dataclass
class RejectedAttempt:
    """A candidate the tests judged and rejected: its values, why, and what failed under it."""

    values: dict[str, Any]
    reason: str
    evidence: str = ""


@dataclass
class Group:
    """Trainables linked by the tests that exercise them, optimized with their own prompt."""

    keys: list[str]
    visible: list[str]
    holdout: list[str]
    engine: Any = None
    attempt: int = 0
    # what the next prompt says of the previous reply: why the tests did not judge it
    # (unusable, a repeat), or that it was kept as a step closer
    last_note: list[str] = field(default_factory=list)
    # judged and rejected since the base last improved: shown as changes to the base
    rejected: list[RejectedAttempt] = field(default_factory=list)
    tried: list[dict[str, Any]] = field(default_factory=list)  # values judged and rejected
    # statements its calls filled in (core.infill), as (target key, text as it was)
    holes: list[tuple[str, str]] = field(default_factory=list)
    # where its last call filled in a statement ("" after a whole reply): the next asks whole
    filled_in: str = ""

    @property
    def label(self) -> str:
        return ", ".join(k.rsplit("::", 1)[-1] for k in self.keys) or "all"


def partition(ev: Evaluation, visible: Sequence[str], holdout: Sequence[str]) -> list[Group]:
    """Union-find over the targets each tagged test reached; tests go to their group."""
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


def learnable_failures(ev: Evaluation, visible: Sequence[str]) -> list[TestResult]:
    """Failing visible tests, or (when all pass) those with a score below 1 to improve."""
    failing = ev.failing(visible)
    if failing:
        return failing
    return [r for r in ev.results(visible) if r.scores and min(r.scores) < 1]
