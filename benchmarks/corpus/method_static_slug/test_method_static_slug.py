import pytest

from blog_posts import Post


@pytest.mark.trainable
def test_single_word():
    assert Post.slugify("Release") == "release"


@pytest.mark.trainable
def test_words_separated_by_single_spaces():
    assert Post.slugify("Hello World") == "hello-world"


@pytest.mark.trainable
def test_punctuation():
    got = Post.slugify("Hello, World!")
    assert got == "hello-world", f"slugify('Hello, World!') returned {got!r}"


@pytest.mark.trainable
def test_post_url():
    got = Post("What's new in 3.0?", 2024).url()
    assert got == "/blog/2024/what-s-new-in-3-0/", got


@pytest.mark.trainable(holdout=True)
def test_spaces_and_dashes_collapse():
    assert Post.slugify("  Ten Tips -- for 2025  ") == "ten-tips-for-2025"
    assert Post.slugify("a  b") == "a-b"


@pytest.mark.trainable(holdout=True)
def test_non_ascii_and_symbols():
    assert Post.slugify("Café & Crème") == "caf-cr-me"
    assert Post("2024: Year in Review", 2024).url() == "/blog/2024/2024-year-in-review/"
