import pytest

from room_booking import can_book, clashes

NINE, TEN, ELEVEN, NOON = 540, 600, 660, 720


@pytest.mark.trainable
def test_overlapping_meetings():
    assert clashes((NINE, ELEVEN), (TEN, NOON)) is True


@pytest.mark.trainable
def test_separate_meetings():
    assert clashes((NINE, TEN), (ELEVEN, NOON)) is False


@pytest.mark.trainable
def test_back_to_back_meetings():
    got = clashes((NINE, TEN), (TEN, ELEVEN))
    assert got is False, f"09:00-10:00 and 10:00-11:00: clashes returned {got}"


@pytest.mark.trainable
def test_booking_a_gap_that_fits_exactly():
    day = [(NINE, TEN), (ELEVEN, NOON)]
    assert can_book(day, (TEN, ELEVEN)) is True


@pytest.mark.trainable(holdout=True)
def test_back_to_back_the_other_way_round():
    assert clashes((TEN, ELEVEN), (NINE, TEN)) is False
    assert can_book([(NOON, NOON + 30)], (ELEVEN, NOON)) is True


@pytest.mark.trainable(holdout=True)
def test_containment_and_one_minute_overlap():
    assert clashes((NINE, NOON), (TEN, ELEVEN)) is True
    assert clashes((NINE, TEN + 1), (TEN, ELEVEN)) is True
    assert can_book([(NINE, TEN), (TEN, ELEVEN)], (TEN - 1, TEN + 1)) is False
