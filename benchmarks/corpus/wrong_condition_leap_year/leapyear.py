"""Calendar arithmetic for the booking system."""

from pytest_trace_opt import trainable

DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@trainable
def is_leap_year(year):
    """True for leap years of the Gregorian calendar.

    Years divisible by 4 are leap years, except century years, which are leap
    years only when divisible by 400 (1900 is not, 2000 is).
    """
    return year % 4 == 0 and year % 100 != 0


def days_in_month(year, month):
    """Number of days in `month` (1-12) of `year`."""
    if month == 2 and is_leap_year(year):
        return 29
    return DAYS_IN_MONTH[month - 1]
