import pytest

from card_check import luhn_valid


@pytest.mark.trainable
def test_valid_visa_test_number():
    assert luhn_valid("4111 1111 1111 1111") is True


@pytest.mark.trainable
def test_mistyped_digit():
    assert luhn_valid("4111 1111 1111 1112") is False


@pytest.mark.trainable
def test_valid_amex_test_number():
    got = luhn_valid("3782 822463 10005")
    assert got is True, f"luhn_valid('3782 822463 10005') returned {got}"


@pytest.mark.trainable
def test_textbook_example():
    assert luhn_valid("79927398713") is True
    assert luhn_valid("79927398710") is False


@pytest.mark.trainable
def test_too_short():
    assert luhn_valid("0") is False


@pytest.mark.trainable(holdout=True)
def test_more_card_lengths():
    assert luhn_valid("4222222222222") is True
    assert luhn_valid("371449635398431") is True
    assert luhn_valid("30569309025904") is True
    assert luhn_valid("6011 1111 1111 1117") is True


@pytest.mark.trainable(holdout=True)
def test_swapped_and_changed_digits():
    assert luhn_valid("3782 822463 10050") is False
    assert luhn_valid("4222222222223") is False
    assert luhn_valid("059") is True
