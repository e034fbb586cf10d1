import pytest

from map_points import Point


@pytest.mark.trainable
def test_whole_numbers_in_parentheses():
    assert Point.parse("(3, -4)") == Point(3, -4)


@pytest.mark.trainable
def test_decimals():
    got = Point.parse("2.5,7")
    assert got == Point(2.5, 7), f"Point.parse('2.5,7') returned {got}"


@pytest.mark.trainable
def test_distance_between_parsed_points():
    a, b = Point.parse("(0.5, 0.5)"), Point.parse("(3.5, 4.5)")
    assert a.distance_to(b) == pytest.approx(5.0)


@pytest.mark.trainable
def test_not_a_point():
    for text in ("(1, 2, 3)", "north", "(4)"):
        with pytest.raises(ValueError):
            Point.parse(text)


@pytest.mark.trainable(holdout=True)
def test_negative_decimals_and_spaces():
    assert Point.parse("  ( -1.25 ,  8.0 ) ") == Point(-1.25, 8.0)


@pytest.mark.trainable(holdout=True)
def test_parse_gives_a_point():
    point = Point.parse("10,20")
    assert isinstance(point, Point)
    assert point.distance_to(Point.parse("13, 24.0")) == pytest.approx(5.0)
