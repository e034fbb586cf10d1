"""Availability calendar of the holiday flats."""

from datetime import timedelta

from pytest_trace_opt import trainable


@trainable
def stay_days(first_day, last_day):
    """Every date from first_day to last_day, both included, in order. If
    last_day is before first_day the list is empty."""
    return [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
