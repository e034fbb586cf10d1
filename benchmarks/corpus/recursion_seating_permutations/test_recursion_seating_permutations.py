import itertools

import pytest

from seating import seatings


@pytest.mark.trainable
def test_no_guests():
    assert seatings([]) == [[]]


@pytest.mark.trainable
def test_one_guest():
    assert seatings(["ada"]) == [["ada"]]


@pytest.mark.trainable
def test_two_guests():
    got = seatings(["ada", "bo"])
    assert got == [["ada", "bo"], ["bo", "ada"]]


@pytest.mark.trainable
def test_three_guests():
    got = seatings(["ada", "bo", "cy"])
    assert got == [
        ["ada", "bo", "cy"],
        ["ada", "cy", "bo"],
        ["bo", "ada", "cy"],
        ["bo", "cy", "ada"],
        ["cy", "ada", "bo"],
        ["cy", "bo", "ada"],
    ]


@pytest.mark.trainable(holdout=True)
def test_matches_itertools_for_five_guests():
    guests = ["kim", "lee", "max", "ned", "oz"]
    assert seatings(guests) == [list(p) for p in itertools.permutations(guests)]


@pytest.mark.trainable(holdout=True)
def test_every_plan_seats_everyone():
    guests = ["p", "q", "r", "s"]
    plans = seatings(guests)
    assert len(plans) == 24
    assert all(sorted(plan) == guests for plan in plans)
    assert len({tuple(plan) for plan in plans}) == 24
