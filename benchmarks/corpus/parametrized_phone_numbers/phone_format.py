"""Phone numbers in the CRM, stored in one canonical form."""

from pytest_trace_opt import trainable


@trainable
def canonical_phone(raw):
    """Only the digits of a phone number as typed: "(020) 555-0134" becomes
    "0205550134". A leading "+" (international form) is kept, so
    "+44 20 7946 0958" becomes "+442079460958". Fewer than 6 digits raise
    ValueError."""
    digits = "".join(ch for ch in raw if ch.isdigit())
    if len(digits) < 6:
        raise ValueError(f"not a phone number: {raw!r}")
    return digits
