import pytest

from timespec import parse_duration


@pytest.mark.trainable
def test_single_digit_units():
    assert parse_duration("1h") == 3600
    assert parse_duration("5m") == 300
    assert parse_duration("2d 4h") == 187200


@pytest.mark.trainable
def test_hour_and_a_half():
    got = parse_duration("1h30m")
    assert got == 5400, f"parse_duration('1h30m') returned {got}"


@pytest.mark.trainable
def test_seconds():
    got = parse_duration("45s")
    assert got == 45, f"parse_duration('45s') returned {got}"


@pytest.mark.trainable
def test_malformed_durations():
    for text in ("", "10", "3w", "h", "1h 5"):
        with pytest.raises(ValueError):
            parse_duration(text)


@pytest.mark.trainable(holdout=True)
def test_long_numbers():
    assert parse_duration("120m") == 7200
    assert parse_duration("1d 12h 30m 15s") == 131415
    assert parse_duration("3600s") == 3600


@pytest.mark.trainable(holdout=True)
def test_zeros_and_spaces():
    assert parse_duration("0s") == 0
    assert parse_duration(" 10 m ") == 600
