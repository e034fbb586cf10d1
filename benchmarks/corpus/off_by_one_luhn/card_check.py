"""Card number check before the payment gateway is called."""

from pytest_trace_opt import trainable


@trainable
def luhn_valid(number):
    """Luhn check of a card number given as digits (spaces allowed).

    Starting from the rightmost digit (the check digit) and moving left,
    every second digit is doubled, subtracting 9 when that gives more than 9.
    The number is valid when it has at least two digits and the total of all
    digits is a multiple of 10.
    """
    digits = [int(ch) for ch in number if ch != " "]
    total = 0
    for index, digit in enumerate(digits):
        if index % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return len(digits) > 1 and total % 10 == 0
