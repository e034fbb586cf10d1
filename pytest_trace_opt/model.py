"""The controller's data: test results, evaluations, proposals, the optimization result.

Every report reads :class:`OptimizationResult`; the round loop reads :class:`Evaluation`.
Built from :mod:`pytest_trace_opt.protocol` records; no pytest import, nothing heavy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from pytest_trace_opt.protocol import CallRecord, ResultEvent, TargetInfo

SCHEMA_VERSION = 1

# Only a real pass counts: an xfailed test did not pass.
PASSING = ("passed",)
NEUTRAL = ("skipped",)
# What a candidate may not turn a test that ran into (see core.acceptance.only_real_passes).
DODGES = ("skipped", "xfailed")


@dataclass
class TestResult:
    nodeid: str
    outcome: str  # passed failed error skipped xfailed crashed timeout
    duration: float = 0.0
    feedback: list[str] = field(default_factory=list)
    critiques: list[str] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    calls: list[CallRecord] = field(default_factory=list)
    dropped_calls: int = 0  # calls past the per-test limit, not recorded
    used: list[str] = field(default_factory=list)
    explicit: list[str] = field(default_factory=list)
    target_errors: list[str] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)
    lines: dict[str, list[int]] = field(default_factory=dict)  # target key -> file lines run
    arguments: dict[str, str] = field(default_factory=dict)  # parametrize / plain fixtures
    test_source: str = ""
    test_line: int = 0

    __test__ = False  # not a pytest test class

    @classmethod
    def from_event(cls, event: ResultEvent) -> TestResult:
        record = event.record
        return cls(
            nodeid=event.nodeid,
            outcome=event.outcome,
            duration=event.duration,
            feedback=list(event.feedback),
            critiques=list(event.critiques),
            scores=list(event.scores),
            calls=list(record.calls) if record else [],
            dropped_calls=record.dropped_calls if record else 0,
            used=list(record.used) if record else [],
            explicit=list(record.explicit) if record else [],
            target_errors=list(record.target_errors) if record else [],
            reports=list(event.reports),
            lines=dict(record.lines) if record else {},
            arguments=dict(record.arguments) if record else {},
            test_source=record.test_source if record else "",
            test_line=record.test_line if record else 0,
        )

    @property
    def passed(self) -> bool:
        return self.outcome in PASSING

    @property
    def counted(self) -> bool:
        return self.outcome not in NEUTRAL

    @property
    def targets(self) -> list[str]:
        return self.explicit or self.used

    def feedback_text(self) -> str:
        if self.feedback:
            return "\n".join(self.feedback)
        return f"{self.nodeid} {self.outcome}"


@dataclass
class Evaluation:
    tests: dict[str, TestResult]
    targets: dict[str, TargetInfo]
    collect_errors: list[str]
    problems: list[str]
    seconds: float
    # tests that ran at baseline and that this candidate skipped or xfailed: counted failed
    dodged: list[str] = field(default_factory=list)
    # protected files (source, tests, configuration) the candidate changed on disk
    tampered: list[str] = field(default_factory=list)
    forged: int = 0  # lines on the result channel that did not verify (candidate-written)

    def results(self, nodeids: Sequence[str]) -> list[TestResult]:
        return [self.tests[n] for n in nodeids if n in self.tests]

    def passed(self, nodeids: Sequence[str]) -> int:
        return sum(1 for r in self.results(nodeids) if r.passed)

    def counted(self, nodeids: Sequence[str]) -> int:
        return sum(1 for r in self.results(nodeids) if r.counted)

    def failing(self, nodeids: Sequence[str]) -> list[TestResult]:
        return [r for r in self.results(nodeids) if r.counted and not r.passed]


@dataclass
class ProposalRequest:
    """What the round loop asks an engine for: changes to ``current`` that fix ``failing``."""

    current: dict[str, Any]  # target key -> value of the best candidate so far
    failing: Sequence[TestResult]
    feedback: str
    temperature: float | None
    passing: Sequence[TestResult] = ()
    samples: int = 1  # how many new candidates to draw from this one request
    # Draws allowed in all: a draw that brings nothing new (the code unchanged, an attempt
    # already tried) is replaced by another one, while draws are cheap (one prompt
    # evaluation in process). Draws after the first are at ``redraw_temperature``.
    draws: int = 1
    redraw_temperature: float = 0.8
    tried: Sequence[dict[str, Any]] = ()  # values judged and rejected before
    # statements filled in before (core.infill), as (target key, text): the next fill-in
    # takes another
    filled: Sequence[tuple[str, str]] = ()


@dataclass
class Proposal:
    values: dict[str, Any] = field(default_factory=dict)  # key -> checked new value
    notes: list[str] = field(default_factory=list)  # one line each: what was dropped and why
    terminated: bool = False
    response: str = ""
    prompt: str = ""
    # trainables the reply gave back exactly as they are: the model saw no bug to fix
    unchanged: list[str] = field(default_factory=list)


@dataclass
class FilledIn:
    """An engine's fill-in (core.infill): its samples, and the statement they fill in."""

    proposals: list[Proposal]
    hole: tuple[str, str]  # the target's key and the statement's text as it was
    where: str  # "line 12 of route"


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
    samples: int = 0  # completions received (several per call when drawn together)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    llm_seconds: float = 0.0
    eval_seconds: float = 0.0
    temperature: float | None = None
    feedback: str = ""
    response: str = ""
    # "search": the edit search before round 1 (no LLM call); "infill": a round whose call
    # filled in the suspicious statement (core.infill)
    stage: str = ""


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
    # lines of the original code the failing visible tests pointed at (fault localization)
    suspicious: list[dict[str, Any]] = field(default_factory=list)


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
