"""Feature flags read from environment variables."""

from pytest_trace_opt import trainable

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


@trainable
def parse_flag(value):
    """Read a flag such as "yes", " On ", "FALSE" or "0" as a bool. Letter
    case and surrounding whitespace do not matter. Any other word raises
    ValueError."""
    value = value.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ValueError(f"not a boolean flag: {value!r}")
