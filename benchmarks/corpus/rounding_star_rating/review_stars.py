"""Star display for product reviews."""

from pytest_trace_opt import trainable


@trainable
def display_stars(average):
    """The average rating (0.0 to 5.0) rounded to the nearest half star for
    display. An average exactly between two half stars rounds up: 4.25
    shows as 4.5 and 3.75 as 4.0."""
    return round(average * 2) / 2
