"""Tag handling for blog posts."""

from pytest_trace_opt import trainable


@trainable
def add_tag(tag, tags=[]):
    """Return a new list: the given `tags` followed by `tag`, unless already present.

    `tag` is stripped and lowercased first. `tags` may be any sequence and is
    never modified; without it, the result starts from an empty list.
    """
    tag = tag.strip().lower()
    if tag not in tags:
        tags.append(tag)
    return tags
