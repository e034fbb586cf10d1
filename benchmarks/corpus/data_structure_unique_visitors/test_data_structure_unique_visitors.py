import pytest

from visitor_stats import first_visits


@pytest.mark.trainable
def test_no_views():
    assert first_visits([]) == []


@pytest.mark.trainable
def test_repeat_views_count_once():
    assert first_visits([1, 2, 1, 3, 2]) == [1, 2, 3]


@pytest.mark.trainable
def test_order_of_first_visit():
    got = first_visits([42, 7, 42, 19, 7, 3])
    assert got == [42, 7, 19, 3], f"first_visits([42, 7, 42, 19, 7, 3]) returned {got}"


@pytest.mark.trainable
def test_large_ids():
    got = first_visits([100234, 99871, 100234, 100001])
    assert got == [100234, 99871, 100001], f"returned {got}"


@pytest.mark.trainable(holdout=True)
def test_reverse_order_log():
    assert first_visits(list(range(50, 0, -1)) * 2) == list(range(50, 0, -1))


@pytest.mark.trainable(holdout=True)
def test_one_visitor_and_interleaved():
    assert first_visits([5, 5, 5]) == [5]
    assert first_visits([9, 8, 9, 8, 10]) == [9, 8, 10]
