"""Late fees of the public library.

A loan is due LOAN_DAYS days after checkout. Returning it on the due date or
earlier costs nothing. After that every day late costs DAILY_FEE_CENTS, and
the fee for one loan never goes above MAX_FEE_CENTS. Children's cards pay
half of that fee, rounded down to whole cents.
"""

from datetime import timedelta

from pytest_trace_opt import trainable

LOAN_DAYS = 21
DAILY_FEE_CENTS = 25
MAX_FEE_CENTS = 1000


@trainable
def late_fee_cents(checked_out, returned, child=False):
    due = checked_out + timedelta(days=LOAN_DAYS)
    days_late = (returned - due).days
    if days_late <= 0:
        return 0
    fee = min(days_late * DAILY_FEE_CENTS, MAX_FEE_CENTS)
    if child:
        fee //= 2
    return fee
