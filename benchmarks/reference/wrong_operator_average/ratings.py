"""Star ratings for the product page."""

from pytest_trace_opt import trainable


@trainable
def average_rating(ratings):
    """Return the mean of the star ratings (integers 1-5), rounded to one decimal.

    An empty list has no rating yet: return 0.0.
    """
    if not ratings:
        return 0.0
    return round(sum(ratings) / len(ratings), 1)
