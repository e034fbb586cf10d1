"""Trend statistics for the price history charts."""

from pytest_trace_opt import trainable


@trainable
def longest_rise(prices):
    """Length of the longest strictly increasing subsequence of `prices` (the
    days need not be consecutive). An empty history gives 0."""
    if not prices:
        return 0
    length = [1] * len(prices)
    for i in range(1, len(prices)):
        for j in range(i):
            if prices[j] < prices[i]:
                length[i] = max(length[i], length[j] + 1)
    return max(length)
