"""Layered configuration: defaults, then the site file, then the command line."""

from pytest_trace_opt import trainable


@trainable
def merge(base, override):
    """A new dict with `override` laid over `base`.

    Keys found in only one of them are kept. Where both hold a dict under the
    same key, the two dicts are merged the same way; otherwise the value from
    `override` wins. Neither argument is modified.
    """
    result = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(value, result[key])
        else:
            result[key] = value
    return result
