from pytest_trace_opt import trainable


@trainable
def median(values):
    """The median of a non-empty sequence of numbers.

    For an even count it is the mean of the two middle values.
    Raises ValueError for an empty sequence.
    """
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid]
