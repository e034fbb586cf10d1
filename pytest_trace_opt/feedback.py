"""The ``trace_feedback`` fixture's object: critiques and scores beyond assertions.

It runs in whatever process runs the test (an evaluation child, or a plain pytest run,
where it only records ``user_properties``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pytest

feedback_key = pytest.StashKey["TraceFeedback"]()

SCORE_PROPERTY = "trace_opt.score"
CRITIQUE_PROPERTY = "trace_opt.critique"


@dataclass
class TraceFeedback:
    """What a test adds to its feedback through the ``trace_feedback`` fixture."""

    critiques: list[str] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)

    def critique(self, text: str) -> None:
        """Add a natural-language critique of the trainable's output."""
        if not isinstance(text, str) or not text.strip():
            raise TypeError("critique() takes a non-empty string")
        self.critiques.append(text.strip())

    def score(self, value: float) -> None:
        """Record a numeric score; higher is better ([0, 1] recommended)."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"score() takes a number, got {type(value).__name__}")
        if not math.isfinite(value):
            raise ValueError("score() takes a finite number")
        self.scores.append(float(value))

    def as_properties(self) -> list[tuple[str, Any]]:
        props: list[tuple[str, Any]] = [(CRITIQUE_PROPERTY, c) for c in self.critiques]
        props += [(SCORE_PROPERTY, s) for s in self.scores]
        return props
