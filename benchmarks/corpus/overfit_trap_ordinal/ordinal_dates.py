"""Dates written out for invitations ("the 21st of June")."""

from pytest_trace_opt import trainable


@trainable
def ordinal(n):
    """English ordinal of a positive integer: 1st, 2nd, 3rd, 4th, ... 11th,
    12th, 13th, ... 21st, 22nd, 23rd, ... 101st, 111th, 112th, ..."""
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
