import pytest

from csvline import split_csv_line


@pytest.mark.trainable
def test_plain_fields():
    assert split_csv_line("a,b,c") == ["a", "b", "c"]


@pytest.mark.trainable
def test_quoted_comma():
    assert split_csv_line('a,"b,c",d') == ["a", "b,c", "d"]


@pytest.mark.trainable
def test_docstring_example():
    got = split_csv_line('"a ""b"" c",x')
    assert got == ['a "b" c', "x"], f"got {got!r}"


@pytest.mark.trainable
def test_field_that_is_a_quoted_word():
    got = split_csv_line('1,"""quoted"""')
    assert got == ["1", '"quoted"'], f"got {got!r}"


@pytest.mark.trainable(holdout=True)
def test_empty_fields():
    assert split_csv_line("x,,y") == ["x", "", "y"]
    assert split_csv_line("") == [""]
    assert split_csv_line('""') == [""]


@pytest.mark.trainable(holdout=True)
def test_escaped_quotes_everywhere():
    assert split_csv_line('"a""b",""""') == ['a"b', '"']
    assert split_csv_line('"5"" disk, 2""",ok') == ['5" disk, 2"', "ok"]
