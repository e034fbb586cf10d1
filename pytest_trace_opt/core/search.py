"""The edit search: before the first LLM call, try single-token edits of the suspicious lines.

Each edit (see :mod:`.mutants`) is run first against the failing visible tests only, a short
run; one that makes them all pass is run against every tagged test and judged by the same
rule as an LLM candidate (no test lost, no holdout broken, only real passes, the same result
on a re-run). The first edit that makes every tagged test pass is the fix. An edit that only
gains some tests is not kept: one token that fixes a few cases of a bug it does not fix is
mostly a coincidence, and the LLM rounds would start from it. No LLM call.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_trace_opt.core.acceptance import counts, improves, judge, only_real_passes, passing
from pytest_trace_opt.core.evaluator import EvaluationAborted, EvaluatorLike
from pytest_trace_opt.core.localize import rank_lines
from pytest_trace_opt.core.mutants import edits
from pytest_trace_opt.model import Evaluation, RoundRecord, TestResult
from pytest_trace_opt.protocol import TargetInfo
from pytest_trace_opt.replies.checks import check_code

MAX_NOTES = 5  # tried edits named in the round's notes (the JSON report has them all counted)


@dataclass(frozen=True)
class Candidate:
    key: str
    name: str  # the trainable's name, for the report
    file_line: int
    description: str
    value: str


@dataclass
class SearchResult:
    record: RoundRecord
    values: dict[str, Any] = field(default_factory=dict)  # accepted: key -> edited code
    evaluation: Evaluation | None = None  # the accepted edit's evaluation


def candidates(baseline: Evaluation, visible: Sequence[str], limit: int) -> list[Candidate]:
    """Edits of the code trainables that failing visible tests reached, the most suspicious
    lines first (Ochiai over the visible tests), at most ``limit``."""
    failing = baseline.failing(visible)
    passing_results = [r for r in baseline.results(visible) if r.passed]
    keys = _reached_code(baseline, failing)
    ranked: list[tuple[float, int, str, int]] = []  # -score, order, key, file line
    for order, key in enumerate(keys):
        lines = rank_lines(key, failing, passing_results)
        ranked += [(-s.score, order, key, s.line) for s in lines]
    ranked.sort()
    found: list[Candidate] = []
    for _, _, key, file_line in ranked:
        info = baseline.targets[key]
        source = str(info.original)
        for edit in edits(source, [file_line - info.line + 1]):
            check = check_code(
                edit.source, source, info.function_name or "", is_method=info.is_method
            )
            if check.ok:  # the edited text itself, not reformatted: the patch shows one token
                found.append(Candidate(key, info.name, file_line, edit.description, edit.source))
            if len(found) >= limit:
                return found
    return found


def _all_pass(evaluation: Evaluation, nodeids: Sequence[str]) -> bool:
    return evaluation.passed(nodeids) == evaluation.counted(nodeids)


def _reached_code(baseline: Evaluation, failing: Sequence[TestResult]) -> list[str]:
    keys: list[str] = []
    for result in failing:
        for key in result.targets:
            info: TargetInfo | None = baseline.targets.get(key)
            if info is None or info.kind != "code" or key in keys:
                continue
            if isinstance(info.original, str) and info.function_name:
                keys.append(key)
    return keys


class EditSearch:
    def __init__(
        self,
        evaluator: EvaluatorLike,
        visible: Sequence[str],
        holdout: Sequence[str],
        guard_holdouts: bool = True,
        deadline: float | None = None,
    ) -> None:
        self.evaluator = evaluator
        self.visible, self.holdout = list(visible), list(holdout)
        self.tagged = [*self.visible, *self.holdout]
        self.guarded = self.holdout if guard_holdouts else []
        self.judged = [*self.visible, *self.guarded]  # what "every test passes" means here
        self.deadline = deadline

    def run(self, baseline: Evaluation, limit: int) -> SearchResult | None:
        """At most ``limit`` edits; None when there is nothing to try (no failing test
        reaches code, or no edit)."""
        found = candidates(baseline, self.visible, limit)
        if not found:
            return None
        failing_ids = [r.nodeid for r in baseline.failing(self.visible)]
        started = time.monotonic()
        before = counts(baseline, self.visible, self.holdout)
        record = RoundRecord(0, "rejected", before, stage="search")
        result = SearchResult(record)
        best: tuple[Candidate, Evaluation] | None = None
        tried = 0
        try:
            for candidate in found:
                if self.deadline is not None and time.monotonic() > self.deadline:
                    break
                tried += 1
                values = {candidate.key: candidate.value}
                short = self.evaluator.run(values, failing_ids, deadline=self.deadline)
                if len(passing(short, failing_ids)) < len(failing_ids):
                    continue
                evaluation = self._full(baseline, values)
                if evaluation is not None and _all_pass(evaluation, self.judged):
                    best = (candidate, evaluation)
                    break
        except EvaluationAborted as exc:
            record.reason = str(exc)
        record.eval_seconds = round(time.monotonic() - started, 3)
        self._describe(record, found[:tried], best)
        if best is not None:
            candidate, evaluation = best
            result.values = {candidate.key: candidate.value}
            result.evaluation = evaluation
            record.status = "accepted"
            record.changed = [candidate.key]
            record.counts = counts(evaluation, self.visible, self.holdout)
        return result

    def _full(self, baseline: Evaluation, values: dict[str, Any]) -> Evaluation | None:
        """Every tagged test, judged as an LLM candidate is, then once more (the same
        outcome twice); None when the edit is not accepted."""
        evaluation = self.evaluator.run(values, self.tagged, deadline=self.deadline)
        only_real_passes(evaluation, baseline, self.tagged)
        ok, _ = judge(baseline, evaluation, self.visible, self.guarded)
        before = counts(baseline, self.visible, self.guarded)
        if not ok or not improves(counts(evaluation, self.visible, self.guarded), before):
            return None
        again = self.evaluator.run(values, self.tagged, deadline=self.deadline)
        gained = passing(evaluation, self.tagged) - passing(baseline, self.tagged)
        if gained - passing(again, self.tagged):
            return None  # an outcome that changes on a re-run is not a fix
        return evaluation

    def _describe(
        self,
        record: RoundRecord,
        tried: list[Candidate],
        best: tuple[Candidate, Evaluation] | None,
    ) -> None:
        lines = sorted({c.file_line for c in tried})
        where = f"line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines))}"
        if best is not None:
            c = best[0]
            text = (
                f"edit search: {c.description} on line {c.file_line} of {c.name}: every tagged "
                f"test passes ({len(tried)} single-token edit(s) of {where} tried, no LLM call)"
            )
        else:
            text = (
                f"edit search: none of {len(tried)} single-token edit(s) of {where} fixes the "
                "failing tests (no LLM call)"
            )
        record.reason = "; ".join(filter(None, [text, record.reason]))
        record.notes = [f"{c.name} line {c.file_line}: {c.description}" for c in tried[:MAX_NOTES]]
        if len(tried) > MAX_NOTES:
            record.notes.append(f"... and {len(tried) - MAX_NOTES} more")
