import pytest

from abuse_filter import is_blocked


@pytest.mark.trainable
def test_listed_address():
    assert is_blocked("spammer@example.com") is True


@pytest.mark.trainable
def test_other_address():
    assert is_blocked("alice@example.com") is False


@pytest.mark.trainable
def test_upper_case():
    assert is_blocked("Spammer@Example.COM") is True


@pytest.mark.trainable
def test_plus_tag():
    got = is_blocked("spammer+promo@example.com")
    assert got is True, f"is_blocked('spammer+promo@example.com') returned {got}"


@pytest.mark.trainable
def test_surrounding_spaces():
    assert is_blocked("  bulk.sender@mailinator.com ") is True


@pytest.mark.trainable(holdout=True)
def test_tag_and_case_together():
    assert is_blocked(" Bulk.Sender+x1@MAILINATOR.com") is True
    assert is_blocked("spammer+@example.com") is True


@pytest.mark.trainable(holdout=True)
def test_similar_but_different():
    assert is_blocked("spammer@example.org") is False
    assert is_blocked("bulk.sender2@mailinator.com") is False
