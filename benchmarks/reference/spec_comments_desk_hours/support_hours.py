"""Support desk availability shown on the help page."""

from pytest_trace_opt import trainable

# The desk is open Monday to Friday from 08:30 to 17:00 and on Saturday from
# 10:00 to 14:00 (opening time included, closing time excluded). It is closed
# on Sundays and on the HOLIDAYS (month, day), whatever the weekday.
HOLIDAYS = {(1, 1), (5, 1), (12, 25), (12, 26)}


@trainable
def desk_open(moment):
    """Whether the desk is open at `moment` (a datetime)."""
    if (moment.month, moment.day) in HOLIDAYS:
        return False
    minutes = moment.hour * 60 + moment.minute
    if moment.weekday() < 5:
        return 8 * 60 + 30 <= minutes < 17 * 60
    if moment.weekday() == 5:
        return 10 * 60 <= minutes < 14 * 60
    return False
