"""Name matching for the customer search."""

import unicodedata

from pytest_trace_opt import trainable


@trainable
def same_name(a, b):
    """True when two names are equal ignoring case and surrounding whitespace.

    Case is compared with full Unicode case folding ("Straße" matches "STRASSE",
    the ligature "ﬁ" matches "fi"), and an accent written as one code point
    matches the same accent written as letter + combining mark.
    """
    left = unicodedata.normalize("NFC", a.strip()).casefold()
    right = unicodedata.normalize("NFC", b.strip()).casefold()
    return left == right
