import pytest

from spamfilter import SPAM_THRESHOLD, is_spam

# (model probability, true label) from the labelled validation sample
LABELLED = [
    (0.05, "ham"), (0.20, "ham"), (0.35, "ham"), (0.48, "ham"), (0.55, "ham"),
    (0.62, "spam"), (0.71, "spam"), (0.78, "spam"), (0.85, "spam"), (0.93, "spam"),
    (0.97, "spam"),
]


@pytest.mark.trainable
def test_obvious_spam_is_flagged():
    assert is_spam(0.97) is True


@pytest.mark.trainable
def test_obvious_ham_is_not_flagged():
    assert is_spam(0.05) is False


@pytest.mark.trainable
def test_borderline_spam_is_flagged():
    for probability in (0.71, 0.78):
        assert is_spam(probability) is True, f"spam with probability {probability} not flagged"


@pytest.mark.trainable
def test_labelled_sample_is_classified_correctly():
    wrong = [(p, label) for p, label in LABELLED if is_spam(p) != (label == "spam")]
    accuracy = 1 - len(wrong) / len(LABELLED)
    assert not wrong, f"accuracy {accuracy:.2f}; misclassified (probability, label): {wrong}"


@pytest.mark.trainable
def test_threshold_is_a_probability():
    assert 0.0 < SPAM_THRESHOLD.data < 1.0


@pytest.mark.trainable(holdout=True)
def test_second_labelled_sample():
    sample = [(0.12, "ham"), (0.30, "ham"), (0.50, "ham"), (0.66, "spam"), (0.80, "spam"),
              (0.99, "spam")]
    wrong = [(p, label) for p, label in sample if is_spam(p) != (label == "spam")]
    assert not wrong, f"misclassified: {wrong}"


@pytest.mark.trainable(holdout=True)
def test_ham_stays_ham():
    assert not any(is_spam(p) for p in (0.0, 0.25, 0.5))
