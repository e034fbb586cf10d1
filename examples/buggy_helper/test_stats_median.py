import pytest
from stats import median

pytestmark = pytest.mark.trainable


def test_odd_count():
    assert median([3, 1, 2]) == 2


def test_even_count():
    assert median([4, 1, 3, 2]) == 2.5


def test_two_values():
    assert median([10, 20]) == 15


def test_empty_raises():
    with pytest.raises(ValueError):
        median([])


@pytest.mark.trainable(holdout=True)
def test_even_unsorted_holdout():
    assert median([7, -1, 5, 3, 9, 11]) == 6


@pytest.mark.trainable(holdout=True)
def test_single_holdout():
    assert median([42]) == 42
