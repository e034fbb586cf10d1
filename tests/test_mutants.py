"""Single-token edits of suspicious lines (core.mutants): pure text in, text out."""

from __future__ import annotations

import ast

from pytest_trace_opt.core.mutants import edits

WINDOW = '''\
def window_sums(values, size):
    """Sums of every run of ``size`` consecutive values."""
    sums = []
    for start in range(len(values) - size):  # one window short
        sums.append(sum(values[start:start + size]))
    return sums
'''


def changed_lines(before: str, after: str) -> list[str]:
    return [line for line in after.splitlines() if line not in before.splitlines()]


def test_a_range_bound_gets_plus_and_minus_one_and_the_comment_survives() -> None:
    found = edits(WINDOW, [4])
    assert [e.description for e in found] == [
        "`len(values) - size` -> `len(values) - size + 1`",
        "`len(values) - size` -> `len(values) - size - 1`",
        "`-` -> `+`",
        # a variable set before the line for another, the nearest first (``start`` is set
        # by this line, after its ``range`` is read)
        "`size` -> `values`",
        "`size` -> `sums`",
        "`values` -> `size`",
        "`values` -> `sums`",
        # the fix patterns come after the single-token slips
        "`range(len(values) - size)` -> `reversed(range(len(values) - size))`",
        "`len(values) - size` -> `size - len(values)`",
    ]
    assert changed_lines(WINDOW, found[0].source) == [
        "    for start in range(len(values) - size + 1):  # one window short"
    ]
    assert all(e.line == 4 for e in found)


def test_only_the_lines_asked_for_are_edited_in_the_order_given() -> None:
    found = edits(WINDOW, [5, 4])
    lines = [e.line for e in found]
    assert set(lines) == {4, 5}
    assert lines == sorted(lines, reverse=True)  # line 5's edits first, as asked


def test_comparisons_are_swapped_with_their_neighbours_and_parentheses_kept() -> None:
    source = "def late(days, limit):\n    return (days) > (limit)  # grace period\n"
    found = edits(source, [2])
    first = [e for e in found if e.description == "`>` -> `>=`"]
    assert first
    assert changed_lines(source, first[0].source) == [
        "    return (days) >= (limit)  # grace period"
    ]
    assert "`>` -> `<`" in [e.description for e in found]


def test_membership_identity_and_boolean_operators() -> None:
    source = "def keep(word, stop, strict):\n    return word not in stop and strict is True\n"
    descriptions = [e.description for e in edits(source, [2])]
    for expected in ("`not in` -> `in`", "`is` -> `is not`", "`and` -> `or`", "`True` -> `False`"):
        assert expected in descriptions
    swapped = next(e for e in edits(source, [2]) if e.description == "`not in` -> `in`")
    assert "return word in stop and strict is True" in swapped.source


def test_augmented_assignment_constants_and_confused_names() -> None:
    source = "def f(xs):\n    total = 0\n    total += max(xs)\n    return total\n"
    descriptions = [e.description for e in edits(source, [2, 3])]
    assert "`0` -> `1`" in descriptions
    assert "`+=` -> `-=`" in descriptions
    assert "`max` -> `min`" in descriptions


def test_an_index_is_moved_by_one_and_a_plus_one_removed() -> None:
    source = "def last(xs):\n    return xs[len(xs) - 1]\n"
    found = {e.description: e.source for e in edits(source, [2])}
    assert "`len(xs) - 1` -> `len(xs)`" in found
    assert "return xs[len(xs)]" in found["`len(xs) - 1` -> `len(xs)`"]


def test_every_edit_parses_differs_and_is_unique() -> None:
    found = edits(WINDOW, list(range(1, 7)))
    dumps = [ast.dump(ast.parse(e.source)) for e in found]
    assert len(dumps) == len(set(dumps))
    assert ast.dump(ast.parse(WINDOW)) not in dumps


def test_the_def_line_and_its_defaults_are_left_alone() -> None:
    source = "def page(items, size=10):\n    return items[:size]\n"
    assert edits(source, [1]) == []
    assert all("size=10" in e.source for e in edits(source, [2]))


