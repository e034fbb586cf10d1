import pytest

from tag_input import split_tags


@pytest.mark.trainable
def test_plain_tags():
    assert split_tags("beach, sunset,family") == ["beach", "sunset", "family"]


@pytest.mark.trainable
def test_empty_tags_are_dropped():
    assert split_tags(" , cats,, ,dogs ,") == ["cats", "dogs"]


@pytest.mark.trainable
def test_escaped_comma_inside_a_tag():
    got = split_tags(r"paris\, texas, road trip")
    assert got == ["paris, texas", "road trip"], f"returned {got}"


@pytest.mark.trainable
def test_escaped_backslash():
    got = split_tags(r"c:\\photos, raw")
    assert got == ["c:\\photos", "raw"], f"returned {got}"


@pytest.mark.trainable(holdout=True)
def test_several_escapes():
    assert split_tags(r"a\,b\,c, d, e\,f") == ["a,b,c", "d", "e,f"]


@pytest.mark.trainable(holdout=True)
def test_escape_at_the_end_and_escaped_letters():
    assert split_tags(r"x\y, z\,") == ["xy", "z,"]
    assert split_tags(r"one\, two, three") == ["one, two", "three"]
