import pytest

from tagging import add_tag


@pytest.mark.trainable
def test_appends_normalized_tag():
    assert add_tag(" Python ", ["web"]) == ["web", "python"]


@pytest.mark.trainable
def test_existing_tag_is_not_repeated():
    assert add_tag("WEB", ["web"]) == ["web"]


@pytest.mark.trainable
def test_calls_without_tags_are_independent():
    first = add_tag("a")
    second = add_tag("b")
    assert first == ["a"], f"first call returned {first}"
    assert second == ["b"], f"second call, also without tags, returned {second}"


@pytest.mark.trainable
def test_given_list_is_not_modified():
    original = ["x"]
    result = add_tag("y", original)
    assert result == ["x", "y"]
    assert original == ["x"], f"the caller's list was changed to {original}"


@pytest.mark.trainable(holdout=True)
def test_many_calls_without_tags():
    for name in ["one", "two", "three"]:
        assert add_tag(name) == [name]


@pytest.mark.trainable(holdout=True)
def test_tuple_of_tags():
    assert add_tag("b", ("a",)) == ["a", "b"]
