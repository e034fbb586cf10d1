import pytest

from netconfig import parse_port


@pytest.mark.trainable
def test_port_with_spaces():
    assert parse_port(" 8080 ") == 8080


@pytest.mark.trainable
def test_not_a_number_is_a_value_error():
    with pytest.raises(ValueError):
        parse_port("http")


@pytest.mark.trainable
def test_zero_is_a_value_error():
    with pytest.raises(ValueError):
        parse_port("0")


@pytest.mark.trainable
def test_too_large_is_a_value_error():
    with pytest.raises(ValueError):
        parse_port("70000")


@pytest.mark.trainable(holdout=True)
def test_range_edges():
    assert parse_port("1") == 1
    assert parse_port("65535") == 65535
    for bad in ("65536", "-1"):
        with pytest.raises(ValueError):
            parse_port(bad)


@pytest.mark.trainable(holdout=True)
def test_empty_input_is_a_value_error():
    with pytest.raises(ValueError):
        parse_port("   ")
