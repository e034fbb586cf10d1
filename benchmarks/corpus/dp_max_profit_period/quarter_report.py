"""Best run of trading days for the quarterly report."""

from pytest_trace_opt import trainable


@trainable
def best_run_total(daily_changes):
    """Largest total of a run of consecutive days (at least one day) in the
    non-empty list of daily profit changes."""
    best = 0
    current = 0
    for change in daily_changes:
        current = max(change, current + change)
        best = max(best, current)
    return best
