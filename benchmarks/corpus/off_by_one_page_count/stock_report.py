"""Page footer of the printed stock report ("page 2 of 7")."""

from pytest_trace_opt import trainable


@trainable
def page_count(rows, rows_per_page):
    """Number of pages needed to print `rows` rows at `rows_per_page` rows
    per page. A partly filled last page counts as a page; no rows need no
    pages."""
    return rows // rows_per_page + 1


def footer(page, rows, rows_per_page):
    return f"page {page} of {page_count(rows, rows_per_page)}"
