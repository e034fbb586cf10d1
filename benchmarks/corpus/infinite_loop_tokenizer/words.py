"""A tiny tokenizer for the search box."""

from pytest_trace_opt import trainable


@trainable
def split_words(text):
    """Return the words of `text` in order.

    A word is a maximal run of letters and digits (str.isalnum); every other
    character (spaces, punctuation, symbols) only separates words.
    """
    words = []
    i = 0
    while i < len(text):
        if text[i].isalnum():
            j = i
            while j < len(text) and text[j].isalnum():
                j += 1
            words.append(text[i:j])
            i = j
        elif text[i].isspace():
            i += 1
    return words
