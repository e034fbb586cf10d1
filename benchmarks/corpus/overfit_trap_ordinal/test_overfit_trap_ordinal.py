import pytest

from ordinal_dates import ordinal


@pytest.mark.trainable
def test_first_days_of_the_month():
    assert [ordinal(n) for n in (1, 2, 3, 4, 5)] == ["1st", "2nd", "3rd", "4th", "5th"]


@pytest.mark.trainable
def test_twenties():
    assert [ordinal(n) for n in (21, 22, 23, 24)] == ["21st", "22nd", "23rd", "24th"]


@pytest.mark.trainable
def test_eleventh():
    got = ordinal(11)
    assert got == "11th", f"ordinal(11) returned {got!r}"


@pytest.mark.trainable
def test_twelfth_and_thirteenth():
    got = [ordinal(12), ordinal(13)]
    assert got == ["12th", "13th"], f"returned {got}"


@pytest.mark.trainable(holdout=True)
def test_hundreds():
    got = [ordinal(n) for n in (101, 111, 112, 113, 122, 211, 1013)]
    assert got == ["101st", "111th", "112th", "113th", "122nd", "211th", "1013th"]


@pytest.mark.trainable(holdout=True)
def test_round_numbers():
    assert [ordinal(n) for n in (10, 20, 100, 1000)] == ["10th", "20th", "100th", "1000th"]
