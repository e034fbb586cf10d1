import pytest

from matching import same_name


@pytest.mark.trainable
def test_ascii_case():
    assert same_name("Alice ", "ALICE") is True
    assert same_name("Anna", "Anne") is False


@pytest.mark.trainable
def test_combining_accent():
    assert same_name("José", "JOSE\u0301") is True


@pytest.mark.trainable
def test_sharp_s():
    got = same_name("Straße", "STRASSE")
    assert got is True, f"same_name('Straße', 'STRASSE') returned {got}"


@pytest.mark.trainable
def test_ligature():
    got = same_name("ﬁnn", "FINN")
    assert got is True, f"same_name('ﬁnn', 'FINN') returned {got}"


@pytest.mark.trainable(holdout=True)
def test_more_sharp_s():
    assert same_name("Maße", "MASSE") is True
    assert same_name("Masse", "Maße") is True


@pytest.mark.trainable(holdout=True)
def test_greek_final_sigma():
    assert same_name("ΣΊΣΥΦΟΣ", "σίσυφοσ") is True
    assert same_name("Σίσυφος", "Σίσυφα") is False
