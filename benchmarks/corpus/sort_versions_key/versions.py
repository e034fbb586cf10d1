"""Release bookkeeping."""

from pytest_trace_opt import trainable


@trainable
def sort_versions(versions):
    """Return the dotted version strings sorted from oldest to newest.

    Components compare as numbers, so "1.10.0" is newer than "1.9.3", and a
    version sorts before a longer one it is a prefix of ("1.2" < "1.2.1").
    The input list is left unchanged.
    """
    return sorted(versions, key=lambda v: v.split("."))


def latest(versions):
    """The newest version in `versions`."""
    return sort_versions(versions)[-1]
