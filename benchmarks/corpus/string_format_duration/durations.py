"""Human-readable durations for the job dashboard."""

from pytest_trace_opt import trainable


@trainable
def format_duration(seconds):
    """Format a number of seconds as H:MM:SS, e.g. 3725 -> "1:02:05".

    Fractions of a second are dropped. Hours are not padded and may exceed 24;
    minutes and seconds always have two digits.
    """
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes}:{secs}"
