"""Roman numerals for chapter headings."""

from pytest_trace_opt import trainable


@trainable
def to_roman(number):
    """Write an integer from 1 to 3999 in Roman numerals, using the subtractive
    forms (4 is "IV", 9 "IX", 40 "XL", 90 "XC", 400 "CD", 900 "CM")."""
    numerals = [
        (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
        (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
    ]
    result = ""
    for value, letters in numerals:
        while number >= value:
            result += letters
            number -= value
    return result
