import pytest

from pagination import page_items

ITEMS = list(range(25))


@pytest.mark.trainable
def test_first_page_starts_at_first_item():
    got = page_items(ITEMS, 1)
    assert got == list(range(10)), f"page 1 of 25 items (10 per page) was {got}"


@pytest.mark.trainable
def test_last_partial_page():
    got = page_items(ITEMS, 3)
    assert got == [20, 21, 22, 23, 24], f"page 3 of 25 items (10 per page) was {got}"


@pytest.mark.trainable
def test_custom_page_size():
    got = page_items(list("abcdefg"), 2, per_page=3)
    assert got == ["d", "e", "f"], f"page 2 with 3 per page was {got}"


@pytest.mark.trainable
def test_page_past_the_end_is_empty():
    assert page_items(ITEMS, 4) == []


@pytest.mark.trainable
def test_page_zero_is_rejected():
    with pytest.raises(ValueError):
        page_items(ITEMS, 0)


@pytest.mark.trainable(holdout=True)
def test_pages_cover_every_item_once():
    items = list("abcdefghijk")
    pages = [page_items(items, p, per_page=4) for p in range(1, 4)]
    assert pages == [list("abcd"), list("efgh"), list("ijk")]


@pytest.mark.trainable(holdout=True)
def test_single_item_page():
    assert page_items(["only"], 1, per_page=1) == ["only"]
    assert page_items(["only"], 2, per_page=1) == []
