import pytest

from quota_sizes import parse_size


@pytest.mark.trainable
@pytest.mark.parametrize(
    "text,expected",
    [("512", 512), ("64 KB", 65536), ("2 tb", 2 * 1024**4), ("10mb", 10485760)],
    ids=["512 -> 512", "64 KB -> 65536", "2 tb", "10mb -> 10485760"],
)
def test_whole_numbers(text, expected):
    assert parse_size(text) == expected


@pytest.mark.trainable
@pytest.mark.parametrize(
    "text,expected",
    [("1.5GB", 1610612736), ("0.5 KB", 512), ("2.25 mb", 2359296)],
    ids=["1.5GB -> 1610612736", "0.5 KB -> 512", "2.25 mb -> 2359296"],
)
def test_decimal_sizes(text, expected):
    assert parse_size(text) == expected


@pytest.mark.trainable
def test_fractional_bytes_are_rounded_down():
    assert parse_size("0.1 KB") == 102


@pytest.mark.trainable
@pytest.mark.parametrize("text", ["", "MB", "ten GB", "5 PB", "1,5 GB"])
def test_invalid_sizes(text):
    with pytest.raises(ValueError):
        parse_size(text)


@pytest.mark.trainable(holdout=True)
@pytest.mark.parametrize(
    "text,expected",
    [("0.75tb", 824633720832), ("3.0 B", 3), (" 1.001 kb ", 1025), ("100", 100)],
    ids=["0.75tb", "3.0 B", "1.001 kb", "100"],
)
def test_more_sizes(text, expected):
    assert parse_size(text) == expected


@pytest.mark.trainable(holdout=True)
def test_half_a_gigabyte_quota():
    assert parse_size("0.5GB") == parse_size("512 MB") == 536870912
