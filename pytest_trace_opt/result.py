"""The result of an optimization: one object that every report reads."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SCHEMA_VERSION = 1


@dataclass
class Counts:
    visible_passed: int = 0
    visible_total: int = 0
    holdout_passed: int = 0
    holdout_total: int = 0
    score: float | None = None

    @property
    def passed(self) -> int:
        return self.visible_passed + self.holdout_passed

    @property
    def total(self) -> int:
        return self.visible_total + self.holdout_total

    def text(self) -> str:
        text = f"{self.visible_passed}/{self.visible_total} visible"
        if self.holdout_total:
            text += f", {self.holdout_passed}/{self.holdout_total} holdout"
        return text


@dataclass
class RoundRecord:
    round: int
    status: str  # baseline | accepted | rejected | no-proposal | terminated
    counts: Counts
    reason: str = ""
    changed: list[str] = field(default_factory=list)  # target keys the candidate changed
    notes: list[str] = field(default_factory=list)
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    llm_seconds: float = 0.0
    eval_seconds: float = 0.0
    temperature: float | None = None
    feedback: str = ""
    response: str = ""


@dataclass
class TargetResult:
    key: str
    kind: str  # code | value
    origin: str  # trainable | bundle | node
    name: str
    file: str
    line: int
    status: str  # changed | unchanged | not-patchable
    original: Any
    final: Any
    patch: str = ""
    note: str = ""


@dataclass
class OptimizationResult:
    outcome: str  # fixed | improved | unchanged | no-tagged-tests | no-targets | error
    stop_reason: str
    before: Counts
    after: Counts
    rounds: list[RoundRecord] = field(default_factory=list)
    targets: list[TargetResult] = field(default_factory=list)
    llm: dict[str, Any] = field(default_factory=dict)
    final_check: dict[str, Any] = field(default_factory=dict)
    patch: str = ""
    patch_file: str | None = None
    applied: list[str] = field(default_factory=list)
    apply_note: str = ""
    problems: list[str] = field(default_factory=list)
    best_values: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def changed_targets(self) -> list[TargetResult]:
        return [t for t in self.targets if t.status == "changed"]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["schema_version"] = SCHEMA_VERSION
        data.pop("best_values")
        for record in data["rounds"]:
            record["response"] = record["response"][:4000]
            record["feedback"] = record["feedback"][:4000]
        return data
