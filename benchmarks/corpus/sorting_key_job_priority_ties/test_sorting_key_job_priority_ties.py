import pytest

from nightly_jobs import run_order


@pytest.mark.trainable
def test_no_jobs():
    assert run_order([]) == []


@pytest.mark.trainable
def test_distinct_priorities():
    jobs = [("reindex", 3), ("backup", 1), ("report", 2)]
    assert run_order(jobs) == ["backup", "report", "reindex"]


@pytest.mark.trainable
def test_equal_priority_keeps_submission_order():
    jobs = [("send-invoices", 2), ("archive-logs", 2), ("backup", 1)]
    got = run_order(jobs)
    assert got == ["backup", "send-invoices", "archive-logs"], f"run_order returned {got}"


@pytest.mark.trainable
def test_all_the_same_priority():
    jobs = [("zip", 5), ("mail", 5), ("clean", 5)]
    got = run_order(jobs)
    assert got == ["zip", "mail", "clean"], f"run_order returned {got}"


@pytest.mark.trainable(holdout=True)
def test_mixed_queue():
    jobs = [("w", 2), ("b", 1), ("x", 2), ("a", 3), ("c", 1), ("v", 2)]
    assert run_order(jobs) == ["b", "c", "w", "x", "v", "a"]


@pytest.mark.trainable(holdout=True)
def test_same_name_submitted_twice():
    assert run_order([("sync", 1), ("sync", 1), ("audit", 0)]) == ["audit", "sync", "sync"]
