"""Rolling statistics over a list of numbers."""

from pytest_trace_opt import trainable


@trainable
def moving_average(values, window):
    """Return the average of every run of `window` consecutive values.

    A list of n values gives n - window + 1 averages, the first window first.
    If the window is longer than the list, return []. A window below 1 raises
    ValueError.
    """
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    averages = []
    for start in range(len(values) - window + 1):
        chunk = values[start : start + window]
        averages.append(sum(chunk) / window)
    return averages
