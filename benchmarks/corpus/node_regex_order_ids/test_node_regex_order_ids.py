import pytest

from order_refs import order_refs


@pytest.mark.trainable
def test_four_digit_references():
    assert order_refs("Orders ORD-1234 and ORD-5678 arrived damaged.") == ["ORD-1234", "ORD-5678"]


@pytest.mark.trainable
def test_no_reference():
    assert order_refs("Where is my parcel?") == []


@pytest.mark.trainable
def test_five_and_six_digit_references():
    got = order_refs("See ORD-12345, also ORD-998877.")
    assert got == ["ORD-12345", "ORD-998877"], f"order_refs returned {got}"


@pytest.mark.trainable
def test_too_many_digits():
    got = order_refs("Ref ORD-1234567 is a phone number")
    assert got == [], f"order_refs returned {got}"


@pytest.mark.trainable(holdout=True)
def test_inside_other_words():
    assert order_refs("XORD-1234 ORD-4321x (ORD-2468)") == ["ORD-2468"]


@pytest.mark.trainable(holdout=True)
def test_many_references_in_a_thread():
    text = "ORD-100000;ORD-0001\nre: ORD-77777 / ORD-123"
    assert order_refs(text) == ["ORD-100000", "ORD-0001", "ORD-77777"]
