"""Draft orders in the sales reps' tablet app."""

from pytest_trace_opt import trainable


@trainable
def new_draft(customer, lines=[]):
    """A new draft order {"customer": customer, "lines": [...]} whose lines
    start as a copy of `lines` (none by default). Drafts never share their
    list of lines with each other or with the caller."""
    return {"customer": customer, "lines": lines}


def add_line(draft, sku, units):
    draft["lines"].append((sku, units))
