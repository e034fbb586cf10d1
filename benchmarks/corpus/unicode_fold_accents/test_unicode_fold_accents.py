import pytest

from search_folding import fold, matches


@pytest.mark.trainable
def test_plain_ascii():
    assert fold("Pasta Bake") == "pasta bake"


@pytest.mark.trainable
def test_accents_removed():
    got = fold("Crème Brûlée")
    assert got == "creme brulee", f"fold('Crème Brûlée') returned {got!r}"


@pytest.mark.trainable
def test_search_without_typing_accents():
    assert matches("jalapeno", "Stuffed Jalapeño Peppers") is True


@pytest.mark.trainable
def test_decomposed_input():
    got = fold("Cafe\u0301")
    assert got == "cafe", f"fold('Cafe' + combining acute) returned {got!r}"


@pytest.mark.trainable(holdout=True)
def test_more_languages():
    assert fold("Ñoquis à la Française") == "noquis a la francaise"
    assert fold("Smørrebrød") == "smørrebrød"
    assert fold("Straße") == "strasse"


@pytest.mark.trainable(holdout=True)
def test_accented_query():
    assert matches("Crêpe", "CREPES SUZETTE") is True
    assert matches("creme", "Crème fraîche dip") is True
