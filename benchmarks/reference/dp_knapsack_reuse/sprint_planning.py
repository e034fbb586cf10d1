"""Sprint planning: pick the backlog items that fit the team's capacity."""

from pytest_trace_opt import trainable


@trainable
def best_value(items, capacity):
    """Highest total value of a selection of backlog items whose story points
    add up to at most `capacity`. `items` is a list of (points, value) pairs,
    and each item can be picked at most once."""
    best = [0] * (capacity + 1)
    for points, value in items:
        for room in range(capacity, points - 1, -1):
            best[room] = max(best[room], best[room - points] + value)
    return best[capacity]
