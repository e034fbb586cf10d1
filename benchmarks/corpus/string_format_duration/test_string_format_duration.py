import pytest

from durations import format_duration


@pytest.mark.trainable
def test_two_digit_fields():
    assert format_duration(40271) == "11:11:11"


@pytest.mark.trainable
def test_docstring_example():
    got = format_duration(3725)
    assert got == "1:02:05", f"format_duration(3725) returned {got!r}"


@pytest.mark.trainable
def test_under_an_hour():
    got = format_duration(65)
    assert got == "0:01:05", f"format_duration(65) returned {got!r}"


@pytest.mark.trainable
def test_example_table(trace_feedback):
    examples = {0: "0:00:00", 59.9: "0:00:59", 600: "0:10:00", 7322: "2:02:02"}
    wrong = {s: format_duration(s) for s, want in examples.items() if format_duration(s) != want}
    trace_feedback.score(1 - len(wrong) / len(examples))
    for s, got in wrong.items():
        trace_feedback.critique(f"format_duration({s}) gave {got!r}, expected {examples[s]!r}")
    assert not wrong, f"wrong outputs: {wrong}"


@pytest.mark.trainable(holdout=True)
def test_more_than_a_day():
    assert format_duration(90000) == "25:00:00"
    assert format_duration(360061) == "100:01:01"


@pytest.mark.trainable(holdout=True)
def test_single_digit_seconds_and_minutes():
    assert format_duration(599) == "0:09:59"
    assert format_duration(3601) == "1:00:01"
