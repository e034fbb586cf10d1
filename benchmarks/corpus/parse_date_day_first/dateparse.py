"""Dates typed into the order form."""

from datetime import date

from pytest_trace_opt import trainable


@trainable
def parse_date(text):
    """Parse a date written as ISO "YYYY-MM-DD" or as European "DD/MM/YYYY".

    Surrounding whitespace is ignored; an impossible date raises ValueError.
    """
    text = text.strip()
    if "/" in text:
        month, day, year = text.split("/")
    else:
        year, month, day = text.split("-")
    return date(int(year), int(month), int(day))
