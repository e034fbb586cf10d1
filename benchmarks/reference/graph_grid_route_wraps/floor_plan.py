"""Routes for the picking robots on the warehouse floor plan."""

from collections import deque

from pytest_trace_opt import trainable


@trainable
def route_length(floor, start, goal):
    """Fewest steps from `start` to `goal` on the floor plan.

    `floor` is a list of equal-length strings: "#" is a shelf, any other
    character is free floor. Positions are (row, column). A step moves one
    cell up, down, left or right and never leaves the plan. Returns None if
    the goal cannot be reached.
    """
    rows, cols = len(floor), len(floor[0])
    queue = deque([(start, 0)])
    seen = {start}
    while queue:
        (r, c), steps = queue.popleft()
        if (r, c) == goal:
            return steps
        for nr, nc in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
            if 0 <= nr < rows and 0 <= nc < cols and floor[nr][nc] != "#" and (nr, nc) not in seen:
                seen.add((nr, nc))
                queue.append(((nr, nc), steps + 1))
    return None
