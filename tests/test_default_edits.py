"""An argument changed in place (core.default_edits, through mutants.edits and the reply
checks an edit passes): a mutable default made on each call, a copy made on entry. Pure
text; each edit is run."""

from __future__ import annotations

from edit_helpers import defined, edits_of_line

from pytest_trace_opt.replies.checks import check_code

SOURCE = (
    "def add_tag(tag, tags=[]):\n"
    '    """Tags with ``tag`` added; a new list when none is given."""\n'
    "    tags.append(tag)\n"
    "    return tags\n"
)


def test_a_shared_default_is_made_on_each_call_after_the_docstring() -> None:
    line_edits = edits_of_line(SOURCE, 3)
    edited = line_edits["default `tags=[]` made on each call"]
    assert edited == (
        "def add_tag(tag, tags=None):\n"
        '    """Tags with ``tag`` added; a new list when none is given."""\n'
        "    if tags is None:\n"
        "        tags = []\n"
        "    tags.append(tag)\n"
        "    return tags\n"
    )
    add_tag = defined(edited, "add_tag")
    assert add_tag("a") == ["a"]
    assert add_tag("b") == ["b"]  # the original gives ["a", "b"]
    mine = ["x"]
    assert add_tag("c", mine) == ["x", "c"] and mine == ["x", "c"]  # the idiom keeps this
    assert check_code(edited, SOURCE, "add_tag", is_method=False).ok
    # the copy on entry: the caller's list is left as it was, too
    copied = defined(line_edits["`tags = list(tags)` added on entry"], "add_tag")
    assert copied("a") == ["a"] and copied("b") == ["b"]
    assert copied("c", mine) == ["x", "c", "c"] and mine == ["x", "c"]
    order = [d for d in line_edits if "on each call" in d or "on entry" in d]
    assert order == ["default `tags=[]` made on each call", "`tags = list(tags)` added on entry"]


def test_a_default_that_escapes_unchanged_is_copied_on_entry() -> None:
    source = (
        "def new_draft(customer, lines=[]):\n"
        '    return {"customer": customer, "lines": lines}\n'
    )
    descriptions = list(edits_of_line(source, 2))
    assert "`lines = list(lines)` added on entry" in descriptions
    assert not any("made on each call" in d for d in descriptions)  # the body changes nothing


def test_an_argument_the_body_sorts_or_fills_gets_a_copy_of_its_type() -> None:
    sorts = "def top(scores, n):\n    scores.sort(reverse=True)\n    return scores[:n]\n"
    edited = edits_of_line(sorts, 2)["`scores = list(scores)` added on entry"]
    mine = [1, 3, 2]
    assert defined(edited, "top")(mine, 2) == [3, 2] and mine == [1, 3, 2]
    fills = (
        "def with_total(counts):\n"
        "    counts['total'] = sum(counts.values())\n"
        "    return counts\n"
    )
    assert "`counts = counts.copy()` added on entry" in edits_of_line(fills, 2)
    merges = "def merged(a, *, into={}):\n    into.update(a)\n    return into\n"
    assert "default `into={}` made on each call" in edits_of_line(merges, 2)
    # a parameter only read, or the receiver of a method, is left alone
    reads = "def total(xs, n=0):\n    return sum(xs) + n\n"
    assert not any("on entry" in d for d in edits_of_line(reads, 2))
    method = "def push(self, x):\n    self.append(x)\n"
    assert not any("on entry" in d for d in edits_of_line(method, 2))
