"""Points on the delivery map."""

import math

from pytest_trace_opt import trainable


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def __eq__(self, other):
        return (self.x, self.y) == (other.x, other.y)

    def __repr__(self):
        return f"Point({self.x}, {self.y})"

    @classmethod
    @trainable
    def parse(cls, text):
        """A point from text such as "(3, -4)" or "2.5,7": two numbers, which
        may have decimals, separated by a comma, optionally in parentheses,
        spaces allowed. Anything else raises ValueError."""
        x, y = text.strip().strip("()").split(",")
        return cls(int(x), int(y))

    def distance_to(self, other):
        return math.hypot(self.x - other.x, self.y - other.y)
