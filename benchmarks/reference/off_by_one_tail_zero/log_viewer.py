"""The log viewer's "last N lines" panel."""

from pytest_trace_opt import trainable


@trainable
def last_lines(lines, count):
    """The last `count` lines of the list, oldest first. A count of 0 gives
    [], a count above the number of lines gives all of them, and a negative
    count raises ValueError."""
    if count < 0:
        raise ValueError(f"negative count: {count}")
    return lines[max(len(lines) - count, 0):]
