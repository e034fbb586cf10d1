import pytest

from pricing import gross_price_cents


@pytest.mark.trainable
def test_free_item():
    assert gross_price_cents(0) == 0


@pytest.mark.trainable
def test_negative_price():
    with pytest.raises(ValueError):
        gross_price_cents(-1)


@pytest.mark.trainable
def test_ten_euros():
    got = gross_price_cents(10)
    assert got == 1200, f"10.00 net plus 20% VAT is 12.00 (1200 cents), got {got}"


@pytest.mark.trainable
def test_rounding_to_cents():
    got = gross_price_cents(0.99)
    assert got == 119, f"0.99 net plus 20% VAT is 1.188, 119 cents; got {got}"
    assert gross_price_cents(19.99) == 2399


@pytest.mark.trainable(holdout=True)
def test_large_price():
    assert gross_price_cents(1234.56) == 148147


@pytest.mark.trainable(holdout=True)
def test_small_prices():
    assert gross_price_cents(0.01) == 1
    assert gross_price_cents(2.5) == 300
