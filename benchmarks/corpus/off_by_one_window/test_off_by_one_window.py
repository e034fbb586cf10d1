import pytest

from series import moving_average


@pytest.mark.trainable
def test_pairs_of_five_values():
    got = moving_average([1, 2, 3, 4, 5], 2)
    assert got == [1.5, 2.5, 3.5, 4.5], f"moving_average([1, 2, 3, 4, 5], 2) returned {got}"


@pytest.mark.trainable
def test_window_as_long_as_the_list_gives_one_average():
    got = moving_average([2, 4, 6], 3)
    assert got == [4.0], f"one full window expected, got {got}"


@pytest.mark.trainable
def test_window_of_one_returns_every_value():
    got = moving_average([3, 1, 4], 1)
    assert got == [3.0, 1.0, 4.0], f"moving_average([3, 1, 4], 1) returned {got}"


@pytest.mark.trainable
def test_window_longer_than_list_is_empty():
    assert moving_average([1, 2], 5) == []


@pytest.mark.trainable
def test_window_below_one_is_rejected():
    with pytest.raises(ValueError):
        moving_average([1, 2, 3], 0)


@pytest.mark.trainable(holdout=True)
def test_number_of_averages():
    values = list(range(10))
    for window in range(1, 11):
        got = moving_average(values, window)
        assert len(got) == 10 - window + 1, f"window {window}: {len(got)} averages"


@pytest.mark.trainable(holdout=True)
def test_float_values_and_empty_list():
    assert moving_average([0.5, 1.5, 2.5], 2) == pytest.approx([1.0, 2.0])
    assert moving_average([], 1) == []
