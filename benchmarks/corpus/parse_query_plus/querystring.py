"""Query-string handling for the legacy search endpoint."""

from urllib.parse import unquote

from pytest_trace_opt import trainable


@trainable
def parse_query(query):
    """Parse "a=1&b=two" into {"a": "1", "b": "two"} the way HTML forms
    encode it: "+" stands for a space and %XX escapes are decoded, in keys
    and values alike. A leading "?" is ignored, empty pairs are skipped, a key
    without "=" gets "", and the last of repeated keys wins."""
    params = {}
    for pair in query.lstrip("?").split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        params[unquote(key)] = unquote(value)
    return params
