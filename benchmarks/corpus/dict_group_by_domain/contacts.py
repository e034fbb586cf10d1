"""Address book utilities."""

from pytest_trace_opt import trainable


@trainable
def group_by_domain(emails):
    """Group email addresses by domain, keeping input order within each group.

    The domain (the part after the last "@") is lowercased for the key; the
    addresses themselves are kept unchanged:
    group_by_domain(["a@x.org", "b@Y.com", "c@x.org"]) returns
    {"x.org": ["a@x.org", "c@x.org"], "y.com": ["b@Y.com"]}.
    """
    groups = {}
    for email in emails:
        domain = email.rsplit("@", 1)[1].lower()
        groups[domain] = [email]
    return groups
