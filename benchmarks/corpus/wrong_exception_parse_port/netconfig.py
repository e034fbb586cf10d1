"""Parsing of network settings typed by users."""

from pytest_trace_opt import trainable


@trainable
def parse_port(text):
    """Parse a TCP port number from user input such as " 8080 ".

    Surrounding whitespace is ignored. Anything that is not an integer from 1
    to 65535 raises ValueError.
    """
    port = int(text.strip())
    assert 1 <= port <= 65535, f"port out of range: {port}"
    return port
