import pytest

from temperature import celsius_to_fahrenheit, fahrenheit_to_celsius


@pytest.mark.trainable
def test_celsius_to_fahrenheit_fixed_points():
    assert celsius_to_fahrenheit(0) == 32
    assert celsius_to_fahrenheit(100) == 212


@pytest.mark.trainable
def test_freezing_point_in_celsius():
    got = fahrenheit_to_celsius(32)
    assert got == pytest.approx(0), f"fahrenheit_to_celsius(32) returned {got}"


@pytest.mark.trainable
def test_boiling_point_in_celsius():
    got = fahrenheit_to_celsius(212)
    assert got == pytest.approx(100), f"fahrenheit_to_celsius(212) returned {got}"


@pytest.mark.trainable
def test_round_trip():
    for celsius in (-10, 0, 21.5, 37):
        back = fahrenheit_to_celsius(celsius_to_fahrenheit(celsius))
        assert back == pytest.approx(celsius), f"{celsius} C -> F -> C gave {back}"


@pytest.mark.trainable(holdout=True)
def test_minus_forty_is_the_same_in_both():
    assert fahrenheit_to_celsius(-40) == pytest.approx(-40)
    assert celsius_to_fahrenheit(-40) == pytest.approx(-40)


@pytest.mark.trainable(holdout=True)
def test_body_temperature():
    assert fahrenheit_to_celsius(98.6) == pytest.approx(37)
    assert celsius_to_fahrenheit(37) == pytest.approx(98.6)
