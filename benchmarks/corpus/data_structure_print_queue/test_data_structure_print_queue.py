import pytest

from print_spool import PrintQueue


@pytest.mark.trainable
def test_single_job():
    queue = PrintQueue()
    queue.submit("invoice.pdf")
    assert queue.next_job() == "invoice.pdf"
    assert len(queue) == 0


@pytest.mark.trainable
def test_empty_queue():
    with pytest.raises(IndexError):
        PrintQueue().next_job()


@pytest.mark.trainable
def test_jobs_print_in_submission_order():
    queue = PrintQueue()
    for job in ("report.pdf", "photo.png", "memo.txt"):
        queue.submit(job)
    got = [queue.next_job() for _ in range(3)]
    assert got == ["report.pdf", "photo.png", "memo.txt"], f"printed {got}"


@pytest.mark.trainable
def test_submitting_while_printing():
    queue = PrintQueue()
    queue.submit("a")
    queue.submit("b")
    first = queue.next_job()
    queue.submit("c")
    assert [first, queue.next_job(), queue.next_job()] == ["a", "b", "c"]


@pytest.mark.trainable(holdout=True)
def test_long_queue():
    queue = PrintQueue()
    for n in range(20):
        queue.submit(f"job{n}")
    assert [queue.next_job() for _ in range(20)] == [f"job{n}" for n in range(20)]


@pytest.mark.trainable(holdout=True)
def test_queue_drains_then_refills():
    queue = PrintQueue()
    queue.submit("x")
    assert queue.next_job() == "x"
    queue.submit("y")
    queue.submit("z")
    assert queue.next_job() == "y"
    assert len(queue) == 1
