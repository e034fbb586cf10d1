import pytest

from build_steps import build_order

PIPELINE = {
    "package": ["compile", "docs"],
    "compile": ["fetch"],
    "test": ["compile"],
    "docs": ["fetch"],
    "publish": ["package", "test"],
}


def assert_respects(order, requires):
    position = {step: i for i, step in enumerate(order)}
    for step, needed in requires.items():
        for first in needed:
            assert position[first] < position[step], f"{step} before {first} in {order}"


@pytest.mark.trainable
def test_no_steps():
    assert build_order({}) == []


@pytest.mark.trainable
def test_single_step():
    assert build_order({"lint": []}) == ["lint"]


@pytest.mark.trainable
def test_cycle_is_rejected():
    with pytest.raises(ValueError):
        build_order({"a": ["b"], "b": ["c"], "c": ["a"]})


@pytest.mark.trainable
def test_two_step_chain():
    got = build_order({"deploy": ["build"]})
    assert got == ["build", "deploy"], f"build_order({{'deploy': ['build']}}) returned {got}"


@pytest.mark.trainable
def test_release_pipeline():
    order = build_order(PIPELINE)
    assert sorted(order) == ["compile", "docs", "fetch", "package", "publish", "test"]
    assert_respects(order, PIPELINE)


@pytest.mark.trainable(holdout=True)
def test_wider_graph():
    requires = {
        "e2e": ["deploy-staging"],
        "deploy-staging": ["image"],
        "image": ["wheel", "base-image"],
        "wheel": ["compile"],
        "compile": ["vendor"],
        "release": ["e2e", "changelog"],
    }
    order = build_order(requires)
    assert len(order) == len(set(order)) == 9
    assert_respects(order, requires)


@pytest.mark.trainable(holdout=True)
def test_exact_order_of_a_small_graph():
    assert build_order({"c": ["a"], "b": ["a"], "d": ["b", "c"]}) == ["a", "b", "c", "d"]