def test_non_ascii_text_before_the_edit_keeps_the_offsets_right() -> None:
    source = 'def label(n):\n    return "größe: " + str(n) if n > 0 else "leer"\n'
    swapped = next(e for e in edits(source, [2]) if e.description == "`>` -> `>=`")
    assert changed_lines(source, swapped.source) == [
        '    return "größe: " + str(n) if n >= 0 else "leer"'
    ]


def test_a_method_source_is_dedented_and_an_operator_next_to_a_comment_is_skipped() -> None:
    method = (
        "    def total(self):\n"
        "        return (self.a\n"
        "                # the net price\n"
        "                - self.b)\n"
    )
    found = edits(method, [2])
    assert all(e.source.startswith("def total(self):") for e in found)
    assert "`-` -> `+`" not in [e.description for e in found]


def test_unparseable_source_gives_no_edit() -> None:
    assert edits("def broken(:\n    pass\n", [2]) == []


QUEUE = """\
def drain(jobs, log):
    order = []
    while jobs:
        job = jobs.pop()
        order.insert(0, job)
        if job.startswith("#"):
            break
        log.write(job)
        first = order[0]
    ahead = sorted(order)
    return divmod(len(order), first), ahead
"""


def test_fix_patterns_of_program_repair_come_after_the_slips_of_one_token() -> None:
    found = {e.description: e for e in edits(QUEUE, list(range(2, 12)))}
    expected = {
        "`pop()` -> `pop(0)`": "        job = jobs.pop(0)",
        "`insert(0, ...)` -> `append(...)`": "        order.append(job)",
        '`job.startswith("#")` -> `not job.startswith("#")`':
            '        if not job.startswith("#"):',
        "`break` -> `continue`": "            continue",
        "index `0` -> `-1`": "        first = order[-1]",
        "`sorted(...)` -> `sorted(..., reverse=True)`": "    ahead = sorted(order, reverse=True)",
        "arguments `len(order)` and `first` swapped": "    return divmod(first, len(order)), ahead",
        "`log.write(job)` removed": "        pass",
        "`jobs` -> `not jobs`": "    while not jobs:",
    }  # fmt: skip
    for description, line in expected.items():
        assert changed_lines(QUEUE, found[description].source) == [line], description
    kinds = [e.description for e in edits(QUEUE, [4])]
    assert kinds.index("`pop()` -> `pop(0)`") < kinds.index("`job = jobs.pop()` removed")


def test_without_patterns_only_the_one_token_slips_are_tried() -> None:
    lines = list(range(2, 12))
    slips = [e.description for e in edits(QUEUE, lines, patterns=False)]
    every = [e.description for e in edits(QUEUE, lines)]
    assert slips and set(slips) < set(every)
    assert "`pop()` -> `pop(0)`" not in slips and "`log.write(job)` removed" not in slips
    assert [d for d in every if d in slips] == slips  # the same slips, in the same order


def test_an_exact_inverse_is_not_tried_twice_and_a_docstring_is_never_removed() -> None:
    source = 'def f(x):\n    """Doc."""\n    if x == 1:\n        return 2\n    return 3\n'
    found = [e.description for e in edits(source, [2, 3])]
    assert "`==` -> `!=`" in found
    assert not any(d.startswith("`x == 1` -> `not") for d in found)
    assert not any("Doc" in d for d in found)


def test_arguments_are_not_swapped_where_the_order_cannot_matter() -> None:
    source = "def f(a, b):\n    return max(a, b) if isinstance(a, int) else divmod(a, b)\n"
    found = [e.description for e in edits(source, [2])]
    assert "arguments `a` and `b` swapped" in found  # divmod's
    assert not any("`int` swapped" in d for d in found)
    assert sum(d == "arguments `a` and `b` swapped" for d in found) == 1  # not max's


