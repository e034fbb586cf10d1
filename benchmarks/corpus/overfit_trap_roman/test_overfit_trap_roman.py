import pytest

from numerals import to_roman


@pytest.mark.trainable
def test_additive_numbers():
    assert to_roman(3) == "III"
    assert to_roman(8) == "VIII"
    assert to_roman(2023) == "MMXXIII"


@pytest.mark.trainable
def test_four():
    got = to_roman(4)
    assert got == "IV", f"to_roman(4) returned {got!r}"


@pytest.mark.trainable
def test_nine():
    got = to_roman(9)
    assert got == "IX", f"to_roman(9) returned {got!r}"


@pytest.mark.trainable
def test_fourteen():
    got = to_roman(14)
    assert got == "XIV", f"to_roman(14) returned {got!r}"


@pytest.mark.trainable
def test_this_year():
    got = to_roman(2024)
    assert got == "MMXXIV", f"to_roman(2024) returned {got!r}"


@pytest.mark.trainable(holdout=True)
def test_tens_and_hundreds():
    assert [to_roman(n) for n in (40, 90, 400, 900)] == ["XL", "XC", "CD", "CM"]


@pytest.mark.trainable(holdout=True)
def test_long_numbers():
    assert to_roman(1994) == "MCMXCIV"
    assert to_roman(3999) == "MMMCMXCIX"
    assert to_roman(49) == "XLIX"
