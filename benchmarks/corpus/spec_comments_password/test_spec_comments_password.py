import pytest

from signup_rules import password_problems


@pytest.mark.trainable
def test_good_password():
    assert password_problems("marta", "Tr0mbone-Orchard") == []


@pytest.mark.trainable
def test_short_password_without_digit():
    assert password_problems("marta", "Short") == ["too short", "needs a digit"]


@pytest.mark.trainable
def test_username_inside_the_password():
    assert password_problems("marta", "marta-Rocks-1990") == ["contains the username"]


@pytest.mark.trainable
def test_username_in_other_case():
    got = password_problems("marta", "MARTA-rocks-1990")
    assert got == ["contains the username"], f"password_problems returned {got}"


@pytest.mark.trainable(holdout=True)
def test_capitalised_username():
    assert password_problems("Olek", "my-olek-Password-7") == ["contains the username"]
    assert password_problems("olek", "xxOlEkxx") == [
        "too short", "needs a digit", "contains the username",
    ]


@pytest.mark.trainable(holdout=True)
def test_every_rule_broken_and_none():
    assert password_problems("bo", "") == [
        "too short", "needs a digit", "needs an uppercase letter", "needs a lowercase letter",
    ]
    assert password_problems("bo", "lowercase only 12") == ["needs an uppercase letter"]
