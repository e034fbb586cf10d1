"""'Did you mean ...?' suggestions for the product search."""

from pytest_trace_opt import trainable


@trainable
def edit_distance(a, b):
    """Levenshtein distance: the fewest single-character insertions, deletions
    and substitutions that turn `a` into `b`."""
    rows, cols = len(a) + 1, len(b) + 1
    dist = [[0] * cols for _ in range(rows)]
    for j in range(cols):
        dist[0][j] = j
    for i in range(1, rows):
        for j in range(1, cols):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            dist[i][j] = min(dist[i - 1][j] + 1, dist[i][j - 1] + 1, dist[i - 1][j - 1] + cost)
    return dist[-1][-1]


def suggest(word, vocabulary, max_distance=2):
    """Vocabulary words within max_distance edits of `word`, closest first."""
    scored = sorted((edit_distance(word, known), known) for known in vocabulary)
    return [known for distance, known in scored if distance <= max_distance]