def test_a_regex_pattern_gets_its_repetitions_added_changed_or_dropped() -> None:
    source = 'def slug(t):\n    return re.sub(r"[^a-z0-9]", "-", t).strip("-")\n'
    found = {e.description: e.source for e in edits(source, [2])}
    fixed = found["`[^a-z0-9]` -> `[^a-z0-9]+` in the pattern"]
    assert 're.sub(r"[^a-z0-9]+", "-", t)' in fixed
    runs = 'def words(t):\n    return re.findall(r"\\w+[.]", t)\n'
    described = [e.description for e in edits(runs, [2])]
    assert "`\\w+` -> `\\w*` in the pattern" in described
    assert "`\\w+` -> `\\w` in the pattern" in described
    assert "`[.]` -> `[.]+` in the pattern" in described
    # a pattern whose source text is not the pattern (escapes in a plain string) is left alone
    plain = 'def f(t):\n    return re.split("\\\\s", t)\n'
    assert not any("pattern" in e.description for e in edits(plain, [2]))
    # only re's functions: str.split's argument is no pattern
    method = 'def f(t):\n    return t.split("-")\n'
    assert not any("pattern" in e.description for e in edits(method, [2]))


SHAPES = """\
def frame(self, box, other):
    width = box.width
    height = other.width
    margin = self.margin
    inner = width - margin * 2
    if width > 0 and height > 0 and box.visible:
        return box.height * inner
    return self.padding
"""


def test_a_variable_or_an_attribute_of_the_same_owner_stands_in_for_another() -> None:
    found = {e.description: e.source for e in edits(SHAPES, [5, 7, 8])}
    # only names the function sets before the line, the nearest first, three per use
    # (``inner`` is set by this very line)
    assert [d for d in found if d.startswith("`width`")] == [
        "`width` -> `margin`",
        "`width` -> `box`",  # as near as ``height`` (line 3), first by name
        "`width` -> `height`",
    ]
    assert "    inner = margin - margin * 2\n" in found["`width` -> `margin`"]
    # an attribute: another attribute the function reads of the same owner
    assert "    return box.width * inner\n" in found["`box.height` -> `box.width`"]
    assert "    return self.margin\n" in found["`self.padding` -> `self.margin`"]
    # an owner: only another name whose attribute of that name is read
    assert not any(d.startswith("`box` -> ") for d in found)  # no one else's ``.height``
    owners = [e.description for e in edits(SHAPES, [2])]
    assert "`box` -> `other`" in owners and "`box` -> `self`" not in owners
    # builtins, globals and called names are not variables of the function
    assert not any(d.startswith(("`len`", "`print`")) for d in found)


def test_a_name_used_twice_on_a_line_says_which_use_is_changed() -> None:
    source = "def f(a, b):\n    return a * a + b\n"
    found = {e.description: e.source for e in edits(source, [2])}
    assert found["`a` -> `b` (first `a` of the line)"].endswith("return b * a + b\n")
    assert found["`a` -> `b` (second `a` of the line)"].endswith("return a * b + b\n")
    assert found["`b` -> `a`"].endswith("return a * a + a\n")


def test_a_clause_too_many_is_dropped_from_a_condition() -> None:
    found = {e.description: e.source for e in edits(SHAPES, [6])}
    assert found["`width > 0` dropped from the condition"].splitlines()[5] == (
        "    if height > 0 and box.visible:"
    )
    assert found["`box.visible` dropped from the condition"].splitlines()[5] == (
        "    if width > 0 and height > 0:"
    )


def test_variables_are_tried_a_few_per_line_and_are_slips_not_patterns() -> None:
    source = "def f(a, b, c, d, e):\n    return a + b + c + d + e\n"
    variables = [
        e for e in edits(source, [2]) if " -> `" in e.description and "+" not in e.description
    ]
    assert len(variables) == 6
    assert len([e for e in edits(source, [2], patterns=False) if e in variables]) == 6


def test_a_slice_gets_each_of_its_bounds_dropped() -> None:
    source = "def head(parts):\n    return ','.join(parts[1:-1])\n"
    found = {e.description: e.source for e in edits(source, [2])}
    assert "return ','.join(parts[:-1])" in found["`[1:-1]` -> `[:-1]`"]
    assert "return ','.join(parts[1:])" in found["`[1:-1]` -> `[1:]`"]


def test_a_power_of_ten_gets_its_neighbours_by_a_factor_of_ten() -> None:
    source = "def digits(n):\n    return n // 100 + 7\n"
    found = [e.description for e in edits(source, [2])]
    assert {"`100` -> `1000`", "`100` -> `10`", "`100` -> `101`", "`100` -> `99`"} <= set(found)
    assert not any(d.startswith("`7` -> `70`") for d in found)  # not a power of ten


