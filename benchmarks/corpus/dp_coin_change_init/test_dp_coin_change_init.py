import pytest

from ticket_machine import fewest_coins

EURO = [1, 2, 5, 10, 20, 50, 100, 200]


@pytest.mark.trainable
def test_impossible_amount():
    assert fewest_coins(3, [2]) is None


@pytest.mark.trainable
def test_nothing_to_give():
    assert fewest_coins(0, EURO) == 0


@pytest.mark.trainable
def test_euro_change():
    got = fewest_coins(380, EURO)
    assert got == 5, f"fewest_coins(380, EURO) returned {got}"


@pytest.mark.trainable
def test_greedy_is_not_enough():
    got = fewest_coins(30, [1, 15, 25])
    assert got == 2, f"fewest_coins(30, [1, 15, 25]) returned {got}"


@pytest.mark.trainable(holdout=True)
def test_more_amounts():
    assert fewest_coins(6, [1, 3, 4]) == 2
    assert fewest_coins(7, [2, 5]) == 2
    assert fewest_coins(1, [2, 5]) is None


@pytest.mark.trainable(holdout=True)
def test_single_coin_and_large_amount():
    assert fewest_coins(50, [50]) == 1
    assert fewest_coins(999, EURO) == 11
