"""Price display for the shop front."""

from decimal import ROUND_HALF_UP, Decimal

from pytest_trace_opt import trainable

VAT_RATE_PERCENT = 20  # standard VAT rate, in percent


def to_cents(amount):
    """Round a euro amount half up to a whole number of cents."""
    return int(Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 100)


@trainable
def gross_price_cents(net_price):
    """Price in euros including VAT at VAT_RATE_PERCENT, as whole cents
    (rounded half up with to_cents). A negative net price raises ValueError."""
    if net_price < 0:
        raise ValueError(f"negative price: {net_price}")
    return to_cents(net_price * (1 + VAT_RATE_PERCENT / 100))
