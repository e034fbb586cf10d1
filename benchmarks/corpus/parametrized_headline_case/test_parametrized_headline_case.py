import pytest

from headline_style import headline


@pytest.mark.trainable
@pytest.mark.parametrize(
    "text,expected",
    [
        ("the lord of the rings", "The Lord of the Rings"),
        ("a tale of two cities", "A Tale of Two Cities"),
        ("WAR AND PEACE", "War and Peace"),
    ],
    ids=["The Lord of the Rings", "A Tale of Two Cities", "War and Peace"],
)
def test_small_words_in_the_middle(text, expected):
    assert headline(text) == expected


@pytest.mark.trainable
@pytest.mark.parametrize(
    "text,expected",
    [
        ("what are you looking at", "What Are You Looking At"),
        ("nothing to hold on to", "Nothing to Hold on To"),
    ],
    ids=["What Are You Looking At", "Nothing to Hold on To"],
)
def test_small_word_at_the_end(text, expected):
    got = headline(text)
    assert got == expected, f"headline({text!r}) returned {got!r}"


@pytest.mark.trainable
def test_extra_spaces():
    assert headline("  rates   rise   again ") == "Rates Rise Again"


@pytest.mark.trainable
def test_single_small_word():
    assert headline("the") == "The"


@pytest.mark.trainable(holdout=True)
@pytest.mark.parametrize(
    "text,expected",
    [
        ("where the wild things are", "Where the Wild Things Are"),
        ("the book everyone is talking of", "The Book Everyone Is Talking Of"),
        ("of mice and men", "Of Mice and Men"),
        ("a storm to wait for", "A Storm to Wait For"),
    ],
    ids=["wild things", "talking of", "of mice and men", "wait for"],
)
def test_more_headlines(text, expected):
    assert headline(text) == expected


@pytest.mark.trainable(holdout=True)
def test_two_small_words():
    assert headline("in on") == "In On"
