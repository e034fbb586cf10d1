"""Helpers for nested data from JSON payloads."""

from pytest_trace_opt import trainable


@trainable
def flatten(value):
    """Flatten nested lists and tuples into one flat list, keeping order.

    Anything that is not a list or tuple (numbers, strings, None, dicts) is a
    leaf and is kept as it is: flatten([1, [2, ("a", [None])]]) returns
    [1, 2, "a", None].
    """
    flat = []
    for item in value:
        flat.extend(flatten(item))
    return flat
