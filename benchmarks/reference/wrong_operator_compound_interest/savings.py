"""Savings projections for the banking app."""

from pytest_trace_opt import trainable


@trainable
def balance_after(deposit, yearly_rate_percent, years):
    """Balance after `years` whole years when `deposit` earns
    yearly_rate_percent interest compounded once a year, rounded to cents."""
    return round(deposit * (1 + yearly_rate_percent / 100) ** years, 2)
