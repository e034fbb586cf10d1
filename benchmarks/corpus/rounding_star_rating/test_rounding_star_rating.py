import pytest

from review_stars import display_stars


@pytest.mark.trainable
def test_nearest_half_star():
    assert display_stars(4.3) == 4.5
    assert display_stars(4.1) == 4.0


@pytest.mark.trainable
def test_whole_and_half_stars_stay():
    assert display_stars(4.0) == 4.0
    assert display_stars(2.5) == 2.5


@pytest.mark.trainable
def test_quarter_rounds_up():
    got = display_stars(4.25)
    assert got == 4.5, f"display_stars(4.25) returned {got}"


@pytest.mark.trainable
def test_three_quarters_rounds_up():
    assert display_stars(3.75) == 4.0


@pytest.mark.trainable(holdout=True)
def test_every_quarter():
    got = [display_stars(q / 4) for q in range(21)]
    assert got == [0.0, 0.5, 0.5, 1.0, 1.0, 1.5, 1.5, 2.0, 2.0, 2.5, 2.5, 3.0, 3.0,
                   3.5, 3.5, 4.0, 4.0, 4.5, 4.5, 5.0, 5.0]


@pytest.mark.trainable(holdout=True)
def test_extremes():
    assert display_stars(0.0) == 0.0
    assert display_stars(5.0) == 5.0
    assert display_stars(0.24) == 0.0
