"""Hop counts in the office network (routers and the links between them)."""

from collections import deque

from pytest_trace_opt import trainable


@trainable
def hop_count(links, source, target):
    """Fewest links a packet crosses from `source` to `target`.

    `links` maps each router to the routers it is wired to. A router is 0
    hops from itself. Returns None when there is no route.
    """
    queue = deque([(source, 0)])
    seen = {source}
    while queue:
        router, hops = queue.popleft()
        if router == target:
            return hops
        for neighbour in links.get(router, []):
            if neighbour not in seen:
                seen.add(neighbour)
                queue.append((neighbour, hops + 1))
    return None
