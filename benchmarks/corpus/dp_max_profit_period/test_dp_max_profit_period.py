import pytest

from quarter_report import best_run_total


@pytest.mark.trainable
def test_mixed_days():
    assert best_run_total([3, -2, 5, -1, 2, -8, 4]) == 7


@pytest.mark.trainable
def test_every_day_positive():
    assert best_run_total([1, 2, 3]) == 6


@pytest.mark.trainable
def test_single_losing_day():
    got = best_run_total([-4])
    assert got == -4, f"best_run_total([-4]) returned {got}"


@pytest.mark.trainable
def test_a_quarter_of_losses():
    got = best_run_total([-7, -3, -9, -5])
    assert got == -3, f"best_run_total([-7, -3, -9, -5]) returned {got}"


@pytest.mark.trainable(holdout=True)
def test_more_losing_quarters():
    assert best_run_total([-2, -1, -3]) == -1
    assert best_run_total([-10, -20]) == -10


@pytest.mark.trainable(holdout=True)
def test_run_in_the_middle():
    assert best_run_total([-5, 4, -1, 6, -9, 2]) == 9
    assert best_run_total([0, -1, 0]) == 0
