"""Numbers a trainable value may take instead of its own, tried before any LLM call: a
threshold, a weight or a count set as ``node(0.9, trainable=True)`` that the tests say is
wrong is most often wrong by a step, and a few runs of the failing tests find the step
that the LLM would have to guess from scores. The nearest numbers first: the smallest
change that makes every test pass is the one kept. Pure, no opto.
"""

from __future__ import annotations

MAX_VALUES = 10
_FACTORS = (0.9, 1.1, 0.75, 1.25, 0.5, 1.5, 2.0, 0.25, 4.0, 10.0, 0.1)


def numeric_neighbours(value: object) -> list[int | float]:
    """Values to try for a trainable number, nearest first; none for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return []
    found: list[int | float] = []
    if isinstance(value, float) and 0.0 < value < 1.0:  # a probability or a share
        found += [round(step / 20, 2) for step in range(1, 20)]
    elif isinstance(value, int):
        found += [value + d for d in (-1, 1, -2, 2)] + [value * 2, value // 2, value * 10]
    else:
        found += [float(f"{value * factor:.3g}") for factor in _FACTORS]
    unique = list(dict.fromkeys(v for v in found if v != value))
    unique.sort(key=lambda v: (round(abs(v - value), 9), v))  # a tie: the smaller first
    return unique[:MAX_VALUES]
