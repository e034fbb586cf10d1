import pytest

from stockroom import Stockroom


@pytest.mark.trainable
def test_nothing_reserved():
    room = Stockroom({"bolt": 100, "nut": 40})
    assert room.can_fulfil({"bolt": 60, "nut": 40}) is True
    assert room.can_fulfil({"nut": 41}) is False


@pytest.mark.trainable
def test_unknown_sku():
    assert Stockroom({"bolt": 5}).can_fulfil({"washer": 1}) is False


@pytest.mark.trainable
def test_reserved_units_are_not_available():
    room = Stockroom({"bolt": 100})
    room.reserve("bolt", 70)
    got = room.can_fulfil({"bolt": 40})
    assert got is False, f"100 bolts, 70 reserved, order of 40: can_fulfil returned {got}"


@pytest.mark.trainable
def test_exactly_what_is_left():
    room = Stockroom({"hinge": 12, "screw": 300})
    room.reserve("hinge", 4)
    assert room.can_fulfil({"hinge": 8, "screw": 300}) is True
    assert room.can_fulfil({"hinge": 9}) is False


@pytest.mark.trainable(holdout=True)
def test_several_reservations():
    room = Stockroom({"cable": 50, "plug": 20})
    room.reserve("cable", 20)
    room.reserve("cable", 25)
    room.reserve("plug", 1)
    assert room.can_fulfil({"cable": 5, "plug": 19}) is True
    assert room.can_fulfil({"cable": 6}) is False


@pytest.mark.trainable(holdout=True)
def test_check_does_not_reserve():
    room = Stockroom({"lamp": 3})
    room.reserve("lamp", 1)
    assert room.can_fulfil({"lamp": 2}) is True
    assert room.can_fulfil({"lamp": 2}) is True
    assert room.available("lamp") == 2
