import pytest

from env_flags import parse_flag


@pytest.mark.trainable
@pytest.mark.parametrize(
    "value,expected",
    [("1", True), ("true", True), ("yes", True), ("no", False), ("off", False)],
    ids=["1-is-true", "true-is-true", "yes-is-true", "no-is-false", "off-is-false"],
)
def test_plain_words(value, expected):
    assert parse_flag(value) is expected


@pytest.mark.trainable
@pytest.mark.parametrize(
    "value,expected",
    [("TRUE", True), ("Yes", True), ("False", False), ("OFF", False)],
    ids=["TRUE-is-true", "Yes-is-true", "False-is-false", "OFF-is-false"],
)
def test_letter_case_is_ignored(value, expected):
    assert parse_flag(value) is expected


@pytest.mark.trainable
@pytest.mark.parametrize(
    "value,expected",
    [(" on ", True), ("0\n", False), ("\tyes", True)],
    ids=["space-on-space-is-true", "0-newline-is-false", "tab-yes-is-true"],
)
def test_surrounding_whitespace_is_ignored(value, expected):
    assert parse_flag(value) is expected


@pytest.mark.trainable
@pytest.mark.parametrize("value", ["maybe", "", "2", "enabled", "y"])
def test_other_words_are_rejected(value):
    with pytest.raises(ValueError):
        parse_flag(value)


@pytest.mark.trainable(holdout=True)
@pytest.mark.parametrize(
    "value,expected",
    [("On", True), (" NO ", False), ("tRuE", True), ("  0  ", False), ("YES\r\n", True)],
    ids=["On", "space-NO-space", "tRuE", "spaced-0", "YES-crlf"],
)
def test_more_spellings(value, expected):
    assert parse_flag(value) is expected


@pytest.mark.trainable(holdout=True)
@pytest.mark.parametrize("value", ["   ", "nope", "truee", "o n"])
def test_more_rejections(value):
    with pytest.raises(ValueError):
        parse_flag(value)
