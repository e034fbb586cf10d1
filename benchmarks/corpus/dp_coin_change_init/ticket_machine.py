"""Change for the car-park ticket machine."""

from pytest_trace_opt import trainable


@trainable
def fewest_coins(amount, coins):
    """Fewest coins that add up to `amount` cents, each denomination in `coins`
    (cents) usable any number of times, or None if it cannot be done.
    An amount of 0 needs no coins."""
    unreachable = float("inf")
    best = [unreachable] * (amount + 1)
    for value in range(1, amount + 1):
        for coin in coins:
            if coin <= value and best[value - coin] + 1 < best[value]:
                best[value] = best[value - coin] + 1
    return None if best[amount] == unreachable else best[amount]
