import pytest

from ratings import average_rating


@pytest.mark.trainable
def test_half_star_average():
    got = average_rating([4, 5])
    assert got == 4.5, f"average_rating([4, 5]) returned {got}, the mean is 4.5"


@pytest.mark.trainable
def test_rounded_to_one_decimal():
    got = average_rating([5, 4, 4])
    assert got == 4.3, f"average_rating([5, 4, 4]) returned {got}, the mean 4.333... rounds to 4.3"


@pytest.mark.trainable
def test_equal_ratings():
    assert average_rating([3, 3, 3]) == 3


@pytest.mark.trainable
def test_no_ratings_yet():
    assert average_rating([]) == 0.0


@pytest.mark.trainable
def test_low_ratings():
    got = average_rating([1, 2])
    assert got == 1.5, f"average_rating([1, 2]) returned {got}"


@pytest.mark.trainable(holdout=True)
def test_many_ratings():
    assert average_rating([5, 5, 4, 4, 4]) == 4.4
    assert average_rating([1, 5, 5]) == 3.7


@pytest.mark.trainable(holdout=True)
def test_single_rating():
    assert average_rating([2]) == 2.0
    assert average_rating([1, 1, 1, 2]) == 1.2
