"""Durations in the job scheduler's config ("1h30m", "45s", "2d 4h")."""

from pytest_trace_opt import trainable

UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


@trainable
def parse_duration(text):
    """Total seconds of a duration such as "1h30m" or "2d 4h": whole numbers,
    each followed by a unit from UNIT_SECONDS, spaces allowed anywhere. A
    number without a unit, an unknown unit or an empty text raises ValueError."""
    total, number, seen_any = 0, None, False
    for ch in text.replace(" ", ""):
        if ch.isdigit():
            number = (number or 0) * 10 + int(ch)
        elif ch in UNIT_SECONDS and number is not None:
            total += number * UNIT_SECONDS[ch]
            number, seen_any = None, True
        else:
            raise ValueError(f"bad duration: {text!r}")
    if number is not None or not seen_any:
        raise ValueError(f"bad duration: {text!r}")
    return total
