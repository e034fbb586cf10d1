"""Decision rule on top of the spam model's probability."""

from opto.trace import node

SPAM_THRESHOLD = node(
    0.6,
    trainable=True,
    description="Spam probability at or above which a message is flagged as spam",
)


def is_spam(probability):
    """Flag a message as spam when the model's spam probability reaches
    SPAM_THRESHOLD; the threshold must separate the labelled examples."""
    return probability >= SPAM_THRESHOLD.data
