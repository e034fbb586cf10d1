import pytest

from floor_plan import route_length

OPEN = [
    ".....",
    ".....",
    ".....",
]

LONG_SHELF = [
    "..#..",
    "..#..",
    "..#..",
    "..#..",
    "..#..",
    ".....",
]


@pytest.mark.trainable
def test_same_cell():
    assert route_length(OPEN, (1, 1), (1, 1)) == 0


@pytest.mark.trainable
def test_neighbouring_cell():
    assert route_length(LONG_SHELF, (2, 0), (3, 0)) == 1


@pytest.mark.trainable
def test_open_floor():
    assert route_length(OPEN, (0, 0), (2, 4)) == 6


@pytest.mark.trainable
def test_around_the_long_shelf():
    got = route_length(LONG_SHELF, (0, 1), (0, 3))
    assert got == 12, f"route_length(LONG_SHELF, (0, 1), (0, 3)) returned {got}"


@pytest.mark.trainable
def test_walled_off_goal():
    floor = [
        "...#.",
        "...##",
        ".....",
    ]
    got = route_length(floor, (2, 0), (0, 4))
    assert got is None, f"(0, 4) is enclosed by shelves, got {got}"


@pytest.mark.trainable(holdout=True)
def test_corridor_along_the_left_wall():
    floor = [
        ".#...",
        ".#.#.",
        "...#.",
        "####.",
    ]
    assert route_length(floor, (0, 0), (0, 2)) == 6
    assert route_length(floor, (0, 0), (3, 4)) == 11


@pytest.mark.trainable(holdout=True)
def test_edges_of_the_plan():
    assert route_length(["..#.."], (0, 0), (0, 1)) == 1
    assert route_length(["..#.."], (0, 0), (0, 4)) is None
    assert route_length(LONG_SHELF, (1, 4), (1, 3)) == 1
    assert route_length(LONG_SHELF, (0, 4), (0, 0)) == 14
