"""Withholding tax for the payroll run."""

from pytest_trace_opt import trainable

SPEC = """
Income tax is progressive: each rate applies only to the part of the yearly
income that falls inside its band.

    up to 12 000            0 %
    12 000 to 30 000       15 %
    30 000 to 70 000       30 %
    above 70 000           45 %

An income of 40 000 owes 0 + 2 700 + 3 000 = 5 700. Incomes are whole euros
and the tax is rounded down to whole euros.
"""

BANDS = [(12_000, 0), (30_000, 15), (70_000, 30), (None, 45)]  # (upper limit, percent)


@trainable
def income_tax(income):
    tax, lower = 0, 0
    for upper, percent in BANDS:
        top = income if upper is None else min(income, upper)
        if top > lower:
            tax += (top - lower) * percent
        if upper is not None:
            lower = upper
    return tax // 100
