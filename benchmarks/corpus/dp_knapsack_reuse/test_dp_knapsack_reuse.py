import pytest

from sprint_planning import best_value


@pytest.mark.trainable
def test_empty_backlog():
    assert best_value([], 10) == 0


@pytest.mark.trainable
def test_item_too_big():
    assert best_value([(13, 40)], 8) == 0


@pytest.mark.trainable
def test_one_item_fits():
    assert best_value([(5, 30)], 8) == 30


@pytest.mark.trainable
def test_small_item_is_picked_once():
    got = best_value([(2, 10)], 8)
    assert got == 10, f"best_value([(2, 10)], 8) returned {got}"


@pytest.mark.trainable
def test_typical_sprint():
    backlog = [(4, 9), (3, 5), (5, 10)]
    got = best_value(backlog, 8)
    assert got == 15, f"best_value({backlog}, 8) returned {got}"


@pytest.mark.trainable(holdout=True)
def test_bigger_backlog():
    backlog = [(8, 20), (3, 9), (5, 11), (2, 4), (13, 30), (1, 2)]
    assert best_value(backlog, 13) == 33
    assert best_value(backlog, 21) == 50


@pytest.mark.trainable(holdout=True)
def test_identical_items_each_once():
    assert best_value([(3, 5), (3, 5), (3, 5)], 10) == 15
    assert best_value([(3, 5), (4, 6)], 10) == 11
