"""Invoices of the wholesale shop."""

from decimal import ROUND_HALF_UP, Decimal

from pytest_trace_opt import trainable


def cents(amount):
    """Round a Decimal half up to whole cents."""
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@trainable
def line_total(unit_price, quantity, discount_percent=0):
    """Amount of one invoice line as a Decimal rounded to cents: unit_price
    (a string such as "2.345") times quantity, less discount_percent percent."""
    gross = Decimal(unit_price) * quantity
    return cents(gross * (100 - Decimal(discount_percent)) / 100)


@trainable
def invoice_total(lines):
    """Total of the invoice: the sum of its line totals as printed on it, each
    rounded to cents. `lines` holds (unit_price, quantity, discount_percent)."""
    exact = sum(Decimal(price) * qty * (100 - Decimal(disc)) / 100 for price, qty, disc in lines)
    return cents(Decimal(exact))
