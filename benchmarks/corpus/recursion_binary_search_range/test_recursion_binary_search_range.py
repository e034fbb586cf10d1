import pytest

from timeline import find_timestamp

EVENTS = [1700000000, 1700000060, 1700000125, 1700000300, 1700000301, 1700000900]


@pytest.mark.trainable
def test_finds_each_recorded_timestamp():
    for index, stamp in enumerate(EVENTS):
        assert find_timestamp(EVENTS, stamp) == index


@pytest.mark.trainable
def test_before_the_first_event():
    assert find_timestamp(EVENTS, 1699999999) == -1


@pytest.mark.trainable
def test_after_the_last_event():
    got = find_timestamp(EVENTS, 1700001000)
    assert got == -1, f"find_timestamp(EVENTS, 1700001000) returned {got}"


@pytest.mark.trainable
def test_between_two_events():
    got = find_timestamp(EVENTS, 1700000200)
    assert got == -1, f"find_timestamp(EVENTS, 1700000200) returned {got}"


@pytest.mark.trainable
def test_empty_index():
    assert find_timestamp([], 1700000000) == -1


@pytest.mark.trainable(holdout=True)
def test_every_gap_of_a_long_index():
    stamps = list(range(0, 3000, 3))
    for missing in (1, 2, 1501, 2998, 2999, 5000):
        assert find_timestamp(stamps, missing) == -1, missing


@pytest.mark.trainable(holdout=True)
def test_single_event_and_subrange():
    assert find_timestamp([42], 42) == 0
    assert find_timestamp([42], 43) == -1
    assert find_timestamp(EVENTS, 1700000300, 2, 5) == 3
