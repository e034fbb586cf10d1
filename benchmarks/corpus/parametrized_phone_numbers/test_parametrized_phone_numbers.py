import pytest

from phone_format import canonical_phone


@pytest.mark.trainable
@pytest.mark.parametrize(
    "raw,expected",
    [
        ("(020) 555-0134", "0205550134"),
        ("020.555.0134", "0205550134"),
        ("06 1234 5678", "0612345678"),
    ],
    ids=["(020) 555-0134 -> 0205550134", "dots -> 0205550134", "spaces -> 0612345678"],
)
def test_national_numbers(raw, expected):
    assert canonical_phone(raw) == expected


@pytest.mark.trainable
@pytest.mark.parametrize(
    "raw,expected",
    [("+44 20 7946 0958", "+442079460958"), ("+1 (415) 555-2671", "+14155552671")],
    ids=["+44 20 7946 0958 -> +442079460958", "+1 (415) 555-2671 -> +14155552671"],
)
def test_international_numbers(raw, expected):
    got = canonical_phone(raw)
    assert got == expected, f"canonical_phone({raw!r}) returned {got!r}"


@pytest.mark.trainable
def test_typed_with_leading_space():
    assert canonical_phone("  +31 6 1234 5678") == "+31612345678"


@pytest.mark.trainable
@pytest.mark.parametrize("raw", ["", "12345", "call me", "+1 23"])
def test_too_few_digits(raw):
    with pytest.raises(ValueError):
        canonical_phone(raw)


@pytest.mark.trainable(holdout=True)
@pytest.mark.parametrize(
    "raw,expected",
    [("+49-30-901820", "+4930901820"), ("+33 1 42 68 53 00", "+33142685300"),
     ("0800 123 456", "0800123456")],
    ids=["+49-30-901820", "+33 1 42 68 53 00", "0800 123 456"],
)
def test_more_numbers(raw, expected):
    assert canonical_phone(raw) == expected


@pytest.mark.trainable(holdout=True)
def test_plus_only_counts_at_the_start():
    assert canonical_phone("020 555 0134 +") == "0205550134"
    assert canonical_phone("\t+852 2345 6789") == "+85223456789"
