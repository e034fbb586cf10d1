"""Typed access to the nested application settings."""

from pytest_trace_opt import trainable


class MissingSetting(KeyError):
    """A setting path that is not in the settings."""


@trainable
def get_setting(settings, path, default=None):
    """Look up a dotted path such as "db.pool.size" in nested dicts.

    A missing path returns `default` when one is given; without a default it
    raises MissingSetting with the full dotted path as its argument. A path
    that runs into a value that is not a dict counts as missing.
    """
    node = settings
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            if default is not None:
                return default
            raise KeyError(part)
        node = node[part]
    return node
