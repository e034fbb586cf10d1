"""A running minimum or maximum started from the wrong value (core.extreme_edits, through
mutants.edits). Pure text; each edit is run."""

from __future__ import annotations

from edit_helpers import defined, edits_of_line


def test_a_running_maximum_started_at_zero_starts_below_every_number() -> None:
    source = (
        "def largest(values):\n"
        "    best = 0\n"
        "    for v in values:\n"
        "        if v > best:\n"
        "            best = v\n"
        "    return best\n"
    )
    line_edits = edits_of_line(source, 2)
    edited = line_edits['`0` -> `float("-inf")`']
    assert defined(edited, "largest")([-5, -2, -9]) == -2
    assert '`0` -> `float("inf")`' in line_edits


def test_a_table_of_minimums_started_at_zero_starts_above_every_number() -> None:
    source = (
        "def fewest(amount, coins):\n"
        "    dp = [0] * (amount + 1)\n"
        "    dp[0] = 0\n"
        "    for a in range(1, amount + 1):\n"
        "        for c in coins:\n"
        "            if c <= a:\n"
        "                dp[a] = min(dp[a], dp[a - c] + 1)\n"
        "    return dp[amount]\n"
    )
    edited = edits_of_line(source, 2)['`0` -> `float("inf")`']
    assert edited.splitlines()[1] == '    dp = [float("inf")] * (amount + 1)'
    assert defined(edited, "fewest")(6, [1, 3]) == 2
    # ``dp[0] = 0`` is the base case, not a start of the running minimum
    assert not any("inf" in d for d in edits_of_line(source, 3))


def test_a_counter_compared_by_order_is_not_a_running_extreme() -> None:
    source = (
        "def first_over(values, limit):\n"
        "    i = 0\n"
        "    while i < len(values) and values[i] <= limit:\n"
        "        i += 1\n"
        "    return i\n"
    )
    assert not any("inf" in d for d in edits_of_line(source, 2))
    negative = (
        "def f(xs):\n    low = -1\n    for x in xs:\n        low = max(low, x)\n    return low\n"
    )
    assert '`-1` -> `float("-inf")`' in edits_of_line(negative, 2)
