"""Current accounts of the credit union."""

from pytest_trace_opt import trainable


class InsufficientFunds(Exception):
    pass


class Account:
    def __init__(self, owner, balance=0, overdraft_limit=0):
        self.owner = owner
        self.balance = balance
        self.overdraft_limit = overdraft_limit

    @trainable
    def withdraw(self, amount):
        """Take `amount` out of the account and return the new balance. The
        balance may go below zero, down to -overdraft_limit but no further; a
        withdrawal that would pass that raises InsufficientFunds and changes
        nothing. An amount of 0 or less raises ValueError."""
        if amount <= 0:
            raise ValueError("amount must be positive")
        if amount > self.balance:
            raise InsufficientFunds(f"{self.owner}: balance {self.balance}, asked {amount}")
        self.balance -= amount
        return self.balance
