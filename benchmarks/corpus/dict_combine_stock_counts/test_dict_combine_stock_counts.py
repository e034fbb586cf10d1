import pytest

from stock_counts import combine_counts


@pytest.mark.trainable
def test_single_warehouse():
    assert combine_counts({"A-100": 5, "B-200": 0}) == {"A-100": 5, "B-200": 0}


@pytest.mark.trainable
def test_different_skus():
    assert combine_counts({"A-100": 5}, {"C-300": 2}) == {"A-100": 5, "C-300": 2}


@pytest.mark.trainable
def test_same_sku_in_two_warehouses():
    got = combine_counts({"A-100": 5, "B-200": 1}, {"A-100": 7})
    assert got == {"A-100": 12, "B-200": 1}, f"combine_counts returned {got}"


@pytest.mark.trainable
def test_arguments_unchanged():
    north, south = {"A-100": 5}, {"A-100": 7}
    combine_counts(north, south)
    assert north == {"A-100": 5} and south == {"A-100": 7}


@pytest.mark.trainable(holdout=True)
def test_three_warehouses():
    got = combine_counts({"x": 1, "y": 2}, {"y": 3, "z": 4}, {"x": 10, "z": 0})
    assert got == {"x": 11, "y": 5, "z": 4}


@pytest.mark.trainable(holdout=True)
def test_nothing_counted():
    assert combine_counts() == {}
    assert combine_counts({}, {"q": 2}, {"q": -1}) == {"q": 1}
