import pytest

from versions import latest, sort_versions


@pytest.mark.trainable
def test_major_versions():
    assert sort_versions(["2.0.0", "1.0.0"]) == ["1.0.0", "2.0.0"]


@pytest.mark.trainable
def test_prefix_sorts_first():
    assert sort_versions(["1.2.1", "1.2", "1.1"]) == ["1.1", "1.2", "1.2.1"]


@pytest.mark.trainable
def test_two_digit_minor_version():
    got = sort_versions(["1.10.0", "1.9.3", "1.2.0"])
    assert got == ["1.2.0", "1.9.3", "1.10.0"], f"got {got}"


@pytest.mark.trainable
def test_latest_release():
    got = latest(["9.0", "10.0", "9.12"])
    assert got == "10.0", f"latest(['9.0', '10.0', '9.12']) returned {got!r}"


@pytest.mark.trainable(holdout=True)
def test_patch_numbers():
    assert sort_versions(["2.0.10", "2.0.9", "2.0.1"]) == ["2.0.1", "2.0.9", "2.0.10"]
    assert sort_versions(["0.10", "0.9", "0.100", "0.1"]) == ["0.1", "0.9", "0.10", "0.100"]


@pytest.mark.trainable(holdout=True)
def test_input_is_not_modified():
    given = ["3.1", "3.0"]
    assert sort_versions(given) == ["3.0", "3.1"]
    assert given == ["3.1", "3.0"]
