"""Seating plans for the dinner table."""

from pytest_trace_opt import trainable


@trainable
def seatings(guests):
    """Every order in which the guests can be seated, as lists.

    Plans are listed as itertools.permutations lists them: first all plans
    with guests[0] in the first seat, then those with guests[1], and so on.
    No guests give one empty plan.
    """
    if not guests:
        return [[]]
    plans = []
    for i, first in enumerate(guests):
        rest = guests[i + 1 :]
        for plan in seatings(rest):
            plans.append([first] + plan)
    return plans
