"""Dispatch notification e-mail of the web shop."""

from opto.trace import node

SUBJECT = node(
    "Your order {order_id} has shipped",
    trainable=True,
    description="Subject line of the dispatch e-mail, filled with str.format(**fields)",
)

# Fields passed to the template. Customers track parcels with the carrier's code.
FIELDS = ("order_id", "carrier", "tracking_code")


def subject_line(order):
    """Subject of the dispatch e-mail for `order` (a dict holding FIELDS and
    maybe more). It names the order id, the carrier and the tracking code,
    and stays under 90 characters."""
    return SUBJECT.data.format(**{field: order[field] for field in FIELDS})
