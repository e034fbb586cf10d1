"""The inputs of a plan: the tagged tests as two isolated runs saw them, the loop's settings,
and what a test's source and failure say about its signal."""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass, field

from pytest_trace_opt.plan._text import short

PASSING = ("passed", "xfailed")
_INFRA_EXCEPTIONS = ("ModuleNotFoundError", "ImportError")


@dataclass
class TestInfo:
    """One tagged test: its state in two isolated runs and what it exercised."""

    nodeid: str
    holdout: bool
    outcome: str  # first run: passed failed error skipped xfailed crashed timeout
    outcome2: str | None = None  # second run (None: not run twice)
    used: list[str] = field(default_factory=list)  # trainables it exercised
    feeds: list[str] = field(default_factory=list)  # explicit targets, else used
    explicit: list[str] = field(default_factory=list)
    calls: int = 0  # recorded calls to trainables, dropped ones included
    scores: list[float] = field(default_factory=list)
    critiques: list[str] = field(default_factory=list)
    feedback: str = ""  # the failure text of the first run
    source: str | None = None  # source of the test function, when known

    __test__ = False  # not a pytest test class

    @property
    def passed(self) -> bool:
        return self.outcome in PASSING

    @property
    def counted(self) -> bool:
        return self.outcome != "skipped"

    @property
    def flaky(self) -> bool:
        return self.outcome2 is not None and (self.outcome in PASSING) != (self.outcome2 in PASSING)


@dataclass
class LoopSettings:
    rounds: int = 5
    budget: str = "5 rounds"
    optimizer: str = "OptoPrime"
    llm: str = "local"


def signal_kinds(source: str | None) -> set[str]:
    """What a test checks, from its source: assertions, scores, critiques."""
    kinds: set[str] = set()
    if not source:
        return kinds
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:
        return kinds
    for sub in ast.walk(tree):
        if isinstance(sub, ast.Assert):
            kinds.add("assertions")
        elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute):
            attr = sub.func.attr
            owner = sub.func.value
            if attr == "score":
                kinds.add("scores")
            elif attr == "critique":
                kinds.add("critiques")
            elif attr.startswith("assert") or (
                isinstance(owner, ast.Name)
                and owner.id == "pytest"
                and attr in ("raises", "approx", "fail", "warns")
            ):
                kinds.add("assertions")
    return kinds


def infrastructure_problem(test: TestInfo) -> str:
    """Why a test fails for reasons no code change of a trainable fixes ("" if it does not)."""
    text = test.feedback or ""
    if test.outcome == "error":
        for line in text.splitlines():
            stripped = line.strip().removeprefix("E ").strip()
            if "fixture '" in stripped and "not found" in stripped:
                return f"setup error: {short(stripped, 70)}"
        last = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("E ")]
        reason = short(last[-1][1:].strip(), 70) if last else "error outside the test body"
        return f"setup/teardown error: {reason}"
    if test.outcome == "failed":
        for line in text.splitlines():
            stripped = line.strip().removeprefix("E").strip()
            if stripped.startswith(_INFRA_EXCEPTIONS):
                return f"import error: {short(stripped, 70)}"
    return ""
