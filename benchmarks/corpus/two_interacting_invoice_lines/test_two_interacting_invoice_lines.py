from decimal import Decimal

import pytest

from invoicing import invoice_total, line_total


@pytest.mark.trainable
def test_line_total():
    assert line_total("2.50", 4) == Decimal("10.00")
    assert line_total("19.99", 3, 10) == Decimal("53.97")


@pytest.mark.trainable
def test_empty_invoice():
    assert invoice_total([]) == Decimal("0.00")


@pytest.mark.trainable
def test_round_amounts():
    assert invoice_total([("2.50", 4, 0), ("1.25", 2, 20)]) == Decimal("12.00")


@pytest.mark.trainable
def test_total_matches_the_printed_lines():
    lines = [("0.125", 1, 0), ("0.125", 1, 0), ("0.125", 1, 0)]
    printed = [line_total(*line) for line in lines]
    got = invoice_total(lines)
    assert got == sum(printed), f"lines printed as {printed} but invoice_total is {got}"


@pytest.mark.trainable(holdout=True)
def test_discounted_lines_add_up():
    lines = [("3.335", 1, 0), ("9.99", 7, 15), ("0.005", 1, 0), ("12.345", 2, 50)]
    assert invoice_total(lines) == Decimal("75.14")


@pytest.mark.trainable(holdout=True)
def test_many_small_lines():
    assert invoice_total([("0.004", 1, 0)] * 10) == Decimal("0.00")
    assert invoice_total([("0.015", 1, 0)] * 4) == Decimal("0.08")
