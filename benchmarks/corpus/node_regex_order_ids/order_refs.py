"""Finding order references in customer e-mails."""

import re

from opto.trace import node

ORDER_PATTERN = node(
    r"ORD-\d{4}",
    trainable=True,
    description="Regular expression (Python re syntax) that matches one order reference",
)


def order_refs(text):
    """Every order reference in `text`, in order of appearance: "ORD-" and 4
    to 6 digits, not part of a longer word or number ("ORD-12345" counts, but
    nothing in "XORD-1234" or "ORD-1234567" does)."""
    return re.findall(ORDER_PATTERN.data, text)
