"""The nightly batch job runner."""

import heapq

from pytest_trace_opt import trainable


@trainable
def run_order(jobs):
    """Names of the jobs in the order they run. `jobs` lists (name, priority)
    pairs in submission order; a lower priority number runs first, and jobs
    of equal priority run in the order they were submitted."""
    heap = [(priority, name) for name, priority in jobs]
    heapq.heapify(heap)
    return [heapq.heappop(heap)[1] for _ in range(len(heap))]