def test_an_attribute_of_another_owner_of_the_same_kind_stands_in() -> None:
    # ``other`` reads only ``x``; ``self`` has ``x`` and ``y``: they are objects of one kind
    source = "def __eq__(self, other):\n    return self.x == other.x and self.y == other.x\n"
    found = [e.description for e in edits(source, [2])]
    assert "`other.x` -> `other.y` (second `other.x` of the line)" in found
    unrelated = "def f(self, box):\n    return self.x + box.size\n"
    assert not any("box.x" in e.description for e in edits(unrelated, [2]))


def test_the_exception_class_raised_or_caught_gets_the_other_common_ones() -> None:
    source = (
        "def lookup(d, k):\n"
        "    try:\n"
        "        return d[k]\n"
        "    except KeyError:\n"
        "        raise KeyError(k) from None\n"
    )
    raised = [e.description for e in edits(source, [5])]
    assert raised[:2] == ["`KeyError` -> `ValueError`", "`KeyError` -> `TypeError`"]
    caught = {e.description: e.source for e in edits(source, [4])}
    assert "    except IndexError:\n" in caught["`KeyError` -> `IndexError`"]
    plain = [e.description for e in edits("def f(e):\n    raise e\n", [2])]
    assert plain == ["`raise e` removed"]  # ``e`` is not an exception class


def test_a_result_thrown_away_is_kept_first() -> None:
    source = (
        "def f(n, s, xs):\n"
        "    n // 10\n"
        "    s.strip()\n"
        "    sorted(xs)\n"
        "    print(n)\n"
        "    return n, s, xs\n"
    )
    first = {e.line: e.description for e in reversed(edits(source, [2, 3, 4, 5]))}
    assert first == {
        2: "`n // 10` -> `n //= 10`",  # the statement has no effect: it is the slip
        3: "`s.strip()` -> `s = s.strip()`",  # strings do not change in place
        4: "`sorted(xs)` -> `xs = sorted(xs)`",
        5: "`n` -> `s`",  # print has an effect: nothing to keep
    }


def test_a_result_that_never_leaves_its_function_gets_returned() -> None:
    last_line = "def scale(xs):\n    factor = 2\n    scaled = [x * factor for x in xs]\n"
    first = edits(last_line, [3])[0]
    assert first.description == "`return scaled` added at the end"
    assert first.source.endswith("    scaled = [x * factor for x in xs]\n    return scaled\n")
    after_loop = "def total(xs):\n    t = 0\n    for x in xs:\n        t += x\n"
    assert [e.description for e in edits(after_loop, [3])][:1] == ["`return t` added at the end"]
    # a function that returns something, or yields, is left alone
    returns = "def f(xs):\n    if xs:\n        return 1\n    y = 2\n"
    yields = "def f(xs):\n    yield 1\n    y = 2\n"
    for source in (returns, yields):
        assert not any("return y" in e.description for e in edits(source, [4, 3]))


def test_text_read_as_typed_gets_stripped_or_lower_cased() -> None:
    source = (
        "def f(raw, answer, cell):\n"
        '    if raw.startswith("+"):\n'
        '        return answer in ("y", "yes")\n'
        '    return cell.value == "N/A", raw.strip().isdigit(), f(raw)\n'
    )
    found = {e.description: e.source for e in edits(source, [2, 3, 4])}
    assert 'if raw.strip().startswith("+"):' in found["`raw` -> `raw.strip()`"]
    assert 'return answer.lower() in ("y", "yes")' in found["`answer` -> `answer.lower()`"]
    assert "`answer` -> `answer.strip()`" in found
    assert "`cell.value` -> `cell.value.strip()`" in found
    # "N/A" is not lower case: no lower-casing before comparing with it; what is already a
    # call (normalized, or not text) is left alone; "+" has no letter to compare in any case
    assert "`cell.value` -> `cell.value.lower()`" not in found
    assert "`raw` -> `raw.lower()`" not in found
    assert not any("strip().strip()" in e for e in found.values())
    # a membership test against a collection of unknown case: both
    words = "def f(query, stop):\n    return [w for w in query.split() if w not in stop]\n"
    tried = {e.description for e in edits(words, [2])}
    assert {"`w` -> `w.lower()`", "`w` -> `w.strip()`"} <= tried


