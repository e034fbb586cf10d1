"""Reading the deployment log."""

from pytest_trace_opt import trainable


def find_first(lines, text):
    """Index of the first line containing `text`, or -1 if no line does."""
    for index, line in enumerate(lines):
        if text in line:
            return index
    return -1


@trainable
def lines_since(lines, marker):
    """The lines from the first one containing `marker` to the end, that line
    included; [] if no line contains the marker."""
    return lines[find_first(lines, marker) :]
