import pytest

from log_viewer import last_lines

LOG = ["boot", "mount /data", "start web", "GET /", "GET /health", "stop web"]


@pytest.mark.trainable
def test_last_two_lines():
    assert last_lines(LOG, 2) == ["GET /health", "stop web"]


@pytest.mark.trainable
def test_more_than_available():
    assert last_lines(LOG, 50) == LOG


@pytest.mark.trainable
def test_zero_lines():
    got = last_lines(LOG, 0)
    assert got == [], f"last_lines(LOG, 0) returned {got}"


@pytest.mark.trainable
def test_negative_count():
    with pytest.raises(ValueError):
        last_lines(LOG, -1)


@pytest.mark.trainable(holdout=True)
def test_every_count():
    for count in range(len(LOG) + 2):
        got = last_lines(LOG, count)
        assert len(got) == min(count, len(LOG)), count
        assert got == LOG[len(LOG) - len(got):], count


@pytest.mark.trainable(holdout=True)
def test_short_logs():
    assert last_lines(["only line"], 0) == []
    assert last_lines([], 3) == []
