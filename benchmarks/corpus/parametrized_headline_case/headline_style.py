"""House style for article headlines."""

from pytest_trace_opt import trainable

SMALL_WORDS = {"a", "an", "and", "at", "but", "by", "for", "in", "of", "on", "or", "the", "to"}


@trainable
def headline(text):
    """Title-case a headline in house style: each word gets a capital first
    letter and lowercase letters after it, except the words in SMALL_WORDS,
    which stay lowercase unless they are the first or the last word. Words
    are joined by single spaces."""
    words = text.lower().split()
    out = []
    for i, word in enumerate(words):
        if i > 0 and word in SMALL_WORDS:
            out.append(word)
        else:
            out.append(word.capitalize())
    return " ".join(out)
