"""The edit search: before the first LLM call, try small edits of the suspicious lines.

Each edit (see :mod:`.mutants`) is run first against the failing visible tests only, a short
run; one that makes them all pass is run against every tagged test and judged by the same
rule as an LLM candidate (no test lost, no holdout broken, only real passes, the same result
on a re-run). Each trainable is searched on its own: the first edit that makes every test
reaching it pass is its fix. An edit that only gains some of them is not kept: one edit
that fixes a few cases of a bug it does not fix is mostly a coincidence, and the LLM rounds
would start from it. When no single edit fixes them all, a second edit is tried on top of
the edits that gained the most (two slips in one function); the pair is kept only when it
fixes them all, judged like any candidate. No LLM call."""

from __future__ import annotations

import ast
import difflib
import textwrap
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_trace_opt.core.acceptance import counts, improves, judge, only_real_passes, passing
from pytest_trace_opt.core.evaluator import EvaluationAborted, EvaluatorLike
from pytest_trace_opt.core.localize import rank_lines
from pytest_trace_opt.core.mutants import Edit, edits
from pytest_trace_opt.core.partial import partial_changes
from pytest_trace_opt.core.value_edits import numeric_neighbours
from pytest_trace_opt.model import Evaluation, RoundRecord, TestResult
from pytest_trace_opt.protocol import TargetInfo
from pytest_trace_opt.replies.checks import check_code
from pytest_trace_opt.replies.code_rules import imports_into_body

MAX_NOTES = 5  # tried edits named in the round's notes (the JSON report has them all counted)
# Two slips in one function: a second edit is tried on top of the edits that fixed the
# most failing tests (this many), all of them together at most this share of the edit limit.
PAIR_BASES = 2
PAIR_SHARE = 2


@dataclass(frozen=True)
class Candidate:
    key: str
    name: str  # the trainable's name, for the report
    file_line: int
    description: str
    value: Any  # code text, or a trainable value's number


@dataclass(frozen=True)
class Step:
    """An edit that fixed some of the failing tests: a base for a second edit."""

    gained: int  # failing tests its short run passed
    passed: frozenset[str]  # the tests its fullest run passed: edits alike pass the same
    candidate: Candidate


@dataclass
class SearchResult:
    record: RoundRecord
    values: dict[str, Any] = field(default_factory=dict)  # accepted: the values to keep
    evaluation: Evaluation | None = None  # the accepted edit's evaluation


def candidates(
    baseline: Evaluation, visible: Sequence[str], limit: int, patterns: bool = True
) -> dict[str, list[Candidate]]:
    """Per code trainable that failing visible tests reached, its edits, the most suspicious
    lines first (Ochiai over the visible tests), at most ``limit`` each (``patterns``: see
    :func:`.mutants.edits`)."""
    failing = baseline.failing(visible)
    passing_results = [r for r in baseline.results(visible) if r.passed]
    found: dict[str, list[Candidate]] = {}
    for key in _reached(baseline, failing, "code"):
        info = baseline.targets[key]
        lines, tiers = _ranked(key, info, failing, passing_results)
        source = str(info.original)
        mine = _as_candidates(info, source, edits(source, lines, patterns, tiers), limit)
        if mine:
            found[key] = mine
    for key in _reached(baseline, failing, "value"):
        info = baseline.targets[key]
        numbers = numeric_neighbours(info.original)[:limit]
        if numbers:
            found[key] = [
                Candidate(key, info.name, info.line, f"`{info.original!r}` -> `{n!r}`", n)
                for n in numbers
            ]
    return found


def _ranked(
    key: str, info: TargetInfo, failing: Sequence[TestResult], passing: Sequence[TestResult]
) -> tuple[list[int], list[int]]:
    """The lines of ``key``'s source (1-based) the failing tests ran, most suspicious first,
    and each line's tier (lines of one tier are ranked alike)."""
    ranked = rank_lines(key, failing, passing)
    scores = sorted({s.score for s in ranked}, reverse=True)
    return [s.line - info.line + 1 for s in ranked], [scores.index(s.score) for s in ranked]


def _line_diff(before: str, after: str) -> tuple[dict[int, int], list[int]]:
    """Where each line of ``before`` is in ``after`` (1-based: unchanged lines where they
    moved to, a changed line to its replacement, lines removed not in it), and the lines of
    ``after`` that are new or changed; one diff for both."""
    old = textwrap.dedent(before).splitlines()
    new = textwrap.dedent(after).splitlines()
    mapped: dict[int, int] = {}
    changed: list[int] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("equal", "replace"):
            for i in range(i1, i2):
                mapped[i + 1] = min(j1 + (i - i1), j2 - 1) + 1
        if tag in ("replace", "insert"):
            changed += range(j1 + 1, j2 + 1)
    return mapped, changed


