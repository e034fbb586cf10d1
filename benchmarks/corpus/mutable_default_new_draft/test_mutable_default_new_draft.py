import pytest

from order_drafts import add_line, new_draft


@pytest.mark.trainable
def test_new_draft_is_empty():
    draft = new_draft("Bakery Lund")
    assert draft == {"customer": "Bakery Lund", "lines": []}


@pytest.mark.trainable
def test_draft_with_given_lines():
    draft = new_draft("Café Noor", [("beans-1kg", 4)])
    assert draft["lines"] == [("beans-1kg", 4)]


@pytest.mark.trainable
def test_two_drafts_do_not_share_lines():
    first = new_draft("Hotel Vik")
    add_line(first, "towels", 20)
    second = new_draft("Hostel Mare")
    assert second["lines"] == [], f"a new draft already holds {second['lines']}"


@pytest.mark.trainable
def test_caller_list_is_not_changed():
    template = [("milk-1l", 12)]
    draft = new_draft("Deli Otto", template)
    add_line(draft, "butter", 3)
    assert template == [("milk-1l", 12)], f"the caller's list became {template}"


@pytest.mark.trainable(holdout=True)
def test_many_drafts():
    drafts = [new_draft(f"customer {n}") for n in range(3)]
    for n, draft in enumerate(drafts):
        add_line(draft, f"sku-{n}", n + 1)
    assert [d["lines"] for d in drafts] == [[("sku-0", 1)], [("sku-1", 2)], [("sku-2", 3)]]


@pytest.mark.trainable(holdout=True)
def test_drafts_from_the_same_template():
    template = [("flour", 2)]
    a, b = new_draft("a", template), new_draft("b", template)
    add_line(a, "salt", 1)
    assert b["lines"] == [("flour", 2)]
    assert a["lines"] == [("flour", 2), ("salt", 1)]
