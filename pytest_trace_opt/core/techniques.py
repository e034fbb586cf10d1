"""Switches that turn one repair technique off, to measure what it is worth.

The benchmark (``benchmarks/run.py --variant``) sets ``PYTEST_TRACE_OPT_ABLATE`` to a
comma-separated list of the names below and compares the fix rate with and without. It is
not a user setting: each switch makes the plugin worse on purpose.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

ENV = "PYTEST_TRACE_OPT_ABLATE"

# switch -> (the Techniques field it turns off, what the plugin does without it)
SWITCHES: dict[str, tuple[str, str]] = {
    "feedback": (
        "detailed_feedback",
        "plain feedback: the failing count and one 'FAILED test - first error line' per "
        "failing test, as pytest's short summary (no expected/actual detail, no ordering, no "
        "deduplication)",
    ),
    "memory": (
        "rejection_memory",
        "the next prompt does not show the rejected candidate and why it was rejected",
    ),
    "lenient": (
        "lenient_parsing",
        "stock OptoPrime reply parsing (no recovery of fenced code, escaped newlines, "
        "misplaced keys) and no invitation to put code in a python block",
    ),
    "holdout": (
        "holdout_guard",
        "acceptance ignores the holdout tests (a candidate may break them)",
    ),
    "search": ("edit_search", "no edit search: the LLM rounds start from the original code"),
    "patterns": (
        "fix_patterns",
        "the edit search tries one-token slips only: no fix pattern (reversed loop, other end "
        "of a list, swapped arguments, negated condition), no statement removed",
    ),
    "pairs": (
        "edit_pairs",
        "the edit search tries single edits only: no second edit on top of one that fixed "
        "some of the failing tests",
    ),
    "localization": (
        "localization",
        "the prompt marks no suspicious line (the edit search still ranks lines)",
    ),
    "context": (
        "module_context",
        "the prompt shows the code to change alone: no module documentation, helpers, "
        "constants, class or code that reads a value",
    ),
    "closer": (
        "closer_steps",
        "a candidate that fixes no test is never kept, even when it brings the failing "
        "results closer to what the tests expect",
    ),
    "infill": (
        "infill",
        "the first LLM call asks for the whole corrected function, as the later ones do, "
        "instead of filling in the most suspicious statement",
    ),
    "holes": (
        "more_holes",
        "after the first fill-in every call asks for the whole corrected function; no later "
        "call fills in the next suspicious statement",
    ),
    "generalize": (
        "generalize",
        "when every visible test passes and a guarded holdout still fails, the loop stops "
        "instead of asking for the general rule (told only how many held-out tests fail)",
    ),
    "partial": (
        "partial_changes",
        "after an LLM candidate that falls short, only small edits of the lines it changed "
        "are tried, not the candidate without one part of its change or one part alone",
    ),
}


@dataclass(frozen=True)
class Techniques:
    """Which techniques are on (all of them unless the benchmark switches one off)."""

    detailed_feedback: bool = True
    rejection_memory: bool = True
    lenient_parsing: bool = True
    holdout_guard: bool = True
    edit_search: bool = True
    fix_patterns: bool = True
    edit_pairs: bool = True
    localization: bool = True
    module_context: bool = True
    closer_steps: bool = True
    partial_changes: bool = True
    infill: bool = True
    more_holes: bool = True
    generalize: bool = True

    @property
    def ablated(self) -> list[str]:
        return [name for name, (field, _) in SWITCHES.items() if not getattr(self, field)]


def techniques_from_env(environ: Mapping[str, str]) -> Techniques:
    """Raises ValueError naming the known switches when the variable holds an unknown one."""
    raw = environ.get(ENV, "")
    names = [n.strip() for n in raw.split(",") if n.strip()]
    unknown = [n for n in names if n not in SWITCHES]
    if unknown:
        raise ValueError(
            f"{ENV}: unknown switch(es) {', '.join(unknown)}; known: {', '.join(SWITCHES)}"
        )
    return Techniques(**{field: name not in names for name, (field, _) in SWITCHES.items()})
