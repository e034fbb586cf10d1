"""Paging helpers for list views."""

from pytest_trace_opt import trainable


@trainable
def page_items(items, page, per_page=10):
    """Return the items shown on `page`; pages are numbered from 1.

    Page 1 holds items[0:per_page], page 2 the next per_page items, and so on.
    A page past the end is empty. A page number below 1 raises ValueError.
    """
    if page < 1:
        raise ValueError(f"page must be >= 1, got {page}")
    start = page * per_page
    return items[start : start + per_page]
