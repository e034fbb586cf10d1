"""Lookups in the sorted timestamp index of the event log."""

from pytest_trace_opt import trainable


@trainable
def find_timestamp(timestamps, target, lo=0, hi=None):
    """Index of `target` in the ascending list `timestamps`, or -1 if it is
    not there. Searches timestamps[lo:hi] by halving the range."""
    if hi is None:
        hi = len(timestamps)
    if lo >= hi:
        return -1
    mid = (lo + hi) // 2
    if timestamps[mid] == target:
        return mid
    if timestamps[mid] < target:
        return find_timestamp(timestamps, target, mid + 1, hi)
    return find_timestamp(timestamps, target, lo, mid)
