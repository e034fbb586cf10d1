"""From test outcomes to the concise text an optimizer reads. Pure functions, no opto."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import pytest

feedback_key = pytest.StashKey["TraceFeedback"]()

SCORE_PROPERTY = "trace_opt.score"
CRITIQUE_PROPERTY = "trace_opt.critique"

# Frames from these packages are noise to the optimizer.
_INTERNAL_PATH = re.compile(
    r"(?:^|[/\\])(_pytest|pytest|pluggy|opto|pytest_trace_opt|xdist|execnet)[/\\]"
    r"|<frozen |^<string>$"
)
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]{4,}")

MAX_LINE = 240
MAX_TEST_FEEDBACK = 1600
MAX_CAPTURED = 400


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


def mask_addresses(text: str) -> str:
    """Memory addresses differ per run; they defeat caches and cassettes."""
    return _ADDRESS.sub("", text)


def clip(text: str, limit: int) -> str:
    """Keep head and tail of long text, saying how much was cut."""
    if len(text) <= limit:
        return text
    head = limit * 2 // 3
    tail = limit - head - 30
    cut = len(text) - head - max(tail, 0)
    end = text[-tail:] if tail > 0 else ""
    return f"{text[:head]}…[{cut} chars cut]…{end}"


def bounded_repr(value: object, limit: int = 300) -> str:
    """repr() that stays short whatever the value (trace-opt itself never truncates)."""
    try:
        text = repr(value)
    except Exception as exc:  # a user __repr__ may raise
        text = f"<{type(value).__name__} object; repr() raised {type(exc).__name__}>"
    return mask_addresses(clip(text, limit))


def _clip_lines(text: str) -> str:
    return "\n".join(clip(line, MAX_LINE) for line in text.splitlines())


def _traceback_text(longrepr: Any) -> str:
    """Short traceback restricted to user frames (pytest, pluggy and opto frames dropped)."""
    chain = getattr(longrepr, "chain", None)
    if not chain:
        return str(longrepr)
    parts: list[str] = []
    for reprtraceback, reprcrash, description in chain:
        entries = []
        for entry in getattr(reprtraceback, "reprentries", []):
            loc = getattr(entry, "reprfileloc", None)
            if loc is not None and _INTERNAL_PATH.search(str(loc.path)):
                continue
            lines = [line for line in getattr(entry, "lines", []) if line.strip()]
            where = f"{loc.path}:{loc.lineno}" if loc is not None else ""
            entries.append((where + ("\n" if where else "") + "\n".join(lines)).rstrip())
        if reprcrash is not None and not any("\nE   " in "\n" + e for e in entries[-1:]):
            # The raising frame was internal (e.g. a timeout handler): keep its message.
            entries.append("E   " + reprcrash.message.replace("\n", "\nE   "))
        parts.append("\n".join(entries))
        if description:
            parts.append(description.strip())
    return "\n".join(p for p in parts if p)


def default_feedback(report: pytest.TestReport) -> str:
    """Feedback text for a failing report: id, assertion or exception, user frames, output."""
    phase = "" if report.when == "call" else f" during {report.when}"
    lines = [f"{report.nodeid} failed{phase}:"]
    body = _traceback_text(report.longrepr)
    lines.append(_clip_lines(mask_addresses(body)))
    for title, content in (("stdout", report.capstdout), ("stderr", report.capstderr)):
        if content and content.strip():
            lines.append(f"captured {title}: {clip(content.strip(), MAX_CAPTURED)}")
    return clip("\n".join(lines), MAX_TEST_FEEDBACK)


def extra_feedback(user_properties: list[tuple[str, Any]]) -> tuple[list[str], list[float]]:
    critiques = [str(v) for k, v in user_properties if k == CRITIQUE_PROPERTY]
    scores = [float(v) for k, v in user_properties if k == SCORE_PROPERTY]
    return critiques, scores
