import pytest

from impact import affected

REPO = {
    "utils": ["models", "cli"],
    "models": ["api", "worker"],
    "api": ["web"],
    "worker": [],
    "cli": [],
    "web": [],
}


@pytest.mark.trainable
def test_leaf_package():
    assert affected(REPO, "web") == {"web"}


@pytest.mark.trainable
def test_shared_utilities_reach_everything():
    assert affected(REPO, "utils") == {"utils", "models", "cli", "api", "worker", "web"}


@pytest.mark.trainable
def test_two_packages_using_each_other():
    graph = {"auth": ["session"], "session": ["auth", "web"], "web": []}
    got = affected(graph, "auth")
    assert got == {"auth", "session", "web"}, f"affected(graph, 'auth') returned {got}"


@pytest.mark.trainable
def test_package_listing_itself():
    assert affected({"codegen": ["codegen", "api"], "api": []}, "codegen") == {"codegen", "api"}


@pytest.mark.trainable(holdout=True)
def test_long_cycle_with_tails():
    graph = {"a": ["b"], "b": ["c"], "c": ["d", "x"], "d": ["a"], "x": ["y"], "y": []}
    assert affected(graph, "c") == {"a", "b", "c", "d", "x", "y"}
    assert affected(graph, "x") == {"x", "y"}


@pytest.mark.trainable(holdout=True)
def test_unknown_package_and_diamond():
    assert affected(REPO, "docs") == {"docs"}
    diamond = {"core": ["left", "right"], "left": ["top"], "right": ["top"], "top": ["core"]}
    assert affected(diamond, "left") == {"core", "left", "right", "top"}
