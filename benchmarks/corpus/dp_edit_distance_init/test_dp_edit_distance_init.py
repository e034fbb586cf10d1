import pytest

from did_you_mean import edit_distance, suggest


@pytest.mark.trainable
def test_same_word():
    assert edit_distance("lamp", "lamp") == 0


@pytest.mark.trainable
def test_from_empty():
    assert edit_distance("", "desk") == 4


@pytest.mark.trainable
def test_to_empty():
    got = edit_distance("desk", "")
    assert got == 4, f"edit_distance('desk', '') returned {got}"


@pytest.mark.trainable
def test_extra_leading_letter():
    got = edit_distance("xlamp", "lamp")
    assert got == 1, f"edit_distance('xlamp', 'lamp') returned {got}"


@pytest.mark.trainable
def test_kitten_sitting():
    assert edit_distance("kitten", "sitting") == 3


@pytest.mark.trainable
def test_suggestions_for_a_typo():
    got = suggest("chiar", ["chair", "chain", "char", "cheap", "stair"])
    assert got == ["char", "chair", "cheap"], f"suggest('chiar', ...) returned {got}"


@pytest.mark.trainable(holdout=True)
def test_prefix_and_suffix_changes():
    assert edit_distance("sofa", "so") == 2
    assert edit_distance("xxtable", "table") == 2
    assert edit_distance("table", "tables") == 1


@pytest.mark.trainable(holdout=True)
def test_nothing_close_enough():
    assert suggest("wardrobe", ["robe", "war", "drawer"]) == []
    assert suggest("bed", ["bed", "bad", "bedside"]) == ["bed", "bad"]
