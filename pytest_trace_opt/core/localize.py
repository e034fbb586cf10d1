"""Spectrum-based fault localization: which lines of a trainable the failing tests run.

Each test's child records the file lines of the trainable's code it ran. A line run by
every failing test and by few passing ones is suspicious (Ochiai's coefficient,
ef / sqrt(F * (ef + ep))). Only visible tests count: holdouts are never shown to the
optimizer, not even through their lines. Pure functions, no opto, no pytest.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_trace_opt.model import TestResult

MAX_MARKED = 3
CLOSE_TO_TOP = 0.75  # lines scoring at least this share of the best one are marked too


@dataclass(frozen=True)
class Suspicion:
    line: int  # file line
    score: float  # Ochiai, 0..1
    failing: int  # failing tests that ran it
    passing: int  # passing tests that ran it
    failing_total: int  # failing tests that ran the trainable at all
    passing_total: int


def rank_lines(
    key: str, failing: Sequence[TestResult], passing: Sequence[TestResult]
) -> list[Suspicion]:
    """Every line a failing test ran, most suspicious first."""
    failed = [set(r.lines.get(key, ())) for r in failing]
    passed = [set(r.lines.get(key, ())) for r in passing]
    failed = [lines for lines in failed if lines]
    passed = [lines for lines in passed if lines]
    if not failed:
        return []
    total = len(failed)
    ranked = []
    for line in sorted(set().union(*failed)):
        ef = sum(line in lines for lines in failed)
        ep = sum(line in lines for lines in passed)
        score = ef / math.sqrt(total * (ef + ep))
        ranked.append(Suspicion(line, round(score, 3), ef, ep, total, len(passed)))
    ranked.sort(key=lambda s: (-s.score, s.line))
    return ranked


def suspicious_lines(
    key: str, failing: Sequence[TestResult], passing: Sequence[TestResult]
) -> list[Suspicion]:
    """The lines worth pointing at, or none when the spectrum does not tell them apart
    (straight-line code: every line ran in every test)."""
    ranked = rank_lines(key, failing, passing)
    if not ranked or ranked[0].score <= 0:
        return []
    top = ranked[0].score
    close = [s for s in ranked if s.score >= top * CLOSE_TO_TOP]
    if len(close) > max(1, len(ranked) // 2):
        return []
    return close[:MAX_MARKED]


def suspicion_records(
    keys: Iterable[str], results: Sequence[TestResult]
) -> dict[str, list[dict[str, Any]]]:
    """Per target key, :func:`suspicious_lines` over ``results`` as the reports write them."""
    failing = [r for r in results if r.counted and not r.passed]
    passing = [r for r in results if r.passed]
    return {
        key: [
            {"line": m.line, "score": m.score, "failing": m.failing, "passing": m.passing}
            for m in suspicious_lines(key, failing, passing)
        ]
        for key in keys
    }