def test_the_same_bound_slip_on_every_line_of_its_kind_is_one_edit() -> None:
    source = (
        "def grade(score, other):\n"
        "    if score > 90:\n"
        '        return "A"\n'
        "    if score > 80:  # B from 80\n"
        '        return "B"\n'
        "    if other > 5 or score < 10:\n"
        '        return "?"\n'
        "    return score > 70\n"
    )
    found = {e.description: e.source for e in edits(source, [4])}
    edited = found["`>` -> `>=` in all 3 `score >`"]
    assert "score >= 90" in edited and "score >= 80:  # B from 80" in edited
    assert "score >= 70" in edited
    assert "other > 5" in edited and "score < 10" in edited  # another operand, another kind
    # one comparison of its kind: the one-line edit only
    alone = "def f(n, m):\n    if n > 1:\n        return m > 2\n    return 0\n"
    assert not any(" in all " in e.description for e in edits(alone, [2, 3]))


def test_a_dictionary_entry_used_before_it_exists_gets_a_default() -> None:
    source = (
        "def f(stock, items, groups, xs, i):\n"
        "    for item in items:\n"
        "        stock.counts[item] += 1\n"
        "        groups[item[0]].append(item)\n"
        "        xs[0] += 1\n"
        "        xs[i + 1] -= len(item) * 2\n"
        "        stock.sizes[item] -= len(item) * 2\n"
        "        stock.seen[item[0]] = {item}\n"
        "    return stock\n"
    )
    made = [
        e
        for e in edits(source, [3, 4, 5, 6, 7, 8])
        if e.description.endswith(("a missing entry", "a new entry"))
    ]
    found = {e.line: e.source.splitlines()[e.line - 1].strip() for e in made}
    assert found == {
        3: "stock.counts[item] = stock.counts.get(item, 0) + 1",
        4: "groups.setdefault(item[0], []).append(item)",
        7: "stock.sizes[item] = stock.sizes.get(item, 0) - (len(item) * 2)",
        8: "stock.seen.setdefault(item[0], set()).add(item)",  # made anew: should grow
    }  # a list index (xs[0], xs[i + 1]) is no dictionary entry


def test_a_part_of_a_tuple_sort_key_is_negated_with_reverse_turned() -> None:
    source = (
        "def ranks(points, people):\n"
        "    ranked = sorted(points.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)\n"
        "    people.sort(key=lambda p: (p.age, -p.height))\n"
        "    return ranked, sorted(people, key=lambda p: p.age)\n"
    )
    made = [e for e in edits(source, [2, 3, 4]) if "sort key" in e.description]
    lines = [e.source.splitlines()[e.line - 1].strip() for e in made]
    # "most points first, ties alphabetical": the points negated, reverse dropped
    assert lines[0] == "ranked = sorted(points.items(), key=lambda kv: (-kv[1], kv[0]))"
    assert "people.sort(key=lambda p: (p.age, p.height), reverse=True)" in lines
    assert "people.sort(key=lambda p: (-p.age, -p.height))" in lines  # reverse as it was
    assert len(made) == 8  # two parts each, twice; a key that is no tuple: nothing


def test_a_parameter_read_raw_in_several_places_is_normalized_once_on_entry() -> None:
    source = (
        "def parse_flag(value, strict=False):\n"
        '    """Letter case and surrounding blanks do not matter."""\n'
        "    if value in TRUE_WORDS:\n"
        "        return True\n"
        "    if value in FALSE_WORDS:\n"
        "        return False\n"
        "    raise ValueError(value)\n"
    )
    found = {e.description: e.source for e in edits(source, [3])}
    both = found["`value = value.strip().lower()` added on entry"]
    assert both.splitlines()[1:4] == [
        '    """Letter case and surrounding blanks do not matter."""',
        "    value = value.strip().lower()",
        "    if value in TRUE_WORDS:",
    ]
    assert "`value` -> `value.strip().lower()`" in found
    # a name that is no parameter (a loop variable, say) is normalized where it is read only
    loop = "def f(words, stop):\n    for w in words:\n        if w in stop:\n            return w\n"
    assert not any("on entry" in e.description for e in edits(loop, [3]))


