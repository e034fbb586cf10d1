import pytest

from cart import Cart, Item


@pytest.mark.trainable
def test_empty_cart():
    assert Cart().total() == 0


@pytest.mark.trainable
def test_single_items():
    cart = Cart()
    cart.add(Item("pen", 1.50))
    cart.add(Item("pad", 3.25))
    assert cart.total() == 4.75


@pytest.mark.trainable
def test_quantity_counts():
    cart = Cart()
    cart.add(Item("mug", 4.00, quantity=3))
    got = cart.total()
    assert got == 12.00, f"3 mugs at 4.00 cost {got}"


@pytest.mark.trainable
def test_coupon_on_single_items():
    cart = Cart(coupon_percent=10)
    cart.add(Item("book", 20.00))
    assert cart.total() == 18.00


@pytest.mark.trainable
def test_coupon_with_quantities():
    cart = Cart(coupon_percent=25)
    cart.add(Item("socks", 2.00, quantity=4))
    cart.add(Item("hat", 12.00))
    got = cart.total()
    assert got == 15.00, f"(4 x 2.00 + 12.00) less 25% is 15.00, got {got}"


@pytest.mark.trainable(holdout=True)
def test_mixed_cart():
    cart = Cart(coupon_percent=5)
    cart.add(Item("a", 0.99, quantity=3))
    cart.add(Item("b", 10.00, quantity=2))
    assert cart.total() == 21.82


@pytest.mark.trainable(holdout=True)
def test_zero_quantity_line():
    cart = Cart()
    cart.add(Item("removed", 9.99, quantity=0))
    cart.add(Item("kept", 1.00, quantity=2))
    assert cart.total() == 2.00
