"""Splitting restaurant bills between friends."""

from pytest_trace_opt import trainable


@trainable
def split_bill(total_cents, people):
    """Split a bill of `total_cents` among `people` as evenly as possible.

    Returns a list of `people` whole-cent amounts that add up exactly to
    total_cents; leftover cents go one each to the first people in the list,
    so amounts never differ by more than one cent. people < 1 raises ValueError.
    """
    if people < 1:
        raise ValueError("need at least one person")
    share = round(total_cents / people)
    return [share] * people
