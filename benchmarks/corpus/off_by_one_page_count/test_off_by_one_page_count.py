import pytest

from stock_report import footer, page_count


@pytest.mark.trainable
def test_partly_filled_last_page():
    assert page_count(7, 3) == 3


@pytest.mark.trainable
def test_single_row():
    assert page_count(1, 40) == 1


@pytest.mark.trainable
def test_pages_exactly_full():
    got = page_count(80, 40)
    assert got == 2, f"page_count(80, 40) returned {got}"


@pytest.mark.trainable
def test_empty_report():
    got = page_count(0, 40)
    assert got == 0, f"page_count(0, 40) returned {got}"


@pytest.mark.trainable
def test_footer():
    assert footer(3, 120, 40) == "page 3 of 3"


@pytest.mark.trainable(holdout=True)
def test_many_sizes():
    for rows in range(0, 200, 7):
        for per_page in (1, 10, 25, 50):
            pages = page_count(rows, per_page)
            assert (pages - 1) * per_page < rows <= pages * per_page or rows == pages == 0


@pytest.mark.trainable(holdout=True)
def test_one_row_per_page():
    assert page_count(5, 1) == 5
    assert footer(1, 10, 10) == "page 1 of 1"