def _edits_as_candidates(
    info: TargetInfo, source: str, lines: Sequence[int], limit: int, patterns: bool
) -> list[Candidate]:
    """Edits of ``lines`` (1-based lines of ``source``, whose first line is the file's
    ``info.line``) that still define the same function, at most ``limit``."""
    return _as_candidates(info, source, edits(source, lines, patterns), limit)


def _as_candidates(
    info: TargetInfo, source: str, found: Sequence[Edit], limit: int
) -> list[Candidate]:
    """The first ``limit`` of ``found`` (edits of ``source``) that still define the same
    function."""
    mine: list[Candidate] = []
    name = info.function_name or ""
    for edit in found:
        if len(mine) >= limit:
            break
        value = _imports_inside(edit.source, name) if info.in_class else edit.source
        check = check_code(value, source, name, is_method=info.in_class)
        if check.ok:  # the edited text itself, not reformatted: only the edit changes
            file_line = edit.line + info.line - 1
            mine.append(Candidate(info.key, info.name, file_line, edit.description, value))
    return mine


def _imports_inside(source: str, name: str) -> str:
    """A method's edit that imports what it calls (``import math`` above the ``def``), with
    the import moved into its body: a method is defined inside its class, where an import
    above it would not reach."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    found = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    target = next((n for n in found if n.name == name), None)
    if target is None:
        return source
    moved = imports_into_body(source, tree, target)
    return moved.lstrip("\n") if moved != source else source


def _all_pass(evaluation: Evaluation, nodeids: Sequence[str]) -> bool:
    return evaluation.passed(nodeids) == evaluation.counted(nodeids)


def _reached(baseline: Evaluation, failing: Sequence[TestResult], kind: str) -> list[str]:
    """Trainables of ``kind`` a failing test reached: code with a function's source, or a
    value (a number gets candidates; other values none)."""
    keys: list[str] = []
    for result in failing:
        for key in result.targets:
            info: TargetInfo | None = baseline.targets.get(key)
            if info is None or info.kind != kind or key in keys:
                continue
            if kind != "code" or (isinstance(info.original, str) and info.function_name):
                keys.append(key)
    return keys


def _reaching(evaluation: Evaluation, nodeids: Sequence[str], key: str) -> list[str]:
    return [r.nodeid for r in evaluation.results(nodeids) if key in r.targets]


class EditSearch:
    """Each trainable on its own: its edits are run against the failing tests that reached
    it; the first one that makes every test reaching it pass, losing no other test, is kept
    (a project with a buggy helper and a prompt to tune gets the helper fixed here)."""

    def __init__(
        self,
        evaluator: EvaluatorLike,
        visible: Sequence[str],
        holdout: Sequence[str],
        guard_holdouts: bool = True,
        deadline: float | None = None,
        patterns: bool = True,
        partial: bool = True,
        pairs: bool = True,
    ) -> None:
        self.evaluator = evaluator
        self.visible, self.holdout = list(visible), list(holdout)
        self.tagged = [*self.visible, *self.holdout]
        self.guarded = self.holdout if guard_holdouts else []
        self.judged = [*self.visible, *self.guarded]  # what "every test passes" means here
        self.deadline = deadline
        self.patterns = patterns  # fix patterns and removals after the one-token slips
        self.partial = partial  # parts of an LLM candidate's change, when refining
        self.pairs = pairs  # a second edit on top of one that fixed some failing tests

    def run(self, baseline: Evaluation, limit: int) -> SearchResult | None:
        """At most ``limit`` edits per trainable; None when there is nothing to try (no
        failing test reaches code, or no edit)."""
        found = candidates(baseline, self.visible, limit, self.patterns)
        if not found:
            return None
        return self._run_found(baseline, {}, found, limit)

    def _run_found(
        self,
        baseline: Evaluation,
        start: dict[str, Any],
        found: dict[str, list[Candidate]],
        limit: int,
        refining: bool = False,
    ) -> SearchResult:
        """``start``: the values the edits go on top of (an LLM candidate when refining);
        ``limit``: the edit limit per trainable, which bounds the pairs of edits."""
        started = time.monotonic()
        before = counts(baseline, self.visible, self.holdout)
        result = SearchResult(RoundRecord(0, "rejected", before, stage="search"))
        best, texts, tried = baseline, [], []
        base = dict(start)
        # pairs before the first LLM call only: an LLM candidate's edits are near misses of
        # a change already made, and its lines are not the ranked ones
        pairs = limit if not refining else 0
        try:
            for key, mine in found.items():
                kept, done = self._search_one(best, base, key, mine, pairs)
                tried += done
                if kept is None:
                    texts.append(_none_text(done))
                    continue
                candidate, best = kept
                base[key] = candidate.value
                result.values = dict(base)  # what the accepted evaluation ran
                passes = (
                    "every tagged test passes"
                    if _all_pass(best, self.judged)
                    else "the tests that reach it pass"
                )
                texts.append(
                    f"{candidate.description} on line {candidate.file_line} of {candidate.name}"
                    f": {passes} ({len(done)} small edit(s) of {_lines(done)} tried)"
                )
        except EvaluationAborted as exc:
            texts.append(str(exc))
        record = result.record
        record.eval_seconds = round(time.monotonic() - started, 3)
        head = "then small edits of the lines it changed: " if refining else "edit search: "
        record.reason = head + "; ".join(texts) + " (no LLM call)"
        record.notes = [f"{c.name} line {c.file_line}: {c.description}" for c in tried[:MAX_NOTES]]
        if len(tried) > MAX_NOTES:
            record.notes.append(f"... and {len(tried) - MAX_NOTES} more")
        if result.values:
            result.evaluation = best
            record.status, record.changed = "accepted", sorted(result.values)
            record.counts = counts(best, self.visible, self.holdout)
        return result

    def refine(
        self,
        best: Evaluation,
        previous: dict[str, Any],
        candidate: dict[str, Any],
        evaluation: Evaluation,
        limit: int,
    ) -> SearchResult | None:
        """After an LLM candidate that did not fix everything (``candidate``: the values it
        ran with, ``evaluation``: its run): first its change against ``previous`` without
        one of its parts, or one part alone (:mod:`.partial`: right in one place, wrong in
        another), then small edits of the lines it changed (its near misses: a bound one
        off in otherwise right code) and of the other lines its failing tests ran, at most
        ``limit`` of each kind, judged against ``best`` like any candidate. None when there
        is nothing to try."""
        found: dict[str, list[Candidate]] = {}
        failing = evaluation.failing(self.visible)
        passing_results = [r for r in evaluation.results(self.visible) if r.passed]
        for key, text in candidate.items():
            info = evaluation.targets.get(key) or best.targets.get(key)
            if info is None or info.kind != "code" or not isinstance(text, str):
                continue
            before = str(previous.get(key, info.original))
            changed = _line_diff(before, text)[1]
            ranked = [s.line - info.line + 1 for s in rank_lines(key, failing, passing_results)]
            # the lines it changed first (a near miss), then the other lines its failing
            # tests ran (the fix of one of two bugs, the other a slip elsewhere)
            order = [n for n in ranked if n in changed] + [n for n in changed if n not in ranked]
            order += [n for n in ranked if n not in changed]
            mine = _edits_as_candidates(info, text, order, limit, self.patterns)
            if self.partial:
                parts = _as_candidates(info, text, partial_changes(before, text), limit)
                mine = parts + [c for c in mine if c.value not in {p.value for p in parts}]
            if mine:
                found[key] = mine
        if not found:
            return None
        return self._run_found(best, candidate, found, limit, refining=True)

    def _search_one(
        self,
        best: Evaluation,
        kept: dict[str, Any],
        key: str,
        mine: list[Candidate],
        limit: int,
    ) -> tuple[tuple[Candidate, Evaluation] | None, list[Candidate]]:
        """The first of ``mine`` that fixes every test reaching ``key``, and the edits
        tried; edits kept for other trainables stay in. When none does, a second edit on
        top of one that fixed some of those tests (two slips in one function), as many as
        ``limit`` (the edit limit; 0: no pairs) allows."""
        failing_ids = _reaching(best, [r.nodeid for r in best.failing(self.visible)], key)
        done: list[Candidate] = []
        steps: list[Step] = []  # edits that fixed some failing tests
        for candidate in mine:
            if self.deadline is not None and time.monotonic() > self.deadline:
                return None, done
            done.append(candidate)
            values = {**kept, key: candidate.value}
            evaluation, step = self._try(best, values, key, failing_ids, candidate)
            if evaluation is not None:
                return (candidate, evaluation), done
            if step is not None and isinstance(candidate.value, str):
                steps.append(step)
        if not (self.pairs and steps and limit):
            return None, done
        for candidate in self._second_edits(best, key, mine, steps, limit):
            if self.deadline is not None and time.monotonic() > self.deadline:
                break
            done.append(candidate)
            values = {**kept, key: candidate.value}
            evaluation, _ = self._try(best, values, key, failing_ids, candidate)
            if evaluation is not None:
                return (candidate, evaluation), done
        return None, done

    def _try(
        self,
        best: Evaluation,
        values: dict[str, Any],
        key: str,
        failing_ids: list[str],
        candidate: Candidate,
    ) -> tuple[Evaluation | None, Step | None]:
        """The evaluation of ``values`` when it fixes every test reaching ``key`` and is
        accepted; else, when its short run passed some of the failing tests, what it did
        (the tests passed in its fullest run)."""
        short = self.evaluator.run(values, failing_ids, deadline=self.deadline, first_failure=True)
        passed = frozenset(passing(short, failing_ids))
        gained = len(passed)
        if not gained:
            return None, None
        if gained < len(failing_ids):
            return None, Step(gained, passed, candidate)
        accepted, evaluation = self._full(best, values)
        if accepted is not None and _all_pass(accepted, _reaching(accepted, self.judged, key)):
            return accepted, None
        return None, Step(gained, frozenset(passing(evaluation, self.tagged)), candidate)

    def _second_edits(
        self,
        best: Evaluation,
        key: str,
        mine: list[Candidate],
        steps: list[Step],
        limit: int,
    ) -> list[Candidate]:
        """Edits on top of the edits that fixed the most failing tests (at most
        ``PAIR_BASES`` of them, one of each outcome: edits that pass the same tests are
        the same step; ``1/PAIR_SHARE`` of the limit in all, shared by how many tests each
        fixed), of the suspicious lines where they are now, not the line the first edit
        changed; never an edit already tried alone."""
        info = best.targets[key]
        failing = best.failing(self.visible)
        passing_results = [r for r in best.results(self.visible) if r.passed]
        lines, tiers = _ranked(key, info, failing, passing_results)
        source = str(info.original)
        seen = {source, *(c.value for c in mine)}
        found: list[Candidate] = []
        for step, share in pair_bases(steps, limit // PAIR_SHARE):
            first, text = step.candidate, step.candidate.value
            # the second slip is on another line: an edit of the line the first one changed
            # is mostly that edit made another way, tried alone already
            where, changed = _line_diff(source, text)
            moved: dict[int, int] = {}  # line of the edited text -> its tier
            for n, tier in zip(lines, tiers, strict=True):
                if n in where and where[n] not in changed:
                    moved.setdefault(where[n], tier)
            seconds = edits(text, list(moved), self.patterns, list(moved.values()))
            seconds = [e for e in seconds if e.source not in seen]
            for c in _as_candidates(info, text, seconds, share):
                seen.add(c.value)
                description = f"{first.description} on line {first.file_line} and {c.description}"
                found.append(Candidate(key, c.name, c.file_line, description, c.value))
        return found

    def _full(
        self, best: Evaluation, values: dict[str, Any]
    ) -> tuple[Evaluation | None, Evaluation]:
        """Every tagged test, judged as an LLM candidate is, then once more (the same
        outcome twice): the evaluation when the edit is accepted (else None), and the
        first run's evaluation."""
        evaluation = self.evaluator.run(values, self.tagged, deadline=self.deadline)
        only_real_passes(evaluation, best, self.tagged)
        ok, _ = judge(best, evaluation, self.visible, self.guarded)
        before = counts(best, self.visible, self.guarded)
        if not ok or not improves(counts(evaluation, self.visible, self.guarded), before):
            return None, evaluation
        again = self.evaluator.run(values, self.tagged, deadline=self.deadline)
        gained = passing(evaluation, self.tagged) - passing(best, self.tagged)
        if gained - passing(again, self.tagged):
            return None, evaluation  # an outcome that changes on a re-run is not a fix
        return evaluation, evaluation


def pair_bases(steps: Sequence[Step], budget: int) -> list[tuple[Step, int]]:
    """The steps a second edit goes on, each with its share of ``budget``: the ones that
    fixed the most failing tests (earlier edits first among equals), one of each outcome
    (edits that pass the same tests are one step made two ways), at most ``PAIR_BASES``,
    sharing the budget by how many tests each fixed."""
    if budget <= 0:
        return []
    bases: list[Step] = []
    for step in sorted(steps, key=lambda s: -s.gained):  # stable
        if len(bases) < PAIR_BASES and all(b.passed != step.passed for b in bases):
            bases.append(step)
    weight = sum(b.gained for b in bases)
    return [(b, max(1, budget * b.gained // weight)) for b in bases]


def _lines(tried: Sequence[Candidate]) -> str:
    lines = sorted({c.file_line for c in tried})
    return f"line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines))}"


def _none_text(tried: Sequence[Candidate]) -> str:
    name = tried[0].name if tried else "?"
    return (
        f"none of {len(tried)} small edit(s) of {_lines(tried)} of {name} fixes its failing tests"
    )
