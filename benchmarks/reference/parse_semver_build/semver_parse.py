"""Version strings of the plugin registry (Semantic Versioning 2.0.0)."""

from pytest_trace_opt import trainable


@trainable
def parse_semver(text):
    """Split "MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]" into the tuple
    (major, minor, patch, prerelease, build), ints for the numbers and strings
    ("" when absent) for the rest. Build metadata starts at the first "+";
    both the pre-release and the build may contain "-" and ".". A core that
    is not three dot-separated numbers raises ValueError."""
    version, _, build = text.partition("+")
    core, _, prerelease = version.partition("-")
    parts = core.split(".")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        raise ValueError(f"not a semantic version: {text!r}")
    major, minor, patch = map(int, parts)
    return major, minor, patch, prerelease, build
