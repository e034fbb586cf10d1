import pytest

from price_trends import longest_rise


@pytest.mark.trainable
def test_empty_history():
    assert longest_rise([]) == 0


@pytest.mark.trainable
def test_steady_rise():
    assert longest_rise([10, 11, 12, 15]) == 4


@pytest.mark.trainable
def test_steady_fall():
    assert longest_rise([9, 7, 4, 2]) == 1


@pytest.mark.trainable
def test_rise_after_a_dip():
    got = longest_rise([1, 2, 3, 0, 4])
    assert got == 4, f"longest_rise([1, 2, 3, 0, 4]) returned {got}"


@pytest.mark.trainable
def test_new_high_after_a_drop():
    got = longest_rise([3, 4, 1, 5])
    assert got == 3, f"longest_rise([3, 4, 1, 5]) returned {got}"


@pytest.mark.trainable
def test_classic_example():
    got = longest_rise([10, 9, 2, 5, 3, 7, 101, 18])
    assert got == 4, f"longest_rise([10, 9, 2, 5, 3, 7, 101, 18]) returned {got}"


@pytest.mark.trainable(holdout=True)
def test_noisy_series():
    assert longest_rise([3, 10, 2, 1, 20]) == 3
    assert longest_rise([5, 6, 7, 1, 2, 8]) == 4
    assert longest_rise([0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15]) == 6


@pytest.mark.trainable(holdout=True)
def test_flat_prices_do_not_count():
    assert longest_rise([4, 4, 4]) == 1
    assert longest_rise([1, 1, 2, 2, 3]) == 3
