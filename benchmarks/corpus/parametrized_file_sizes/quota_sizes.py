"""Storage quotas typed by administrators ("500 MB", "1.5GB")."""

from pytest_trace_opt import trainable

UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}


@trainable
def parse_size(text):
    """Bytes in a size such as "512", "64 KB", "1.5GB" or "2 tb": a number,
    which may have a decimal part, then an optional unit from UNITS (any
    letter case, space optional; no unit means bytes). The result is a whole
    number of bytes, rounded down. Anything else raises ValueError."""
    text = text.strip().upper()
    number = text.rstrip("KMGTB ")
    unit = text[len(number) :].strip() or "B"
    if unit not in UNITS:
        raise ValueError(f"unknown unit in {text!r}")
    return int(number) * UNITS[unit]
