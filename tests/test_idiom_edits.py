"""Python's own traps and their idioms (core.idiom_edits, through mutants.edits). Pure
text; each edit is run."""

from __future__ import annotations

from edit_helpers import defined, edits_of_line


def test_zero_is_a_value_not_a_missing_one() -> None:
    source = (
        "def page_size(requested=None):\n"
        "    if requested:\n"
        "        return requested\n"
        "    return 20\n"
    )
    edited = edits_of_line(source, 2)["`requested` -> `requested is not None`"]
    assert defined(edited, "page_size")(0) == 0
    assert defined(edited, "page_size")() == 20
    negated = "def f(x=None):\n    if not x:\n        return 'none'\n    return x\n"
    assert defined(edits_of_line(negated, 2)["`not x` -> `x is None`"], "f")(0) == 0
    fallback = "def g(size=None):\n    return size or 10\n"
    edited = edits_of_line(fallback, 2)["`size or ...` -> `size if size is not None else 10`"]
    assert defined(edited, "g")(0) == 0 and defined(edited, "g")() == 10


def test_a_choice_split_sort_and_pairs_get_their_idiom() -> None:
    choice = "def is_vowel(c):\n    return c == ('a', 'e', 'i', 'o', 'u')\n"
    assert defined(edits_of_line(choice, 2)["`==` -> `in` (one of the choices)"], "is_vowel")("e")
    split = "def words(line):\n    return line.split(' ')\n"
    words = defined(edits_of_line(split, 2)['`split(" ")` -> `split()`'], "words")
    assert words("a  b") == ["a", "b"]
    sort = "def ranked(xs):\n    result = xs.sort(reverse=True)\n    return result\n"
    edited = edits_of_line(sort, 2)["`xs.sort(reverse=True)` -> `sorted(xs, reverse=True)`"]
    assert defined(edited, "ranked")([1, 3, 2]) == [3, 2, 1]
    pairs = "def total(counts):\n    return sum(v for k, v in counts)\n"
    edited = edits_of_line(pairs, 2)["`counts` -> `counts.items()`"]
    assert defined(edited, "total")({"a": 2, "b": 3}) == 5
    loop = "def keys(d):\n    out = []\n    for k, v in d:\n        out.append(k)\n    return out\n"
    assert "`d` -> `d.items()`" in edits_of_line(loop, 3)


def test_round_half_to_even_becomes_half_up_with_its_import() -> None:
    source = "def stars(average):\n    return round(average * 2) / 2\n"
    half_up = "`round(average * 2)` -> `math.floor(average * 2 + 0.5)` (halves up)"
    edited = edits_of_line(source, 2)[half_up]
    assert edited.startswith("import math\n\n\ndef stars(average):")
    assert defined(edited, "stars")(4.25) == 4.5
    assert defined(source, "stars")(4.25) == 4.0
    to_cents = "def f(x):\n    return round(x, 2)\n"
    assert not any("halves up" in d for d in edits_of_line(to_cents, 2))


def test_a_loop_condition_is_not_turned_into_a_test_for_none() -> None:
    source = "def drain(queue):\n    while queue:\n        queue.pop()\n    return queue\n"
    assert not any("is not None" in d for d in edits_of_line(source, 2))


def test_the_none_of_a_get_without_default_used_as_a_number_gets_zero() -> None:
    source = "def bump(counts, key):\n    counts[key] = counts.get(key) + 1\n    return counts\n"
    edited = edits_of_line(source, 2)["`counts.get(key)` -> `counts.get(key, 0)`"]
    assert defined(edited, "bump")({}, "a") == {"a": 1}
    compared = "def over(limits, key, n):\n    return n > limits.get(key)\n"
    assert "`limits.get(key)` -> `limits.get(key, 0)`" in edits_of_line(compared, 2)
    plain = "def name(d):\n    return d.get('name')\n"
    assert not any("get('name', 0)" in d for d in edits_of_line(plain, 2))


def test_in_on_text_where_a_whole_word_is_meant_gets_split() -> None:
    source = (
        "def mentions_cat(message):\n    lowered = message.lower()\n    return 'cat' in lowered\n"
    )
    edited = edits_of_line(source, 3)["`lowered` -> `lowered.split()`: a whole word of it"]
    assert defined(source, "mentions_cat")("Concatenate") is True  # the slip
    assert defined(edited, "mentions_cat")("Concatenate") is False
    assert defined(edited, "mentions_cat")("My Cat sleeps") is True
    # straight on a call that makes text, too; not on a list or a set of characters
    direct = "def f(word, line):\n    return word in line.strip()\n"
    assert "`line.strip()` -> `line.strip().split()`: a whole word of it" in edits_of_line(
        direct, 2
    )
    listed = "def f(word, words):\n    return word in words\n"
    assert not any("split()" in d for d in edits_of_line(listed, 2))
    vowels = "def f(c):\n    return c in 'aeiou'\n"
    assert not any("split()" in d for d in edits_of_line(vowels, 2))
