"""Reader for the simple `key = value` settings file."""

from pytest_trace_opt import trainable


@trainable
def parse_line(line):
    """Parse one "key = value" line of a settings file into a (key, value) pair.

    Whitespace around the key and the value is stripped. The value is everything
    after the first "=", so it may itself contain "=". Blank lines and comment
    lines (first non-blank character "#") return None.
    """
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    key, value = line.split("=")
    return key.strip(), value.strip()
