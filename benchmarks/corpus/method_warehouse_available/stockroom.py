"""Stock levels of the stockroom and the orders waiting to ship."""

from pytest_trace_opt import trainable


class Stockroom:
    def __init__(self, stock):
        self.stock = dict(stock)  # sku -> units on the shelves
        self.reserved = {}  # sku -> units promised to open orders

    def reserve(self, sku, units):
        self.reserved[sku] = self.reserved.get(sku, 0) + units

    def available(self, sku):
        """Units of `sku` on the shelves that no open order has claimed."""
        return self.stock.get(sku, 0) - self.reserved.get(sku, 0)

    @trainable
    def can_fulfil(self, order):
        """True if every line of `order` (a dict sku -> units) can be served
        from the units still available, without touching reservations."""
        return all(self.stock.get(sku, 0) >= units for sku, units in order.items())
