"""A number in a format spec one off (core.format_edits, through mutants.edits). Pure
text; each edit is run."""

from __future__ import annotations

from edit_helpers import defined, edits_of_line


def test_the_width_and_precision_of_a_spec_go_one_up_and_one_down() -> None:
    source = 'def clock(m, s):\n    return f"{m}:{s:1d}"\n'
    found = edits_of_line(source, 2)
    wider = found['`f"{m}:{s:1d}"` -> `f"{m}:{s:2d}"`']
    assert defined(wider, "clock")(3, 5) == "3: 5"
    zero_padded = 'def clock(m, s):\n    return f"{m}:{s:01d}"\n'
    padded = edits_of_line(zero_padded, 2)['`f"{m}:{s:01d}"` -> `f"{m}:{s:02d}"`']
    assert defined(padded, "clock")(3, 5) == "3:05"
    money = 'def price(x):\n    return "{:.1f} EUR".format(x)\n'
    two = edits_of_line(money, 2)['`"{:.1f} EUR"` -> `"{:.2f} EUR"`']
    assert defined(two, "price")(2.5) == "2.50 EUR"
    percent = 'def share(x):\n    return "%.3f" % x\n'
    assert '`"%.3f"` -> `"%.2f"`' in edits_of_line(percent, 2)


def test_braces_doubled_and_text_without_a_spec_are_left_alone() -> None:
    source = 'def f(x):\n    return f"{{x:2d}} {x}" + "version 2"\n'
    found = [d for d in edits_of_line(source, 2) if " + " not in d]  # not the operand swap
    assert not any("->" in d and '"' in d and "2d" in d for d in found)
    assert not any("version" in d for d in found)
