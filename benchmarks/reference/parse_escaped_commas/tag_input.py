"""The tag box of the photo library, where tags are typed comma-separated."""

from pytest_trace_opt import trainable


@trainable
def split_tags(text):
    """Split the typed text on commas into tags, stripped of surrounding
    spaces, leaving out empty ones. A backslash makes the next character
    literal, so "\\," is a comma inside a tag and "\\\\" a backslash."""
    tags, current, escaped = [], "", False
    for ch in text:
        if escaped:
            current += ch
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ",":
            tags.append(current)
            current = ""
        else:
            current += ch
    tags.append(current)
    return [tag.strip() for tag in tags if tag.strip()]
