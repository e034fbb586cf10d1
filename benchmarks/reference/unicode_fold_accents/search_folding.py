"""Accent-insensitive matching for the recipe search."""

import unicodedata

from pytest_trace_opt import trainable


@trainable
def fold(text):
    """Search key for `text`: accents removed ("crème brûlée" becomes
    "creme brulee") and case folded; other characters are kept."""
    composed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in composed if not unicodedata.combining(ch))
    return stripped.casefold()


def matches(query, title):
    return fold(query) in fold(title)
