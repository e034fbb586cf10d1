import pytest

from semver_parse import parse_semver


@pytest.mark.trainable
def test_plain_release():
    assert parse_semver("2.10.3") == (2, 10, 3, "", "")


@pytest.mark.trainable
def test_prerelease_and_build():
    assert parse_semver("1.0.0-rc.1+exp.sha.5114f85") == (1, 0, 0, "rc.1", "exp.sha.5114f85")


@pytest.mark.trainable
def test_build_only():
    assert parse_semver("1.0.0+20130313144700") == (1, 0, 0, "", "20130313144700")


@pytest.mark.trainable
def test_build_with_a_hyphen():
    got = parse_semver("1.4.2+build-17")
    assert got == (1, 4, 2, "", "build-17"), f"parse_semver('1.4.2+build-17') returned {got}"


@pytest.mark.trainable
def test_malformed_core():
    for text in ("1.2", "1.2.x", "v1.2.3", "1.2.3.4"):
        with pytest.raises(ValueError):
            parse_semver(text)


@pytest.mark.trainable(holdout=True)
def test_more_builds_with_hyphens():
    assert parse_semver("3.0.0+ci-2024-05-01") == (3, 0, 0, "", "ci-2024-05-01")
    assert parse_semver("0.9.1+linux-x86-64") == (0, 9, 1, "", "linux-x86-64")


@pytest.mark.trainable(holdout=True)
def test_hyphens_in_prerelease_and_build():
    assert parse_semver("1.0.0-alpha-1") == (1, 0, 0, "alpha-1", "")
    assert parse_semver("1.0.0-beta+exp-2") == (1, 0, 0, "beta", "exp-2")
