"""Reporting lines of the company org chart."""

from pytest_trace_opt import trainable


@trainable
def levels(person):
    """Number of management levels from `person` down to their deepest report.

    A person is a dict {"name": str, "reports": [person, ...]}; "reports" may
    be missing. Someone with no reports is one level. A manager is one level
    more than the deepest of their reports.
    """
    reports = person.get("reports", [])
    if not reports:
        return 1
    return 1 + sum(levels(report) for report in reports)
