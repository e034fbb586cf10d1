import pytest

from billing import split_bill


@pytest.mark.trainable
def test_even_split():
    assert split_bill(900, 3) == [300, 300, 300]


@pytest.mark.trainable
def test_one_leftover_cent():
    got = split_bill(1000, 3)
    assert got == [334, 333, 333], f"split_bill(1000, 3) returned {got} (sum {sum(got)})"


@pytest.mark.trainable
def test_two_leftover_cents():
    got = split_bill(200, 3)
    assert got == [67, 67, 66], f"split_bill(200, 3) returned {got} (sum {sum(got)})"


@pytest.mark.trainable
def test_amounts_add_up_to_the_total():
    for total, people in [(1001, 4), (99, 2), (12345, 7)]:
        got = split_bill(total, people)
        assert sum(got) == total, f"split_bill({total}, {people}) = {got} sums to {sum(got)}"


@pytest.mark.trainable
def test_nobody_to_pay():
    with pytest.raises(ValueError):
        split_bill(100, 0)


@pytest.mark.trainable(holdout=True)
def test_fewer_cents_than_people():
    assert split_bill(5, 7) == [1, 1, 1, 1, 1, 0, 0]
    assert split_bill(0, 2) == [0, 0]


@pytest.mark.trainable(holdout=True)
def test_large_bill():
    assert split_bill(10001, 4) == [2501, 2500, 2500, 2500]
    assert split_bill(10002, 4) == [2501, 2501, 2500, 2500]
