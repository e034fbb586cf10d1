import pytest

from theme_colors import hex_to_rgb


@pytest.mark.trainable
def test_long_form():
    assert hex_to_rgb("#1e90ff") == (30, 144, 255)


@pytest.mark.trainable
def test_black_in_short_form():
    assert hex_to_rgb("#000") == (0, 0, 0)


@pytest.mark.trainable
def test_short_form():
    got = hex_to_rgb("#f80")
    assert got == (255, 136, 0), f"hex_to_rgb('#f80') returned {got}"


@pytest.mark.trainable
def test_white_in_short_form():
    got = hex_to_rgb("#FFF")
    assert got == (255, 255, 255), f"hex_to_rgb('#FFF') returned {got}"


@pytest.mark.trainable
def test_wrong_length_is_rejected():
    with pytest.raises(ValueError):
        hex_to_rgb("#12345")


@pytest.mark.trainable(holdout=True)
def test_short_form_without_hash():
    assert hex_to_rgb("abc") == (170, 187, 204)
    assert hex_to_rgb(" #19e ") == (17, 153, 238)


@pytest.mark.trainable(holdout=True)
def test_short_and_long_forms_agree():
    for short in ("#123", "#c0f", "#777", "#e1a"):
        long = "#" + "".join(d * 2 for d in short[1:])
        assert hex_to_rgb(short) == hex_to_rgb(long), short