def test_an_assert_that_validates_input_raises_value_error_instead() -> None:
    source = (
        "def parse_port(text):\n"
        "    port = int(text)\n"
        '    assert 1 <= port <= 65535, f"port out of range: {port}"\n'
        "    assert port and text\n"
        '    assert not text.startswith("0")\n'
        "    return port\n"
    )
    made = [e for e in edits(source, [3, 4, 5]) if "`assert`" in e.description]
    bodies = ["\n".join(e.source.splitlines()[e.line - 1 : e.line + 1]) for e in made]
    assert bodies == [
        '    if not 1 <= port <= 65535:\n        raise ValueError(f"port out of range: {port}")',
        "    if not (port and text):\n        raise ValueError()",
        '    if text.startswith("0"):\n        raise ValueError()',
    ]


def test_a_variable_of_a_product_is_one_off_with_parentheses() -> None:
    source = "def page_items(items, page, size):\n    start = page * size\n    return start\n"
    lines = {e.description: e.source.splitlines()[1].strip() for e in edits(source, [2])}
    assert lines["`page` -> `(page - 1)` in a product"] == "start = (page - 1) * size"
    assert lines["`size` -> `(size + 1)` in a product"] == "start = page * (size + 1)"


def test_an_edit_that_only_the_compiler_rejects_is_not_tried() -> None:
    source = (
        "def counter():\n"
        "    count = 0\n"
        "    def bump():\n"
        "        nonlocal count\n"
        "        count += 1\n"
        "        return count\n"
        "    return bump\n"
    )
    descriptions = [e.description for e in edits(source, [2])]
    assert "`count = 0` removed" not in descriptions  # the ``nonlocal`` would bind nothing
    assert "`0` -> `1`" in descriptions
    for edit in edits(source, range(1, 8)):
        compile(edit.source, "<edit>", "exec")


def test_a_key_of_the_same_record_stands_in_for_another() -> None:
    source = (
        "def full_name(person, other):\n"
        "    if person['last'] == other['last']:\n"
        "        return person['first']\n"
        "    return person['first'] + ' ' + person['first']\n"
    )
    found = {e.description: e.source for e in edits(source, [4])}
    edited = found["key 'first' -> 'last' (second `'first'` of the line)"]
    assert edited.splitlines()[3] == "    return person['first'] + ' ' + person['last']"
    # a string that is not a key, and a key of a record of another kind, are left alone
    assert not any("' '" in d for d in found if d.startswith("key"))
    apart = "def f(a, b):\n    return a['x'] + b['y']\n"
    assert not any(d.startswith("key") for d in (e.description for e in edits(apart, [2])))


def test_lines_ranked_alike_get_the_likelier_kinds_of_edit_first() -> None:
    source = "def f(xs, n):\n    total = sum(xs) * 2\n    return total > n\n"
    in_line_order = [e.description for e in edits(source, [2, 3])]
    tied = [e.description for e in edits(source, [2, 3], tiers=[0, 0])]
    assert sorted(in_line_order) == sorted(tied)
    # line 2's removal came before line 3's comparison; tied, the comparison comes first
    removal, comparison = "`total = sum(xs) * 2` removed", "`>` -> `>=`"
    assert in_line_order.index(removal) < in_line_order.index(comparison)
    assert tied.index(comparison) < tied.index(removal)
    # a line ranked above the other keeps all its edits first
    ranked = [e.description for e in edits(source, [2, 3], tiers=[0, 1])]
    assert ranked == in_line_order
    # a long tier goes round the kinds: a fix pattern comes before the slips run out, and
    # a removal stays last
    loop = (
        "def f(xs):\n"
        "    total = 0\n"
        "    for i, x in enumerate(xs):\n"
        "        if i % 2 == 0 and x > 1:\n"
        "            total += x * 2 - 1\n"
        "    return total\n"
    )
    tier = [e.description for e in edits(loop, [2, 3, 4, 5, 6], tiers=[0] * 5)]
    reversed_walk = tier.index("`xs` -> `reversed(xs)`")
    assert reversed_walk < len(tier) // 2
    assert reversed_walk < max(i for i, d in enumerate(tier) if d.startswith("`+=`"))
    removals = [i for i, d in enumerate(tier) if d.endswith("removed")]
    assert removals == list(range(len(tier) - len(removals), len(tier)))
