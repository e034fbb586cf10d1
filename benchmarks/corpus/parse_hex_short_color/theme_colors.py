"""Colours in the theme editor."""

from pytest_trace_opt import trainable


@trainable
def hex_to_rgb(code):
    """Turn a CSS hex colour into an (r, g, b) tuple of ints from 0 to 255.

    Accepts "#rrggbb" and the short form "#rgb", where each digit stands for
    itself doubled ("#f80" is "#ff8800"). The "#" is optional and letter case
    does not matter. Anything else raises ValueError.
    """
    digits = code.strip().lstrip("#")
    if len(digits) == 3:
        return tuple(int(d, 16) * 16 for d in digits)
    if len(digits) == 6:
        return tuple(int(digits[i : i + 2], 16) for i in (0, 2, 4))
    raise ValueError(f"not a hex colour: {code!r}")
