"""The wrong function of a family called (core.callee_edits, through mutants.edits): one
call swapped, every call of the function swapped, a function imported by name getting its
sibling imported. Each edit is checked by running it. Pure text."""

from __future__ import annotations

from edit_helpers import defined, edits_of_line


def test_a_function_imported_by_name_is_swapped_in_every_call_with_its_import() -> None:
    source = (
        "def parse_query(query):\n"
        "    params = {}\n"
        "    for pair in query.split('&'):\n"
        "        key, _, value = pair.partition('=')\n"
        "        params[unquote(key)] = unquote(value)\n"
        "    return params\n"
    )
    found = edits_of_line(source, 5)
    every = found["`unquote` -> `unquote_plus` in all 2 calls"]
    assert every.startswith("from urllib.parse import unquote_plus\n\n\ndef parse_query")
    assert every.count("unquote_plus(") == 2
    assert defined(every, "parse_query")("full+name=Ada+L") == {"full name": "Ada L"}
    one = found["`unquote` -> `unquote_plus`"]
    assert one.count("unquote_plus(") == 1  # the first call on the line: the key
    from urllib.parse import unquote

    parse_query = defined(one, "parse_query", unquote=unquote)  # as the module imports it
    assert parse_query("full+name=Ada+L") == {"full name": "Ada+L"}


def test_a_method_misread_once_is_swapped_on_every_receiver() -> None:
    source = (
        "def same_name(a, b):\n"
        "    left = a.lower()\n"
        "    right = b.lower()\n"
        "    return left == right\n"
    )
    found = edits_of_line(source, 2)
    every = found["`lower` -> `casefold` in all 2 calls"]
    assert defined(every, "same_name")("STRASSE", "straße") is True
    assert "`lower` -> `upper`" in found
    assert "`lower` -> `casefold`" in found  # this call alone
    # a function called once gets no second, identical edit
    once = "def f(s):\n    return s.lower()\n"
    assert [d for d in edits_of_line(once, 2) if "casefold" in d] == ["`lower` -> `casefold`"]


def test_module_functions_are_swapped_through_their_module_and_builtins_by_name() -> None:
    source = (
        "import re\n"
        "\n"
        "def has_digits(text):\n"
        "    return re.match(r'\\d+', text) is not None\n"
    )
    found = edits_of_line(source, 4)
    assert defined(found["`match` -> `search`"], "has_digits")("abc 12") is True
    assert "`match` -> `fullmatch`" in found
    # a name cut at the last dot, not the first; whitespace trimmed at one end only
    stem = "def stem(name):\n    return name.split('.', 1)[0]\n"
    assert defined(edits_of_line(stem, 2)["`split` -> `rsplit`"], "stem")("a.tar.gz") == "a.tar"
    trim = "def trim(line):\n    return line.strip()\n"
    assert defined(edits_of_line(trim, 2)["`strip` -> `rstrip`"], "trim")(" a \n") == " a"
    leftmost = "def first(xs):\n    return max(xs)\n"
    assert "`max` -> `min`" in edits_of_line(leftmost, 2)
    # an unknown function, or a method of an unknown name, is left alone
    plain = "def g(x):\n    return x.frobnicate() + helper(x)\n"
    assert not any("->" in d and "frobnicate" in d for d in edits_of_line(plain, 2))


def test_a_call_written_over_lines_is_swapped_where_the_name_ends() -> None:
    source = (
        "import bisect\n"
        "\n"
        "def rank(scores, s):\n"
        "    return bisect.bisect_left(\n"
        "        scores, s\n"
        "    )\n"
    )
    edited = edits_of_line(source, 4)["`bisect_left` -> `bisect_right`"]
    assert defined(edited, "rank")([1, 2, 2, 3], 2) == 3


def test_conversions_and_an_unordered_dedupe_get_their_siblings() -> None:
    source = "def stars(rating):\n    return int(rating * 2) / 2\n"
    edited = edits_of_line(source, 2)["`int` -> `round`"]
    assert defined(edited, "stars")(3.8) == 4.0
    assert "`int` -> `float`" in edits_of_line(source, 2)
    dedupe = "def unique(xs):\n    return list(set(xs))\n"
    kept = edits_of_line(dedupe, 2)["`set(...)` -> `dict.fromkeys(...)` (order kept)"]
    assert defined(kept, "unique")([3, 1, 3, 2, 1]) == [3, 1, 2]
    assert edits_of_line("def u(xs):\n    return sorted(set(xs))\n", 2).keys().isdisjoint(
        {"`set(...)` -> `dict.fromkeys(...)` (order kept)"}
    )
