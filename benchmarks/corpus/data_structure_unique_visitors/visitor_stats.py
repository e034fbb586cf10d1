"""Visitor statistics of the shop's landing page."""

from pytest_trace_opt import trainable


@trainable
def first_visits(visitor_ids):
    """The distinct visitor ids of the page-view log (a list of ints), each
    once, in the order of their first visit."""
    return list(set(visitor_ids))
