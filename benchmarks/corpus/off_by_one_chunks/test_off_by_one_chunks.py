import pytest

from bulk_upload import batches


@pytest.mark.trainable
def test_exact_multiple():
    assert batches([1, 2, 3, 4, 5, 6], 3) == [[1, 2, 3], [4, 5, 6]]


@pytest.mark.trainable
def test_no_records():
    assert batches([], 100) == []


@pytest.mark.trainable
def test_short_last_batch():
    got = batches(["a", "b", "c", "d", "e"], 2)
    assert got == [["a", "b"], ["c", "d"], ["e"]], f"returned {got}"


@pytest.mark.trainable
def test_fewer_records_than_the_batch_size():
    got = batches([7, 8], 500)
    assert got == [[7, 8]], f"batches([7, 8], 500) returned {got}"


@pytest.mark.trainable
def test_size_below_one():
    with pytest.raises(ValueError):
        batches([1], 0)


@pytest.mark.trainable(holdout=True)
def test_every_record_is_uploaded_once():
    records = list(range(1001))
    for size in (1, 7, 100, 1000, 1001, 5000):
        got = batches(records, size)
        assert [r for batch in got for r in batch] == records, size
        assert all(len(batch) == size for batch in got[:-1]), size


@pytest.mark.trainable(holdout=True)
def test_single_record():
    assert batches(["only"], 3) == [["only"]]
