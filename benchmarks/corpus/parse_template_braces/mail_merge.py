"""Mail merge for the newsletter: fill {field} placeholders from a record."""

import re

from pytest_trace_opt import trainable

PLACEHOLDER = re.compile(r"\{(\w+)\}")


@trainable
def render(template, record):
    """Replace each {name} in `template` with str(record[name]).

    "{{" and "}}" stand for literal braces and never start or end a
    placeholder, so "{{name}}" renders as "{name}". A placeholder whose name
    is not in the record raises KeyError.
    """
    return PLACEHOLDER.sub(lambda m: str(record[m.group(1)]), template)
