"""Shopping cart of the web shop."""

from dataclasses import dataclass, field

from pytest_trace_opt import trainable


@dataclass
class Item:
    name: str
    unit_price: float
    quantity: int = 1


@dataclass
class Cart:
    items: list = field(default_factory=list)
    coupon_percent: float = 0.0

    def add(self, item):
        self.items.append(item)

    @trainable
    def total(self):
        """Amount to pay: each item's unit_price times its quantity, summed,
        less coupon_percent percent, rounded to cents."""
        subtotal = sum(item.unit_price for item in self.items)
        return round(subtotal * (1 - self.coupon_percent / 100), 2)
