from datetime import date

import pytest

from dateparse import parse_date


@pytest.mark.trainable
def test_iso_date():
    assert parse_date(" 2024-12-31 ") == date(2024, 12, 31)


@pytest.mark.trainable
def test_impossible_iso_date():
    with pytest.raises(ValueError):
        parse_date("2023-02-30")


@pytest.mark.trainable
def test_european_date_is_day_first():
    got = parse_date("07/03/2024")
    assert got == date(2024, 3, 7), f"'07/03/2024' is 7 March 2024, got {got}"


@pytest.mark.trainable
def test_christmas():
    assert parse_date("25/12/2023") == date(2023, 12, 25)


@pytest.mark.trainable(holdout=True)
def test_more_european_dates():
    assert parse_date("01/02/2000") == date(2000, 2, 1)
    assert parse_date("31/01/1999") == date(1999, 1, 31)
    assert parse_date("29/02/2024") == date(2024, 2, 29)


@pytest.mark.trainable(holdout=True)
def test_impossible_european_date():
    with pytest.raises(ValueError):
        parse_date("31/04/2024")
