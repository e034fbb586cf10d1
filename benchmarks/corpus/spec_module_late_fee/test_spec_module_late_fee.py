from datetime import date

import pytest

from library_loans import late_fee_cents

OUT = date(2024, 3, 1)  # due on 2024-03-22


@pytest.mark.trainable
def test_returned_on_the_due_date():
    assert late_fee_cents(OUT, date(2024, 3, 22)) == 0


@pytest.mark.trainable
def test_four_days_late():
    assert late_fee_cents(OUT, date(2024, 3, 26)) == 100


@pytest.mark.trainable
def test_fee_is_capped():
    assert late_fee_cents(OUT, date(2024, 6, 1)) == 1000


@pytest.mark.trainable
def test_child_card_four_days_late():
    assert late_fee_cents(OUT, date(2024, 3, 26), child=True) == 50


@pytest.mark.trainable
def test_child_card_three_days_late():
    got = late_fee_cents(OUT, date(2024, 3, 25), child=True)
    assert got == 37, f"child card, 3 days late: {got} cents"


@pytest.mark.trainable(holdout=True)
def test_child_card_odd_days():
    fees = [late_fee_cents(OUT, date(2024, 3, 22 + days), child=True) for days in range(1, 8)]
    assert fees == [12, 25, 37, 50, 62, 75, 87]


@pytest.mark.trainable(holdout=True)
def test_child_card_cap_and_early_return():
    assert late_fee_cents(OUT, date(2024, 9, 1), child=True) == 500
    assert late_fee_cents(OUT, date(2024, 3, 2), child=True) == 0
