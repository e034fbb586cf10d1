from datetime import datetime

import pytest

from support_hours import desk_open


@pytest.mark.trainable
def test_weekday_opening_hours():
    assert desk_open(datetime(2024, 6, 12, 8, 30)) is True  # Wednesday
    assert desk_open(datetime(2024, 6, 12, 16, 59)) is True
    assert desk_open(datetime(2024, 6, 12, 17, 0)) is False


@pytest.mark.trainable
def test_saturday():
    assert desk_open(datetime(2024, 6, 15, 11, 0)) is True
    assert desk_open(datetime(2024, 6, 15, 9, 0)) is False


@pytest.mark.trainable
def test_sunday_noon():
    got = desk_open(datetime(2024, 6, 16, 12, 0))
    assert got is False, f"Sunday 2024-06-16 12:00: desk_open returned {got}"


@pytest.mark.trainable
def test_holiday_on_a_weekday():
    assert desk_open(datetime(2024, 12, 25, 10, 0)) is False


@pytest.mark.trainable(holdout=True)
def test_other_sundays():
    assert desk_open(datetime(2024, 3, 3, 10, 0)) is False
    assert desk_open(datetime(2025, 1, 5, 13, 59)) is False


@pytest.mark.trainable(holdout=True)
def test_whole_week_at_eleven():
    week = [desk_open(datetime(2024, 6, 10 + day, 11, 0)) for day in range(7)]
    assert week == [True, True, True, True, True, True, False]
