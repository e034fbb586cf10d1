import pytest

from leapyear import days_in_month, is_leap_year


@pytest.mark.trainable
def test_ordinary_leap_year():
    assert is_leap_year(2024) is True


@pytest.mark.trainable
def test_ordinary_common_year():
    assert is_leap_year(2023) is False


@pytest.mark.trainable
def test_century_not_divisible_by_400():
    assert is_leap_year(1900) is False


@pytest.mark.trainable
def test_year_2000_is_leap():
    got = is_leap_year(2000)
    assert got is True, f"is_leap_year(2000) returned {got!r}; 2000 is divisible by 400"


@pytest.mark.trainable
def test_february_2000_has_29_days():
    got = days_in_month(2000, 2)
    assert got == 29, f"days_in_month(2000, 2) returned {got}"


@pytest.mark.trainable(holdout=True)
def test_other_400_year_centuries():
    assert is_leap_year(1600) is True
    assert is_leap_year(2400) is True


@pytest.mark.trainable(holdout=True)
def test_other_centuries_and_years():
    assert is_leap_year(2100) is False
    assert is_leap_year(1996) is True
    assert is_leap_year(2001) is False
