import pytest

from nested import flatten


@pytest.mark.trainable
def test_empty_lists():
    assert flatten([]) == []
    assert flatten([[], [[]]]) == []


@pytest.mark.trainable
def test_numbers():
    got = flatten([1, [2, 3], [[4]]])
    assert got == [1, 2, 3, 4], f"flatten([1, [2, 3], [[4]]]) returned {got}"


@pytest.mark.trainable
def test_docstring_example():
    got = flatten([1, [2, ("a", [None])]])
    assert got == [1, 2, "a", None], f"got {got}"


@pytest.mark.trainable
def test_strings_are_leaves():
    got = flatten(["ab", ["cd"]])
    assert got == ["ab", "cd"], f"strings must not be split into characters, got {got}"


@pytest.mark.trainable(holdout=True)
def test_dicts_are_leaves():
    assert flatten([{"a": 1}, [None, 0]]) == [{"a": 1}, None, 0]


@pytest.mark.trainable(holdout=True)
def test_tuples_and_deep_nesting():
    assert flatten((1, (2,), [[[[3]]]])) == [1, 2, 3]
    assert flatten([[["x"]], "y"]) == ["x", "y"]
