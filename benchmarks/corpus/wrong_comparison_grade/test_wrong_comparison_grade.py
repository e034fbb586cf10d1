import pytest

from grading import letter_grade


@pytest.mark.trainable
def test_clear_a():
    assert letter_grade(95) == "A"


@pytest.mark.trainable
def test_exactly_ninety_is_an_a():
    got = letter_grade(90)
    assert got == "A", f"letter_grade(90) returned {got!r}; 90 and above is an A"


@pytest.mark.trainable
def test_exactly_eighty_is_a_b():
    got = letter_grade(80)
    assert got == "B", f"letter_grade(80) returned {got!r}; 80 to below 90 is a B"


@pytest.mark.trainable
def test_middle_of_band():
    assert letter_grade(75) == "C"
    assert letter_grade(85.5) == "B"


@pytest.mark.trainable
def test_failing_score():
    assert letter_grade(59) == "F"
    assert letter_grade(0) == "F"


@pytest.mark.trainable(holdout=True)
def test_lower_boundaries():
    assert letter_grade(70) == "C"
    assert letter_grade(60) == "D"


@pytest.mark.trainable(holdout=True)
def test_just_below_boundaries_and_top():
    assert letter_grade(89.5) == "B"
    assert letter_grade(59.9) == "F"
    assert letter_grade(100) == "A"
