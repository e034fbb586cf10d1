"""The always-equal guard: a candidate's result must be an honest value, not an object whose
``__eq__`` says True to anything (``assert f(x) == expected`` would pass for any expected).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class _Stranger:
    """Equal to nothing but itself: what an honest value compares unequal to."""

    __hash__ = object.__hash__


MAX_EQUALITY_DEPTH = 6  # containers looked into, nested
MAX_EQUALITY_ITEMS = 512  # values compared in one result, at most


def forged_equality(value: Any, depth: int = MAX_EQUALITY_DEPTH) -> str | None:
    """The type name of an object in ``value`` that claims to equal anything (its ``__eq__``
    says True to a fresh object it cannot know), looking into nested lists, tuples, sets and
    dicts (keys and values) up to a bound; None when every value is honest. A comparison that
    raises or is not a bool is not forged."""
    budget = [MAX_EQUALITY_ITEMS]

    def walk(item: Any, left: int) -> str | None:
        budget[0] -= 1
        if budget[0] < 0 or item is None or type(item) in (bool, int, float, complex, str, bytes):
            return None
        try:
            claims = (item == _Stranger()) is True
        except Exception:
            claims = False
        if claims:
            return type(item).__qualname__
        if left <= 0:
            return None
        inner: list[Any] = []
        if isinstance(item, (list, tuple, set, frozenset)):
            inner = list(item)[:64]
        elif isinstance(item, dict):
            inner = [v for pair in list(item.items())[:64] for v in pair]
        for sub in inner:
            found = walk(sub, left - 1)
            if found:
                return found
        return None

    return walk(value, depth)


def check_equality(fn: Callable[..., Any], impl: Callable[..., Any], result: Any) -> None:
    if impl is fn:
        return  # the user's own code is trusted as it is
    forged = forged_equality(result)
    if forged:
        raise AssertionError(
            f"the candidate returned a {forged} object that compares equal to anything:"
            " a result must be an honest value"
        )
