"""Meeting-room bookings."""

from pytest_trace_opt import trainable


@trainable
def clashes(booking, other):
    """True if two bookings of the same room overlap in time. A booking is a
    (start, end) pair of minutes since midnight covering start up to, but not
    including, end, so a meeting may start the minute the previous one ends."""
    start, end = booking
    other_start, other_end = other
    return start <= other_end and other_start <= end


def can_book(existing, wanted):
    """True if the wanted booking clashes with none of the existing ones."""
    return not any(clashes(wanted, booking) for booking in existing)
