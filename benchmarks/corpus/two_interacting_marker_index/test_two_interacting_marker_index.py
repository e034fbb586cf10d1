import pytest

from deploy_log import lines_since

LOG = [
    "10:00 build started",
    "10:02 tests passed",
    "10:03 deploy v2.4.1 started",
    "10:05 migrations applied",
    "10:06 deploy v2.4.1 finished",
]


@pytest.mark.trainable
def test_from_the_marker_on():
    assert lines_since(LOG, "deploy v2.4.1") == LOG[2:]


@pytest.mark.trainable
def test_marker_on_the_first_line():
    assert lines_since(LOG, "build started") == LOG


@pytest.mark.trainable
def test_empty_log():
    assert lines_since([], "deploy") == []


@pytest.mark.trainable
def test_marker_not_in_the_log():
    got = lines_since(LOG, "rollback")
    assert got == [], f"lines_since(LOG, 'rollback') returned {got}"


@pytest.mark.trainable(holdout=True)
def test_one_line_log_without_the_marker():
    assert lines_since(["10:00 idle"], "deploy") == []
    assert lines_since(["10:00 idle"], "idle") == ["10:00 idle"]


@pytest.mark.trainable(holdout=True)
def test_last_line_and_repeated_marker():
    assert lines_since(LOG, "finished") == LOG[-1:]
    assert lines_since(LOG, "deploy") == LOG[2:]
    assert lines_since(LOG, "v9.9.9") == []
