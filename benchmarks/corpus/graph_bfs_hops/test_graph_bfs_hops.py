import pytest

from network_hops import hop_count

OFFICE = {
    "core": ["floor1", "floor2"],
    "floor1": ["core", "printer"],
    "floor2": ["core", "wifi"],
    "printer": ["floor1"],
    "wifi": ["floor2", "guest"],
    "guest": ["wifi"],
    "lab": [],
}


@pytest.mark.trainable
def test_no_route():
    assert hop_count(OFFICE, "printer", "lab") is None


@pytest.mark.trainable
def test_direct_link():
    got = hop_count(OFFICE, "core", "floor1")
    assert got == 1, f"core -> floor1 is one link, got {got}"


@pytest.mark.trainable
def test_router_to_itself():
    assert hop_count(OFFICE, "wifi", "wifi") == 0


@pytest.mark.trainable
def test_across_the_core():
    got = hop_count(OFFICE, "printer", "guest")
    assert got == 5, f"printer -> guest returned {got}"


@pytest.mark.trainable(holdout=True)
def test_ring_takes_the_short_way():
    ring = {n: [(n - 1) % 8, (n + 1) % 8] for n in range(8)}
    assert hop_count(ring, 0, 6) == 2
    assert hop_count(ring, 0, 4) == 4


@pytest.mark.trainable(holdout=True)
def test_one_way_links():
    links = {"a": ["b"], "b": ["c"], "c": []}
    assert hop_count(links, "a", "c") == 2
    assert hop_count(links, "c", "a") is None
