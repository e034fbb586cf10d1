import pytest

from savings import balance_after


@pytest.mark.trainable
def test_one_year():
    assert balance_after(1000, 5, 1) == 1050.0


@pytest.mark.trainable
def test_no_time_passed():
    got = balance_after(1000, 5, 0)
    assert got == 1000.0, f"balance_after(1000, 5, 0) returned {got}"


@pytest.mark.trainable
def test_ten_years():
    got = balance_after(1000, 5, 10)
    assert got == 1628.89, f"balance_after(1000, 5, 10) returned {got}"


@pytest.mark.trainable
def test_zero_interest():
    assert balance_after(250, 0, 3) == 250.0


@pytest.mark.trainable(holdout=True)
def test_longer_horizons():
    assert balance_after(500, 3, 30) == 1213.63
    assert balance_after(10000, 7.5, 2) == 11556.25


@pytest.mark.trainable(holdout=True)
def test_doubling_at_seven_percent():
    assert 1960 < balance_after(1000, 7, 10) < 1970
