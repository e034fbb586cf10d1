import pytest

from payroll_tax import income_tax


@pytest.mark.trainable
def test_below_the_allowance():
    assert income_tax(9_500) == 0


@pytest.mark.trainable
def test_exactly_the_allowance():
    assert income_tax(12_000) == 0


@pytest.mark.trainable
def test_second_band():
    got = income_tax(20_000)
    assert got == 1_200, f"income_tax(20_000) returned {got}"


@pytest.mark.trainable
def test_example_from_the_spec():
    got = income_tax(40_000)
    assert got == 5_700, f"income_tax(40_000) returned {got}"


@pytest.mark.trainable(holdout=True)
def test_top_band():
    assert income_tax(100_000) == 28_200
    assert income_tax(70_000) == 14_700


@pytest.mark.trainable(holdout=True)
def test_just_over_a_band_limit_and_rounding():
    assert income_tax(30_001) == 2_700
    assert income_tax(12_007) == 1
    assert income_tax(0) == 0
