"""Edits that move a statement to the block it belongs in (core.placement_edits, through
mutants.edits): each move is checked by running the edited function. Pure text."""

from __future__ import annotations

from edit_helpers import defined

from pytest_trace_opt.core.mutants import Edit, edits


def moves(source: str, line: int) -> dict[str, str]:
    return {e.description: e.source for e in edits(source, [line]) if "moved" in e.description}


def test_a_return_that_ends_a_search_on_the_first_item_is_moved_after_the_loop() -> None:
    source = (
        "def contains(items, wanted):\n"
        "    for item in items:  # the loop\n"
        "        if item == wanted:\n"
        "            return True\n"
        "        return False\n"
    )
    found = moves(source, 5)
    edited = found["`return False` moved out of the `for` loop"]
    assert edited == (
        "def contains(items, wanted):\n"
        "    for item in items:  # the loop\n"
        "        if item == wanted:\n"
        "            return True\n"
        "    return False\n"
    )
    assert defined(edited, "contains")([1, 2, 3], 3) is True
    assert defined(source, "contains")([1, 2, 3], 3) is False
    # the only statement of a body stays: the block would be empty
    assert moves(source, 4) == {}


def test_the_last_statement_of_an_if_block_is_moved_after_it() -> None:
    source = (
        "def absolute_all(xs):\n"
        "    out = []\n"
        "    for x in xs:\n"
        "        if x < 0:\n"
        "            x = -x\n"
        "            out.append(x)\n"
        "    return out\n"
    )
    edited = moves(source, 6)["`out.append(x)` moved out of the `if` block"]
    assert defined(edited, "absolute_all")([-1, 2]) == [1, 2]


def test_a_statement_after_the_loop_that_reads_its_variable_is_moved_into_it() -> None:
    source = (
        "def doubled(items):\n"
        "    result = []\n"
        "    for item in items:\n"
        "        item = item * 2\n"
        "    result.append(item)\n"
        "    return result\n"
    )
    found = moves(source, 5)
    edited = found["`result.append(item)` moved into the `for` loop"]
    assert defined(edited, "doubled")([1, 2]) == [2, 4]
    # ``return result`` reads no loop variable: it is not moved in
    assert not any("into" in d for d in moves(source, 6))


def test_an_accumulator_set_anew_in_the_loop_is_moved_before_it() -> None:
    source = (
        "def total_length(words):\n"
        "    for word in words:\n"
        "        total = 0\n"
        "        total += len(word)\n"
        "    return total\n"
    )
    edited = moves(source, 3)["`total = 0` moved before the `for` loop"]
    assert edited.splitlines()[1:3] == ["    total = 0", "    for word in words:"]
    assert defined(edited, "total_length")(["ab", "cde"]) == 5
    # a variable the loop sets but never adds to is not an accumulator
    plain = source.replace("total += len(word)", "size = len(word)")
    assert not any("before" in d for d in moves(plain, 3))


def test_an_accumulator_of_an_inner_loop_is_moved_into_the_outer_one() -> None:
    source = (
        "def row_sums(rows):\n"
        "    sums = []\n"
        "    row_total = 0\n"
        "    for row in rows:\n"
        "        for cell in row:\n"
        "            row_total += cell\n"
        "        sums.append(row_total)\n"
        "    return sums\n"
    )
    edited = moves(source, 3)["`row_total = 0` moved into the outer `for` loop"]
    assert defined(edited, "row_sums")([[1, 2], [3]]) == [3, 3]
    assert defined(source, "row_sums")([[1, 2], [3]]) == [3, 6]


def test_statements_that_share_a_line_or_hold_a_long_string_stay_where_they_are() -> None:
    shared = (
        "def f(xs):\n"
        "    for x in xs:\n"
        "        y = x; print(y)\n"
        "        return y\n"
    )
    assert "`y = x` moved" not in " ".join(moves(shared, 3))
    long_string = (
        "def g(xs):\n"
        "    for x in xs:\n"
        "        y = x\n"
        '        return """a\n'
        'b"""\n'
    )
    assert moves(long_string, 4) == {}
    # a loop with an ``else`` decides on its own what happens after it
    with_else = (
        "def h(xs, w):\n"
        "    for x in xs:\n"
        "        if x == w:\n"
        "            break\n"
        "        found = x\n"
        "    else:\n"
        "        return None\n"
        "    return x\n"
    )
    assert not any("into" in d for d in moves(with_else, 8))


def test_every_move_parses_and_the_edit_list_holds_them_once() -> None:
    source = (
        "def contains(items, wanted):\n"
        "    for item in items:\n"
        "        if item == wanted:\n"
        "            return True\n"
        "        return False\n"
    )
    found: list[Edit] = edits(source, [5])
    sources = [e.source for e in found]
    assert len(sources) == len(set(sources))
    for edit in found:
        compile(edit.source, "<edited>", "exec")


def test_a_statement_that_leaves_the_loop_is_not_moved_out_of_it() -> None:
    source = (
        "def drain(queue):\n"
        "    taken = []\n"
        "    while queue:\n"
        "        taken.append(queue.pop())\n"
        "        if len(taken) > 2:\n"
        "            break\n"
        "    return taken\n"
    )
    # after the loop it would be a ``break`` outside any loop
    assert not any("out of the `while` loop" in d for d in moves(source, 5))
    # out of the ``if`` it stays in the loop: a valid candidate
    assert "`break` moved out of the `if` block" not in moves(source, 6)  # the only statement
    nested = source.replace(
        "            break\n", "            for _ in taken:\n                break\n"
    )
    assert "out of the `while` loop" in " ".join(moves(nested, 5))


def test_an_elif_becomes_a_test_of_its_own_and_an_if_after_an_if_its_elif() -> None:
    source = (
        "def label(n):\n"
        "    out = ''\n"
        "    if n % 3 == 0:\n"
        "        out += 'Fizz'\n"
        "    elif n % 5 == 0:\n"
        "        out += 'Buzz'\n"
        "    return out or str(n)\n"
    )
    both = {e.description: e.source for e in edits(source, [5])}["`elif` -> `if`"]
    assert defined(both, "label")(15) == "FizzBuzz"
    one = (
        "def grade(score):\n"
        "    result = 'F'\n"
        "    if score >= 90:\n"
        "        result = 'A'\n"
        "    if score >= 80:\n"
        "        result = 'B'\n"
        "    return result\n"
    )
    first = {e.description: e.source for e in edits(one, [5])}["`if` -> `elif`"]
    assert defined(first, "grade")(95) == "A"
    # an ``if`` after an ``if ... else`` cannot join it
    with_else = one.replace(
        "        result = 'A'\n", "        result = 'A'\n    else:\n        pass\n"
    )
    assert "`if` -> `elif`" not in {e.description for e in edits(with_else, [7])}


def test_the_step_of_a_while_loop_stays_in_it() -> None:
    source = (
        "def digits(n):\n"
        "    out = []\n"
        "    while n > 0:\n"
        "        out.append(n % 10)\n"
        "        n //= 10\n"
        "    return out\n"
    )
    # after the loop, ``n`` would never change again: a loop that ends at the time limit
    assert not any("out of the `while` loop" in d for d in moves(source, 5))
    for_loop = source.replace("while n > 0:", "for _ in range(3):")
    assert "`n //= 10` moved out of the `for` loop" in moves(for_loop, 5)
