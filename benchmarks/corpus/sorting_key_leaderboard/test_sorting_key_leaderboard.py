import pytest

from quiz_league import standings


@pytest.mark.trainable
def test_distinct_scores():
    assert standings({"Quizzly Bears": 31, "Les Quizerables": 45, "Trivia Newton": 28}) == [
        "Les Quizerables", "Quizzly Bears", "Trivia Newton",
    ]


@pytest.mark.trainable
def test_single_team():
    assert standings({"Solo": 3}) == ["Solo"]


@pytest.mark.trainable
def test_tie_is_alphabetical():
    got = standings({"Zebras": 40, "Aardvarks": 40, "Moles": 52})
    assert got == ["Moles", "Aardvarks", "Zebras"], f"standings returned {got}"


@pytest.mark.trainable
def test_everyone_tied():
    got = standings({"c": 0, "a": 0, "b": 0})
    assert got == ["a", "b", "c"], f"standings returned {got}"


@pytest.mark.trainable(holdout=True)
def test_several_ties():
    points = {"Owls": 20, "Bats": 35, "Elk": 20, "Ants": 35, "Yaks": 10, "Cod": 20}
    assert standings(points) == ["Ants", "Bats", "Cod", "Elk", "Owls", "Yaks"]


@pytest.mark.trainable(holdout=True)
def test_empty_league():
    assert standings({}) == []
