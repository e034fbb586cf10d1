import pytest

from kvconfig import parse_line


@pytest.mark.trainable
def test_simple_pair():
    assert parse_line("timeout = 30") == ("timeout", "30")


@pytest.mark.trainable
def test_comments_and_blank_lines():
    assert parse_line("   # retries = 3") is None
    assert parse_line("   ") is None


@pytest.mark.trainable
def test_value_containing_equals():
    got = parse_line("url = https://example.org/?page=2")
    assert got == ("url", "https://example.org/?page=2"), f"got {got!r}"


@pytest.mark.trainable
def test_jvm_options():
    got = parse_line("  opts=-Dfoo=bar -Dx=y  ")
    assert got == ("opts", "-Dfoo=bar -Dx=y"), f"got {got!r}"


@pytest.mark.trainable(holdout=True)
def test_empty_value():
    assert parse_line("empty =") == ("empty", "")


@pytest.mark.trainable(holdout=True)
def test_value_is_only_equals_signs():
    assert parse_line("eq = =") == ("eq", "=")
    assert parse_line("k=v=w") == ("k", "v=w")
