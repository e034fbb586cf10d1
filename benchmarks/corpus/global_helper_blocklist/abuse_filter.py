"""Sign-up abuse filter."""

from pytest_trace_opt import trainable

BLOCKED = {"spammer@example.com", "bulk.sender@mailinator.com"}


def canonical_email(address):
    """Canonical form of an address: surrounding spaces removed, lowercase,
    and any "+tag" of the local part dropped ("Bob+x@Mail.com" gives
    "bob@mail.com")."""
    local, _, domain = address.strip().lower().partition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


@trainable
def is_blocked(address):
    """True if the address is on the BLOCKED list once both are written in
    canonical form, so that tags, letter case and spaces do not get round
    the block."""
    return address.lower() in BLOCKED
