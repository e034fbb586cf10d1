from datetime import date

import pytest

from holiday_flats import stay_days


@pytest.mark.trainable
def test_last_day_before_first():
    assert stay_days(date(2024, 7, 10), date(2024, 7, 9)) == []


@pytest.mark.trainable
def test_weekend():
    got = stay_days(date(2024, 7, 6), date(2024, 7, 7))
    assert got == [date(2024, 7, 6), date(2024, 7, 7)], f"returned {got}"


@pytest.mark.trainable
def test_single_day():
    got = stay_days(date(2024, 1, 1), date(2024, 1, 1))
    assert got == [date(2024, 1, 1)], f"returned {got}"


@pytest.mark.trainable
def test_week_starts_on_first_day():
    got = stay_days(date(2024, 3, 4), date(2024, 3, 10))
    assert got[0] == date(2024, 3, 4)


@pytest.mark.trainable(holdout=True)
def test_across_a_month_end_in_a_leap_year():
    got = stay_days(date(2024, 2, 27), date(2024, 3, 2))
    assert got == [date(2024, 2, 27), date(2024, 2, 28), date(2024, 2, 29),
                   date(2024, 3, 1), date(2024, 3, 2)]


@pytest.mark.trainable(holdout=True)
def test_length_of_a_season():
    assert len(stay_days(date(2025, 6, 1), date(2025, 8, 31))) == 92
