import pytest

from words import split_words


@pytest.mark.trainable
def test_plain_words():
    assert split_words("hello world") == ["hello", "world"]


@pytest.mark.trainable
def test_extra_spaces():
    assert split_words("  spaced   out ") == ["spaced", "out"]


@pytest.mark.trainable
def test_punctuation_separates_words():
    got = split_words("hello, world!")
    assert got == ["hello", "world"], f"split_words('hello, world!') returned {got}"


@pytest.mark.trainable
def test_apostrophe_and_digits():
    got = split_words("it's 5pm")
    assert got == ["it", "s", "5pm"], f"split_words(\"it's 5pm\") returned {got}"


@pytest.mark.trainable(holdout=True)
def test_only_separators_and_empty():
    assert split_words("") == []
    assert split_words("--x--") == ["x"]
    assert split_words("?!") == []


@pytest.mark.trainable(holdout=True)
def test_unicode_letters_and_underscores():
    assert split_words("café, naïve") == ["café", "naïve"]
    assert split_words("a-b_c") == ["a", "b", "c"]
