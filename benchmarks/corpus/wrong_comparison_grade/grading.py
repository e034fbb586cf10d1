"""Exam grading."""

from pytest_trace_opt import trainable


@trainable
def letter_grade(score):
    """Map an exam score (0-100, may be fractional) to a letter.

    90 and above is "A", 80 and above "B", 70 and above "C", 60 and above "D",
    anything lower "F".
    """
    if score > 90:
        return "A"
    if score > 80:
        return "B"
    if score > 70:
        return "C"
    if score > 60:
        return "D"
    return "F"
